package kafka

// ApiVersions (key 18), versions 0–3. v3 is flexible and carries the
// client's software name and version (KIP-511).
//
// Kafka's rules, which clients rely on:
//   - the response header is always v0 (no tagged fields), even at v3, so a
//     client can read the reply before it knows whether the broker speaks
//     flexible versions (KIP-511; kmsg and kgo read it so);
//   - a version the broker does not know (kgo 1.22 starts at v5) is not
//     parsed: the reply is a v0 response with UNSUPPORTED_VERSION and, since
//     Kafka 2.4 (KIP-511), one ApiKeys entry, ApiVersions' own range, which
//     clients retry with (kgo retries at that max; librdkafka at
//     min(its version - 1, that max), or v0 without the entry). Kafka sends
//     only that entry (ApiVersionsRequest.getErrorResponse), and so do we:
//     kgo would take a full table at face value and skip the retry;
//   - at v3+, a client software name or version that does not match
//     [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? gets INVALID_REQUEST
//     (ApiVersionsRequest.isValid).

import (
	"context"
	"regexp"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	apiVersionsKey = 18
	apiVersionsMax = 3
)

var softwareRE = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

func handleAPIVersions(_ context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if req.Version >= 3 && (!softwareRE.MatchString(req.ClientSoftwareName) || !softwareRE.MatchString(req.ClientSoftwareVersion)) {
		resp.ErrorCode = CodeInvalidRequest
		return respond(resp), nil
	}
	resp.ApiKeys = rc.s.apis.versions()
	return respond(resp), nil
}

// unsupportedAPIVersions is the reply to an ApiVersions request at a version
// outside the table's range: v0, UNSUPPORTED_VERSION, ApiVersions' range.
func (t apiTable) unsupportedAPIVersions() kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = CodeUnsupportedVersion
	a := t[apiVersionsKey]
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MinVersion, k.MaxVersion = apiVersionsKey, a.min, a.max
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{k}
	return resp
}

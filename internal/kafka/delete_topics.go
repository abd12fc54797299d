package kafka

// DeleteTopics (key 20), versions 0–5.
//
// Why 5: v6 names topics by ID (KIP-516), which Triad lacks. v4 is the
// first flexible version, v5 adds error_message (and
// THROTTLING_QUOTA_EXCEEDED, which Triad never sends). Clients negotiate
// down to 5.
//
// Semantics, as Kafka's controller: topics by name; a name given twice is
// answered INVALID_REQUEST, once, and not deleted; timeout_ms bounds the
// wait when positive.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const deleteTopicsMax = 5

func handleDeleteTopics(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	ctx, cancel := timeoutCtx(ctx, req.TimeoutMillis)
	defer cancel()

	count := make(map[string]int, len(req.TopicNames))
	for _, n := range req.TopicNames {
		count[n]++
	}
	var names []string
	var idx []int
	for _, n := range req.TopicNames {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic = kmsg.StringPtr(n)
		switch c := count[n]; {
		case c < 0:
			continue
		case c > 1:
			count[n] = -1
			err := fmt.Errorf("%w: topic %q appears %d times", queue.ErrInvalidRequest, n, c)
			rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
		default:
			names = append(names, n)
			idx = append(idx, len(resp.Topics))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(names) == 0 {
		return respond(resp), nil
	}
	errs := rc.s.backend.DeleteTopics(ctx, names)
	if len(errs) != len(names) {
		return reply{}, fmt.Errorf("kafka: delete topics: backend answered %d topics of %d", len(errs), len(names))
	}
	for i, err := range errs {
		rt := &resp.Topics[idx[i]]
		rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
	}
	return respond(resp), nil
}

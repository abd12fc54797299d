package kafka

// DescribeGroups (key 15), versions 0–5.
//
// Why 5: v3 asks for authorized operations, v4 returns members'
// group.instance.id (KIP-345), v5 is flexible. v6 only adds an error
// message per group, which clients only print.
//
// Semantics:
//   - every group asked for is answered, in request order, with the
//     coordinator's description: state, protocol type, and, for a Stable
//     group only, the protocol and each member's metadata and assignment
//     (bytes, as the client's assignor wrote them); members' client id and
//     host ("/127.0.0.1") as they joined. An unknown group is Dead with no
//     members and no error, as Kafka answers;
//   - a failure (not coordinator, loading...) is that group's code, its
//     other fields empty;
//   - authorized operations (v3+): -2147483648 ("not asked") unless asked;
//     when asked, every operation Kafka defines on a group (READ, DELETE,
//     DESCRIBE), since Triad has no ACLs.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const describeGroupsMax = 5

// groupOperations is Kafka's ACL operations on the GROUP resource (READ 3,
// DELETE 6, DESCRIBE 8) as a bit field.
const groupOperations int32 = 1<<3 | 1<<6 | 1<<8

func handleDescribeGroups(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		if req.IncludeAuthorizedOperations {
			rg.AuthorizedOperations = groupOperations
		}
		d, err := rc.s.backend.DescribeGroup(ctx, id)
		if err != nil {
			rg.ErrorCode = errorCode(err)
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		rg.State, rg.ProtocolType, rg.Protocol = d.State.String(), d.ProtocolType, d.Protocol
		for _, m := range d.Members {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.InstanceID, rm.ClientID, rm.ClientHost = m.MemberID, nullable(m.InstanceID), m.ClientID, m.ClientHost
			rm.ProtocolMetadata, rm.MemberAssignment = orEmpty(m.Metadata), orEmpty(m.Assignment)
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return respond(resp), nil
}

// orEmpty sends nil bytes as empty: the fields are not nullable.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

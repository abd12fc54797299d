package kafka

// LeaveGroup (key 13), versions 0–5.
//
// Why 0: segmentio/kafka-go leaves at v0. v3 replaces the single member id
// with a batch of members, each by member id and group.instance.id
// (KIP-345: an instance id alone removes a static member, the admin path),
// v4 is flexible, v5 (Kafka's newest) adds a reason per member (KIP-800),
// which the coordinator logs.
//
// Semantics:
//   - v0–v2: one member; the answer's code is the group-level error if
//     there is one, the member's otherwise;
//   - v3+: the group-level error is the top-level code (with no members
//     listed, as Kafka's error response); otherwise every member is
//     answered in request order with its ids and its own code, and the
//     top-level code is NONE.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/group"
)

const leaveGroupMax = 5

func handleLeaveGroup(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	var members []group.LeaveMember
	if req.Version < 3 {
		members = []group.LeaveMember{{MemberID: req.MemberID}}
	} else {
		for _, m := range req.Members {
			members = append(members, group.LeaveMember{MemberID: m.MemberID, InstanceID: deref(m.InstanceID), Reason: deref(m.Reason)})
		}
	}
	errs, err := rc.s.backend.LeaveGroup(ctx, req.Group, members)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return respond(resp), nil
	}
	if len(errs) != len(members) {
		return reply{}, fmt.Errorf("kafka: leave group: backend answered %d members of %d", len(errs), len(members))
	}
	if req.Version < 3 {
		resp.ErrorCode = errorCode(errs[0])
		return respond(resp), nil
	}
	for i, m := range req.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = m.MemberID, m.InstanceID, errorCode(errs[i])
		resp.Members = append(resp.Members, rm)
	}
	return respond(resp), nil
}

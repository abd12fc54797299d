package kafka

// SyncGroup (key 14), versions 0–5.
//
// Why 0: segmentio/kafka-go syncs at v0; v1 adds throttling, v3
// group.instance.id (KIP-345), v4 is flexible, v5 (Kafka's newest) carries
// the protocol type and name both ways, which the coordinator checks
// against the group's (INCONSISTENT_GROUP_PROTOCOL).
//
// Semantics: the call blocks until the leader's assignment is stored
// (group/doc.go), so it answers later, as JoinGroup does (join_group.go:
// same ordering, same abandonment when the connection or the server
// closes). The answer's assignment is never null (empty on error, as
// Kafka's); the protocol type and name (v5+) are null on error.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/group"
)

const syncGroupMax = 5

func handleSyncGroup(_ context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.SyncGroupRequest)
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	r := group.SyncRequest{
		Group:        req.Group,
		Generation:   req.Generation,
		MemberID:     req.MemberID,
		InstanceID:   deref(req.InstanceID),
		ProtocolType: deref(req.ProtocolType),
		Protocol:     deref(req.Protocol),
	}
	for _, a := range req.GroupAssignment {
		r.Assignments = append(r.Assignments, group.MemberAssignment{MemberID: a.MemberID, Assignment: a.MemberAssignment})
	}
	return reply{wait: func(ctx context.Context) (kmsg.Response, error) {
		ctx, cancel := rc.s.waitCtx(ctx)
		defer cancel()
		sr := rc.s.backend.SyncGroup(ctx, r)
		if abandoned(ctx, sr.Err) {
			return nil, fmt.Errorf("kafka: sync group %q abandoned: %w", r.Group, sr.Err)
		}
		resp.MemberAssignment = []byte{}
		if sr.Err != nil {
			resp.ErrorCode = errorCode(sr.Err)
			return resp, nil
		}
		resp.ProtocolType, resp.Protocol = kmsg.StringPtr(sr.ProtocolType), kmsg.StringPtr(sr.Protocol)
		if sr.Assignment != nil {
			resp.MemberAssignment = sr.Assignment
		}
		return resp, nil
	}}, nil
}

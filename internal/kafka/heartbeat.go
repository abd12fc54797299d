package kafka

// Heartbeat (key 12), versions 0–4.
//
// Why 0: segmentio/kafka-go heartbeats at v0; v1 adds throttling, v3
// group.instance.id (KIP-345), v4 (Kafka's newest) is flexible.
//
// Semantics: answered at once, in request order; the coordinator rearms
// the member's session and answers REBALANCE_IN_PROGRESS while the group
// prepares a rebalance, which is how members learn to rejoin.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/group"
)

const heartbeatMax = 4

func handleHeartbeat(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = errorCode(rc.s.backend.Heartbeat(ctx, group.HeartbeatRequest{
		Group: req.Group, Generation: req.Generation, MemberID: req.MemberID, InstanceID: deref(req.InstanceID),
	}))
	return respond(resp), nil
}

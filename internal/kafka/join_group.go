package kafka

// JoinGroup (key 11), versions 0–9.
//
// Why 0: segmentio/kafka-go joins at v1–v2, old sarama configurations at
// v0; v0 differs only in having no rebalance timeout (the session timeout
// stands in, as Kafka does). Why 9: v4 makes a new member fetch its id
// first (MEMBER_ID_REQUIRED, KIP-394), v5 adds group.instance.id (static
// membership, KIP-345), v6 is flexible, v7 returns the protocol type, v8
// carries a reason (KIP-800, logged by the coordinator), v9 lets a static
// leader replaced in a stable group skip the assignment (KIP-814). 9 is
// Kafka's newest.
//
// Semantics:
//   - the call blocks until the rebalance's join phase ends (group/doc.go),
//     so it answers later (reply.wait): the connection keeps reading and
//     its later responses wait behind this one, in order. Kafka mutes the
//     connection instead; clients do not send more on it meanwhile anyway
//     (kgo, sarama and librdkafka wait for the answer before heartbeating);
//   - the call runs on the deferred goroutine, so its registration is not
//     ordered against requests pipelined behind it on the same connection;
//     the only such request a client sends is a LeaveGroup while closing,
//     which then finds the member unknown or pending, and the join that
//     follows is answered UNKNOWN_MEMBER_ID or expires with its session;
//   - if the connection closes or the server shuts down first, the call is
//     abandoned and nothing is sent: the connection closes (group/doc.go);
//   - the client id and the client's address ("/127.0.0.1", as Kafka
//     reports it) go to the coordinator for DescribeGroups;
//   - on error the answer carries the coordinator's member id (the new id
//     for MEMBER_ID_REQUIRED), generation -1 and a null protocol (v7+).

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/group"
)

const joinGroupMax = 9

func handleJoinGroup(_ context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.JoinGroupRequest)
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	r := group.JoinRequest{
		Group:                   req.Group,
		MemberID:                req.MemberID,
		InstanceID:              deref(req.InstanceID),
		ClientID:                deref(rc.clientID),
		ClientHost:              rc.clientHost,
		SessionTimeout:          millis(req.SessionTimeoutMillis),
		RebalanceTimeout:        millis(req.RebalanceTimeoutMillis),
		ProtocolType:            req.ProtocolType,
		RequireKnownMemberID:    req.Version >= 4,
		SkipAssignmentSupported: req.Version >= 9,
		Reason:                  deref(req.Reason),
	}
	if req.Version == 0 {
		r.RebalanceTimeout = r.SessionTimeout
	}
	for _, p := range req.Protocols {
		r.Protocols = append(r.Protocols, group.Protocol{Name: p.Name, Metadata: p.Metadata})
	}
	return reply{wait: func(ctx context.Context) (kmsg.Response, error) {
		ctx, cancel := rc.s.waitCtx(ctx)
		defer cancel()
		jr := rc.s.backend.JoinGroup(ctx, r)
		if abandoned(ctx, jr.Err) {
			return nil, fmt.Errorf("kafka: join group %q abandoned: %w", r.Group, jr.Err)
		}
		resp.MemberID = jr.MemberID
		if jr.Err != nil {
			resp.ErrorCode, resp.Generation = errorCode(jr.Err), -1
			return resp, nil
		}
		resp.Generation, resp.LeaderID, resp.SkipAssignment = jr.Generation, jr.Leader, jr.SkipAssignment
		resp.ProtocolType, resp.Protocol = kmsg.StringPtr(jr.ProtocolType), kmsg.StringPtr(jr.Protocol)
		for _, m := range jr.Members {
			rm := kmsg.NewJoinGroupResponseMember()
			rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = m.MemberID, nullable(m.InstanceID), m.Metadata
			resp.Members = append(resp.Members, rm)
		}
		return resp, nil
	}}, nil
}

// waitCtx is the context of a group call that waits on other clients: the
// connection's, ended early by Shutdown so that a rebalance does not hold
// the server open.
func (s *Server) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.stopping, cancel)
	return ctx, func() { stop(); cancel() }
}

func millis(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }

// deref is a nullable string's value, "" for null.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullable is "" as null, anything else as itself.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

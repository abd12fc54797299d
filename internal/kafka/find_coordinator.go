package kafka

// FindCoordinator (key 10), versions 0–4.
//
// Why 0: librdkafka 2.0 asks at v0 (Debian's kcat), and v0 (no key type:
// always a group) is a subset of the others. Why 4: v4 (KIP-699) batches
// coordinator keys, one answer per key, which franz-go uses; v3 is the
// first flexible version. v5 only adds TRANSACTION_ABORTABLE to the errors
// (KIP-890) and v6 share-group keys (KIP-932): neither concerns groups of
// the classic protocol.
//
// Semantics:
//   - key type 0 (a group) asks the backend for the group's coordinator;
//     1 (a transactional id) is refused by the backend (queue.ErrUnsupported,
//     INVALID_REQUEST: transactions are not served); any other type is
//     INVALID_REQUEST here, as Kafka answers an unknown type;
//   - an error answers node id -1, host "" and port -1 (Kafka's Node.noNode)
//     with the error code, and from v1 its message;
//   - v4 answers every key, in request order (duplicates included).

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const findCoordinatorMax = 4

func handleFindCoordinator(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	find := func(key string) (queue.Broker, error) {
		if req.CoordinatorType != 0 && req.CoordinatorType != 1 {
			return queue.Broker{}, fmt.Errorf("%w: unknown coordinator type %d", queue.ErrInvalidRequest, req.CoordinatorType)
		}
		return rc.s.backend.FindCoordinator(ctx, key, req.CoordinatorType)
	}
	if req.Version < 4 {
		b, err := find(req.CoordinatorKey)
		if err != nil {
			resp.ErrorCode, resp.NodeID, resp.Port = errorCode(err), -1, -1
			if req.Version >= 1 {
				resp.ErrorMessage = errorMessage(err)
			}
			return respond(resp), nil
		}
		resp.NodeID, resp.Host, resp.Port = b.NodeID, b.Host, b.Port
		return respond(resp), nil
	}
	for _, key := range req.CoordinatorKeys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		b, err := find(key)
		if err != nil {
			c.ErrorCode, c.ErrorMessage, c.NodeID, c.Port = errorCode(err), errorMessage(err), -1, -1
		} else {
			c.NodeID, c.Host, c.Port = b.NodeID, b.Host, b.Port
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	return respond(resp), nil
}

package kafka

// InitProducerId (key 22), versions 0–4.
//
// Why 4: v3 lets a producer pass its current id and epoch to bump the epoch
// (KIP-360), v4 marks the client's support for PRODUCER_FENCED (KIP-588), v2
// is flexible. v5 (Kafka 4.0) marks transaction protocol v2 (KIP-890),
// which concerns transactions only; clients negotiate down to 4.
//
// Semantics:
//   - a transactional id (transactions are not served):
//     TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers a producer
//     that may not use its id; clients treat it as fatal, which is the
//     intent, and the response has no room for a message;
//   - otherwise an idempotent producer: a new id from the backend, epoch 0.
//     The id and epoch of v3+ requests are ignored, as Kafka ignores them
//     without a transactional id (a new id is always allocated);
//   - errors answer producer id and epoch -1.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const initProducerIDMax = 4

func handleInitProducerID(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = CodeTransactionalIDAuthorizationFailed
		return respond(resp), nil
	}
	id, err := rc.s.backend.InitProducerID(ctx, nil)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return respond(resp), nil
	}
	resp.ProducerID, resp.ProducerEpoch = id.ID, id.Epoch
	return respond(resp), nil
}

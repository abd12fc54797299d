package kafka

// CreatePartitions (key 37), versions 0–3: every version kmsg knows. v2 is
// flexible; v3 only adds THROTTLING_QUOTA_EXCEEDED (KIP-599), which Triad
// never sends.
//
// Semantics, as Kafka's controller: a topic given twice is answered
// INVALID_REQUEST, once; explicit assignments are INVALID_REQUEST "not
// supported" (placement is the queue service's); the backend refuses a
// count that does not grow the topic (INVALID_PARTITIONS); validate_only
// checks without creating; timeout_ms bounds the wait when positive.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const createPartitionsMax = 3

func handleCreatePartitions(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	ctx, cancel := timeoutCtx(ctx, req.TimeoutMillis)
	defer cancel()

	count := make(map[string]int, len(req.Topics))
	for _, t := range req.Topics {
		count[t.Topic]++
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		var err error
		switch c := count[t.Topic]; {
		case c < 0:
			continue
		case c > 1:
			count[t.Topic] = -1
			err = fmt.Errorf("%w: topic %q appears %d times", queue.ErrInvalidRequest, t.Topic, c)
		case len(t.Assignment) > 0:
			err = fmt.Errorf("%w: replica assignments", queue.ErrUnsupported)
		default:
			err = rc.s.backend.CreatePartitions(ctx, t.Topic, t.Count, req.ValidateOnly)
		}
		rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}

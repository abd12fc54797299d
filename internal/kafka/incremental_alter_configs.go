package kafka

// IncrementalAlterConfigs (key 44), versions 0–1: every version kmsg knows
// (v1 is flexible). kgo's kadm.AlterTopicConfigs and librdkafka 2.0's
// IncrementalAlterConfigs use it.
//
// Semantics, as Kafka's: only TOPIC resources (others are INVALID_REQUEST);
// each op is set (0), delete (1, back to the default), append (2) or
// subtract (3), passed to the backend, which refuses append and subtract on
// scalar configs (INVALID_CONFIG); another op, a set with a null value, a
// name given twice or a resource given twice is INVALID_REQUEST;
// validate_only checks without changing.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const incrementalAlterConfigsMax = 1

func handleIncrementalAlterConfigs(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	dup := duplicateResources(len(req.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return req.Resources[i].ResourceType, req.Resources[i].ResourceName
	})
	for i, r := range req.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		ops := make([]queue.ConfigOp, len(r.Configs))
		names := make([]string, len(r.Configs))
		var err error
		for j, c := range r.Configs {
			ops[j] = queue.ConfigOp{Name: c.Name, Op: int8(c.Op)}
			if c.Value != nil {
				ops[j].Value = *c.Value
			}
			names[j] = c.Name
			if c.Op < kmsg.IncrementalAlterConfigOpSet || c.Op > kmsg.IncrementalAlterConfigOpSubtract {
				err = fmt.Errorf("%w: config %s: op %d", queue.ErrInvalidRequest, c.Name, c.Op)
			}
		}
		if err == nil {
			err = checkAlter(r.ResourceType, dup[i], names, func(j int) bool {
				return r.Configs[j].Value == nil && r.Configs[j].Op != kmsg.IncrementalAlterConfigOpDelete
			})
		}
		if err == nil {
			err = rc.s.backend.AlterConfigs(ctx, r.ResourceName, ops, true, req.ValidateOnly)
		}
		rr.ErrorCode, rr.ErrorMessage = errorCode(err), errorMessage(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return respond(resp), nil
}

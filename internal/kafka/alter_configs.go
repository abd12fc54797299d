package kafka

// AlterConfigs (key 33), versions 0–2: every version kmsg knows (v2 is
// flexible). Kafka deprecated it for IncrementalAlterConfigs
// (incremental_alter_configs.go), but sarama and older tools still use it.
//
// Semantics, as Kafka's: only TOPIC resources (others are INVALID_REQUEST:
// Triad has no broker configs to alter); the configs given replace the
// topic's whole set, every other config returning to its default; a null
// value or a name given twice is INVALID_REQUEST; a resource given twice is
// INVALID_REQUEST, every time; validate_only checks without changing.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const alterConfigsMax = 2

func handleAlterConfigs(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	dup := duplicateResources(len(req.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return req.Resources[i].ResourceType, req.Resources[i].ResourceName
	})
	for i, r := range req.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		ops := make([]queue.ConfigOp, len(r.Configs))
		names := make([]string, len(r.Configs))
		for j, c := range r.Configs {
			ops[j] = queue.ConfigOp{Name: c.Name, Op: int8(kmsg.IncrementalAlterConfigOpSet)}
			if c.Value != nil {
				ops[j].Value = *c.Value
			}
			names[j] = c.Name
		}
		err := checkAlter(r.ResourceType, dup[i], names, func(j int) bool { return r.Configs[j].Value == nil })
		if err == nil {
			err = rc.s.backend.AlterConfigs(ctx, r.ResourceName, ops, false, req.ValidateOnly)
		}
		rr.ErrorCode, rr.ErrorMessage = errorCode(err), errorMessage(err)
		resp.Resources = append(resp.Resources, rr)
	}
	return respond(resp), nil
}

// duplicateResources reports which of n resources appear more than once.
func duplicateResources(n int, at func(int) (kmsg.ConfigResourceType, string)) []bool {
	type key struct {
		typ  kmsg.ConfigResourceType
		name string
	}
	count := make(map[key]int, n)
	for i := range n {
		t, name := at(i)
		count[key{t, name}]++
	}
	dup := make([]bool, n)
	for i := range n {
		t, name := at(i)
		dup[i] = count[key{t, name}] > 1
	}
	return dup
}

// checkAlter applies the checks both alter APIs share, before the backend
// sees a resource: its type, duplicates, null values where refused.
func checkAlter(typ kmsg.ConfigResourceType, dup bool, names []string, nullRefused func(int) bool) error {
	switch {
	case typ != kmsg.ConfigResourceTypeTopic:
		return fmt.Errorf("%w: altering configs of resource type %d", queue.ErrUnsupported, typ)
	case dup:
		return fmt.Errorf("%w: resource given more than once", queue.ErrInvalidRequest)
	}
	seen := make(map[string]bool, len(names))
	for j, n := range names {
		if seen[n] {
			return fmt.Errorf("%w: config %s given more than once", queue.ErrInvalidRequest, n)
		}
		seen[n] = true
		if nullRefused(j) {
			return fmt.Errorf("%w: null value for config %s", queue.ErrInvalidRequest, n)
		}
	}
	return nil
}

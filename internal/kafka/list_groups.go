package kafka

// ListGroups (key 16), versions 0–4.
//
// Why 4: v3 is flexible, v4 filters by state and answers each group's
// state (KIP-518). v5 filters by group type (classic or the new consumer
// protocol, KIP-848), which Triad does not serve.
//
// Semantics: this node's groups (as in Kafka, each broker lists the groups
// it coordinates; admin clients ask every broker), filtered by the states
// asked for (v4+, Kafka's names, case-insensitive; none: all). A failure
// is the top-level code with no groups.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const listGroupsMax = 4

func handleListGroups(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	var states []string
	if req.Version >= 4 && len(req.StatesFilter) > 0 {
		states = req.StatesFilter
	}
	groups, err := rc.s.backend.ListGroups(ctx, states)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return respond(resp), nil
	}
	for _, g := range groups {
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState = g.Group, g.ProtocolType, g.State.String()
		resp.Groups = append(resp.Groups, rg)
	}
	return respond(resp), nil
}

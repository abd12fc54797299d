package kafka

// DeleteGroups (key 42), versions 0–2.
//
// Why 2: v1 is v0 with throttling semantics, v2 is flexible. v3 adds an
// error message per group, which clients only print.
//
// Semantics: each group, in request order, is deleted with its committed
// offsets if it has no members (NON_EMPTY_GROUP otherwise,
// GROUP_ID_NOT_FOUND for a group the coordinator does not hold).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const deleteGroupsMax = 2

func handleDeleteGroups(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group, rg.ErrorCode = id, errorCode(rc.s.backend.DeleteGroup(ctx, id))
		resp.Groups = append(resp.Groups, rg)
	}
	return respond(resp), nil
}

package etcdapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"triad/internal/coord"
)

func TestToStatus(t *testing.T) {
	for _, tc := range []struct {
		in   error
		want error
	}{
		{fmt.Errorf("wrapped: %w", coord.ErrCompacted), rpctypes.ErrGRPCCompacted},
		{coord.ErrNoLeader, rpctypes.ErrGRPCNoLeader},
		{coord.ErrTimeout, rpctypes.ErrGRPCTimeout},
		{coord.ErrLeaseExists, rpctypes.ErrGRPCLeaseExist},
		{context.Canceled, rpctypes.ErrGRPCCanceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), rpctypes.ErrGRPCDeadlineExceeded},
		{&coord.NotLeaderError{LeaderID: 2}, rpctypes.ErrGRPCNoLeader},
		{rpctypes.ErrGRPCLeaderChanged, rpctypes.ErrGRPCLeaderChanged},
		// A sentinel coord has not told the table about, with etcd's text.
		{errors.New("etcdserver: member ID already exist"), rpctypes.ErrGRPCMemberExist},
	} {
		if got := toStatus(tc.in); !errors.Is(got, tc.want) {
			t.Errorf("toStatus(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	got := toStatus(errors.New("disk on fire"))
	if s, _ := status.FromError(got); s.Code() != codes.Unknown || s.Message() != "disk on fire" {
		t.Errorf("unknown error became %v", got)
	}
	if toStatus(nil) != nil {
		t.Error("nil error became non-nil")
	}
}

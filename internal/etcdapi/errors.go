package etcdapi

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"triad/internal/coord"
)

// errTable maps coord's sentinels to the statuses etcd answers with. It is
// the front-end's one error table (ARCHITECTURE.md, decision 5): every
// handler returns toStatus(err) and nothing else translates errors.
var errTable = []struct {
	err  error
	grpc error
}{
	{context.Canceled, rpctypes.ErrGRPCCanceled},
	{context.DeadlineExceeded, rpctypes.ErrGRPCDeadlineExceeded},

	{coord.ErrCompacted, rpctypes.ErrGRPCCompacted},
	{coord.ErrFutureRev, rpctypes.ErrGRPCFutureRev},
	{coord.ErrEmptyKey, rpctypes.ErrGRPCEmptyKey},
	{coord.ErrKeyNotFound, rpctypes.ErrGRPCKeyNotFound},
	{coord.ErrValueProvided, rpctypes.ErrGRPCValueProvided},
	{coord.ErrLeaseProvided, rpctypes.ErrGRPCLeaseProvided},
	{coord.ErrTooManyOps, rpctypes.ErrGRPCTooManyOps},
	{coord.ErrDuplicateKey, rpctypes.ErrGRPCDuplicateKey},
	{coord.ErrLeaseNotFound, rpctypes.ErrGRPCLeaseNotFound},
	{coord.ErrLeaseExists, rpctypes.ErrGRPCLeaseExist},
	{coord.ErrLeaseTTLTooLarge, rpctypes.ErrGRPCLeaseTTLTooLarge},

	{coord.ErrNoLeader, rpctypes.ErrGRPCNoLeader},
	{coord.ErrTimeout, rpctypes.ErrGRPCTimeout},
	{coord.ErrLeaderChanged, rpctypes.ErrGRPCLeaderChanged},
	{coord.ErrStopped, rpctypes.ErrGRPCStopped},
	{coord.ErrMemberNotFound, rpctypes.ErrGRPCMemberNotFound},

	// The front-end's own refusals.
	{errRequestTooLarge, rpctypes.ErrGRPCRequestTooLarge},
	{errServerStopped, rpctypes.ErrGRPCStopped},
}

var (
	errRequestTooLarge = errors.New("etcdapi: request is too large")
	errServerStopped   = errors.New("etcdapi: server stopped")
)

// byText catches sentinels coord may add later with etcd's texts (member
// and learner errors, say) before this table learns their names: an error
// whose whole text is one of etcd's server-side error texts gets that
// error's status.
var byText = func() map[string]error {
	m := map[string]error{}
	for _, e := range []error{
		rpctypes.ErrGRPCMemberExist, rpctypes.ErrGRPCPeerURLExist,
		rpctypes.ErrGRPCMemberNotEnoughStarted, rpctypes.ErrGRPCMemberBadURLs,
		rpctypes.ErrGRPCMemberNotLearner, rpctypes.ErrGRPCLearnerNotReady,
		rpctypes.ErrGRPCTooManyLearners, rpctypes.ErrGRPCClusterIDMismatch,
		rpctypes.ErrGRPCRequestTooLarge, rpctypes.ErrGRPCRequestTooManyRequests,
		rpctypes.ErrGRPCNotLeader, rpctypes.ErrGRPCNotCapable,
		rpctypes.ErrGRPCTimeoutDueToLeaderFail, rpctypes.ErrGRPCTimeoutDueToConnectionLost,
		rpctypes.ErrGRPCTimeoutWaitAppliedIndex, rpctypes.ErrGRPCUnhealthy,
		rpctypes.ErrGRPCNotSupportedForLearner, rpctypes.ErrGRPCBadLeaderTransferee,
		rpctypes.ErrGRPCInvalidSortOption, rpctypes.ErrGRPCNoSpace,
	} {
		m[rpctypes.ErrorDesc(e)] = e
	}
	return m
}()

// toStatus turns a Backend (or front-end) error into the gRPC status etcd
// would answer with. A status error (from a forwarded call, or one of
// rpctypes' values) passes through unchanged; a *coord.NotLeaderError that
// reached here could not be forwarded and is etcd's "no leader"; anything
// unknown is codes.Unknown with its text.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range errTable {
		if errors.Is(err, e.err) {
			return e.grpc
		}
	}
	if nl := (*coord.NotLeaderError)(nil); errors.As(err, &nl) {
		return rpctypes.ErrGRPCNoLeader
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if e, ok := byText[err.Error()]; ok {
		return e
	}
	return status.Error(codes.Unknown, err.Error())
}

package kafka

import (
	"context"
	"errors"

	"triad/internal/queue"
	"triad/internal/queue/batch"
	"triad/internal/queue/group"
)

// errorCodes is the front-end's one table from domain errors to Kafka error
// codes (ARCHITECTURE.md, decision 5): the queue service's sentinels, the
// record-batch checker's, which the service may pass on unwrapped, and the
// group coordinator's (queue/group/doc.go's table).
// errors.Is matches wrapped errors; the first match wins, so an error that
// wraps two sentinels takes the earlier row's code.
var errorCodes = []struct {
	err  error
	code int16
}{
	{queue.ErrUnknownTopicOrPartition, CodeUnknownTopicOrPartition},
	{queue.ErrLeaderNotAvailable, CodeLeaderNotAvailable},
	{queue.ErrNotLeader, CodeNotLeaderOrFollower},
	{queue.ErrInvalidTopic, CodeInvalidTopicException},
	{queue.ErrTopicExists, CodeTopicAlreadyExists},
	{queue.ErrInvalidPartitions, CodeInvalidPartitions},
	{queue.ErrInvalidReplication, CodeInvalidReplicationFactor},
	{queue.ErrInvalidConfig, CodeInvalidConfig},
	{queue.ErrInvalidRequest, CodeInvalidRequest},
	{queue.ErrCorruptMessage, CodeCorruptMessage},
	{queue.ErrMessageTooLarge, CodeMessageTooLarge},
	{queue.ErrRecordListTooLarge, CodeRecordListTooLarge},
	{queue.ErrUnsupportedCompression, CodeUnsupportedCompressionType},
	{queue.ErrInvalidRecord, CodeInvalidRecord},
	{queue.ErrInvalidRequiredAcks, CodeInvalidRequiredAcks},
	{queue.ErrNotEnoughReplicas, CodeNotEnoughReplicas},
	{queue.ErrOffsetOutOfRange, CodeOffsetOutOfRange},
	{queue.ErrOutOfOrderSequence, CodeOutOfOrderSequenceNumber},
	{queue.ErrInvalidProducerEpoch, CodeInvalidProducerEpoch},
	{queue.ErrUnknownProducerID, CodeUnknownProducerID},
	{queue.ErrFencedLeaderEpoch, CodeFencedLeaderEpoch},
	{queue.ErrUnknownLeaderEpoch, CodeUnknownLeaderEpoch},
	{queue.ErrTimeout, CodeRequestTimedOut},
	// Something Triad does not do (replica assignments, transactions
	// through the service, a ListOffsets timestamp it cannot serve): the
	// request was well formed but asks for what this broker does not
	// offer. INVALID_REQUEST ("sent to an incompatible broker") is not
	// retriable and, unlike UNSUPPORTED_VERSION, never makes a client
	// renegotiate versions; the error message says what is missing.
	{queue.ErrUnsupported, CodeInvalidRequest},
	{queue.ErrStorage, CodeKafkaStorageError},

	// The group coordinator. NOT_COORDINATOR before COORDINATOR_NOT_AVAILABLE:
	// a Persist error wrapping ErrNotCoordinator comes back wrapped in
	// ErrCoordinatorNotAvailable's message chain (group/doc.go).
	{group.ErrNotCoordinator, CodeNotCoordinator},
	{group.ErrCoordinatorLoadInProgress, CodeCoordinatorLoadInProgress},
	{group.ErrCoordinatorNotAvailable, CodeCoordinatorNotAvailable},
	{group.ErrOffsetMetadataTooLarge, CodeOffsetMetadataTooLarge},
	{group.ErrIllegalGeneration, CodeIllegalGeneration},
	{group.ErrInconsistentGroupProtocol, CodeInconsistentGroupProtocol},
	{group.ErrInvalidGroupID, CodeInvalidGroupID},
	{group.ErrUnknownMemberID, CodeUnknownMemberID},
	{group.ErrInvalidSessionTimeout, CodeInvalidSessionTimeout},
	{group.ErrRebalanceInProgress, CodeRebalanceInProgress},
	{group.ErrNonEmptyGroup, CodeNonEmptyGroup},
	{group.ErrGroupIDNotFound, CodeGroupIDNotFound},
	{group.ErrMemberIDRequired, CodeMemberIDRequired},
	{group.ErrGroupMaxSizeReached, CodeGroupMaxSizeReached},
	{group.ErrFencedInstanceID, CodeFencedInstanceID},
	{group.ErrGroupSubscribedToTopic, CodeGroupSubscribedToTopic},

	{batch.ErrCorrupt, CodeCorruptMessage},
	{batch.ErrInvalidRecord, CodeInvalidRecord}, // ErrUnsupportedMagic wraps it
	{batch.ErrMessageTooLarge, CodeMessageTooLarge},
	{batch.ErrRecordListTooLarge, CodeRecordListTooLarge},
	{batch.ErrUnsupportedCompression, CodeUnsupportedCompressionType},

	{context.DeadlineExceeded, CodeRequestTimedOut},
}

// errorCode maps err to the code a response carries: NONE for nil,
// UNKNOWN_SERVER_ERROR for an error the table does not know.
func errorCode(err error) int16 {
	if err == nil {
		return CodeNone
	}
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return CodeUnknownServerError
}

// errorMessage is the error_message a response carries beside a code: the
// error's text, or null for none.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

// abandoned reports whether a group call ended because its context did (the
// connection closed or the server is shutting down): such a call gets no
// response at all, the connection closes, as group/doc.go asks.
func abandoned(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"triad/internal/queue"
	"triad/internal/queue/batch"
	"triad/internal/queue/group"
)

func TestCodes(t *testing.T) {
	// The list, by Kafka's names.
	for code, name := range map[int16]string{
		CodeNone: "NONE", CodeOffsetOutOfRange: "OFFSET_OUT_OF_RANGE", CodeCorruptMessage: "CORRUPT_MESSAGE",
		CodeUnknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION", CodeNotLeaderOrFollower: "NOT_LEADER_OR_FOLLOWER",
		CodeRequestTimedOut: "REQUEST_TIMED_OUT", CodeMessageTooLarge: "MESSAGE_TOO_LARGE", CodeNotCoordinator: "NOT_COORDINATOR",
		CodeNotEnoughReplicas: "NOT_ENOUGH_REPLICAS", CodeUnsupportedVersion: "UNSUPPORTED_VERSION",
		CodeOutOfOrderSequenceNumber: "OUT_OF_ORDER_SEQUENCE_NUMBER", CodeDuplicateSequenceNumber: "DUPLICATE_SEQUENCE_NUMBER",
		CodeUnknownProducerID: "UNKNOWN_PRODUCER_ID", CodeGroupIDNotFound: "GROUP_ID_NOT_FOUND",
		CodeMemberIDRequired: "MEMBER_ID_REQUIRED", CodeFencedInstanceID: "FENCED_INSTANCE_ID",
		CodeGroupSubscribedToTopic: "GROUP_SUBSCRIBED_TO_TOPIC", CodeUnknownServerError: "UNKNOWN_SERVER_ERROR",
	} {
		if got := CodeName(code); got != name {
			t.Errorf("CodeName(%d) = %s, want %s", code, got, name)
		}
	}
	if CodeUnsupportedVersion != 35 || CodeFencedInstanceID != 82 || CodeGroupSubscribedToTopic != 86 || CodeInvalidConfig != 40 {
		t.Fatal("codes drifted")
	}
	if !CodeRetriable(CodeNotLeaderOrFollower) || CodeRetriable(CodeUnsupportedVersion) {
		t.Error("retriable flags")
	}
	if CodeDescription(CodeUnknownTopicOrPartition) == "" || CodeName(5000) != "UNKNOWN_ERROR_CODE(5000)" {
		t.Error("descriptions")
	}
}

func TestErrorCode(t *testing.T) {
	for err, want := range map[error]int16{
		nil:                              CodeNone,
		queue.ErrUnknownTopicOrPartition: CodeUnknownTopicOrPartition,
		fmt.Errorf("topic x: %w", queue.ErrNotLeader):  CodeNotLeaderOrFollower,
		fmt.Errorf("p: %w", batch.ErrUnsupportedMagic): CodeInvalidRecord,
		context.DeadlineExceeded:                       CodeRequestTimedOut,
		errors.New("disk on fire"):                     CodeUnknownServerError,
	} {
		if got := errorCode(err); got != want {
			t.Errorf("errorCode(%v) = %s, want %s", err, CodeName(got), CodeName(want))
		}
	}
}

// Every error of the queue service has its own code.
func TestQueueErrorsMapped(t *testing.T) {
	for _, err := range []error{
		queue.ErrUnknownTopicOrPartition, queue.ErrLeaderNotAvailable, queue.ErrNotLeader, queue.ErrInvalidTopic,
		queue.ErrTopicExists, queue.ErrInvalidPartitions, queue.ErrInvalidReplication, queue.ErrInvalidConfig,
		queue.ErrInvalidRequest, queue.ErrCorruptMessage, queue.ErrMessageTooLarge, queue.ErrRecordListTooLarge,
		queue.ErrUnsupportedCompression, queue.ErrInvalidRecord, queue.ErrInvalidRequiredAcks,
		queue.ErrNotEnoughReplicas, queue.ErrOffsetOutOfRange, queue.ErrOutOfOrderSequence,
		queue.ErrInvalidProducerEpoch, queue.ErrUnknownProducerID, queue.ErrFencedLeaderEpoch,
		queue.ErrUnknownLeaderEpoch, queue.ErrTimeout, queue.ErrUnsupported, queue.ErrStorage,
		batch.ErrCorrupt, batch.ErrInvalidRecord, batch.ErrUnsupportedMagic, batch.ErrMessageTooLarge,
		batch.ErrRecordListTooLarge, batch.ErrUnsupportedCompression,
	} {
		if c := errorCode(fmt.Errorf("wrapped: %w", err)); c == CodeUnknownServerError || c == CodeNone {
			t.Errorf("%v: %s", err, CodeName(c))
		}
	}
	if errorMessage(nil) != nil || *errorMessage(queue.ErrTimeout) != queue.ErrTimeout.Error() {
		t.Error("errorMessage")
	}
}

// queue/group's table (group/doc.go), code by code.
func TestGroupErrorsMapped(t *testing.T) {
	for err, want := range map[error]int16{
		group.ErrOffsetMetadataTooLarge: 12, group.ErrCoordinatorLoadInProgress: 14,
		group.ErrCoordinatorNotAvailable: 15, group.ErrNotCoordinator: 16, group.ErrIllegalGeneration: 22,
		group.ErrInconsistentGroupProtocol: 23, group.ErrInvalidGroupID: 24, group.ErrUnknownMemberID: 25,
		group.ErrInvalidSessionTimeout: 26, group.ErrRebalanceInProgress: 27, group.ErrNonEmptyGroup: 68,
		group.ErrGroupIDNotFound: 69, group.ErrMemberIDRequired: 79, group.ErrGroupMaxSizeReached: 81,
		group.ErrFencedInstanceID: 82, group.ErrGroupSubscribedToTopic: 86,
		// A persist failure that wraps both: NOT_COORDINATOR wins.
		fmt.Errorf("group: persist: %w (%w)", group.ErrCoordinatorNotAvailable, group.ErrNotCoordinator): 16,
	} {
		if got := errorCode(fmt.Errorf("wrapped: %w", err)); got != want {
			t.Errorf("errorCode(%v) = %s, want %d", err, CodeName(got), want)
		}
	}
}

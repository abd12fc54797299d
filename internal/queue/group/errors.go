package group

import "errors"

// Errors of the group coordinator. Each maps to one Kafka error code; the
// table is in doc.go and the Kafka front-end owns the mapping. Wrapped
// errors match with errors.Is.
var (
	ErrUnknownMemberID           = errors.New("group: unknown member id")
	ErrIllegalGeneration         = errors.New("group: illegal generation")
	ErrRebalanceInProgress       = errors.New("group: rebalance in progress")
	ErrInconsistentGroupProtocol = errors.New("group: inconsistent group protocol")
	ErrInvalidSessionTimeout     = errors.New("group: invalid session timeout")
	ErrMemberIDRequired          = errors.New("group: member id required")
	ErrFencedInstanceID          = errors.New("group: fenced instance id")
	ErrGroupMaxSizeReached       = errors.New("group: group max size reached")
	ErrNonEmptyGroup             = errors.New("group: group is not empty")
	ErrGroupIDNotFound           = errors.New("group: group id not found")
	ErrNotCoordinator            = errors.New("group: not the coordinator for this group")
	ErrCoordinatorNotAvailable   = errors.New("group: coordinator not available")
	// ErrCoordinatorLoadInProgress: this node became the coordinator and
	// is still reading the group's state from its offsets partition
	// (COORDINATOR_LOAD_IN_PROGRESS, 14; clients retry).
	ErrCoordinatorLoadInProgress = errors.New("group: coordinator load in progress")
	ErrInvalidGroupID            = errors.New("group: invalid group id")
	ErrGroupSubscribedToTopic    = errors.New("group: group is subscribed to the topic")
	ErrOffsetMetadataTooLarge    = errors.New("group: offset metadata too large")
)

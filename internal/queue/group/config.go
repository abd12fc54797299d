package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults: Kafka 3.x broker defaults.
const (
	DefaultMinSessionTimeout     = 6 * time.Second  // group.min.session.timeout.ms
	DefaultMaxSessionTimeout     = 30 * time.Minute // group.max.session.timeout.ms
	DefaultInitialRebalanceDelay = 3 * time.Second  // group.initial.rebalance.delay.ms
	DefaultMaxOffsetMetadata     = 4096             // offset.metadata.max.bytes

	// newMemberJoinTimeout bounds how long a new member's first JoinGroup
	// may wait in a rebalance (Kafka's NewMemberJoinTimeoutMs): a client
	// that gave up and retried must not leave a defunct member behind for
	// ever.
	newMemberJoinTimeout = 5 * time.Minute
)

// Config configures a Coordinator. The zero value is usable: every field
// has a default.
type Config struct {
	// MinSessionTimeout and MaxSessionTimeout bound the session timeout a
	// member may ask for (outside: ErrInvalidSessionTimeout). Defaults 6 s
	// and 30 min. A short minimum detects dead consumers sooner but lets a
	// careless client set a timeout its GC pauses exceed.
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// InitialRebalanceDelay is how long the first rebalance of an empty
	// group waits for more members (extended while they keep coming, up to
	// the rebalance timeout), so that a starting fleet of consumers forms
	// one generation instead of many. Default 3 s; negative means none.
	InitialRebalanceDelay time.Duration
	// MaxGroupSize caps the members of a group (ErrGroupMaxSizeReached).
	// Default 0: unbounded.
	MaxGroupSize int
	// MaxOffsetMetadata caps a committed offset's metadata string
	// (ErrOffsetMetadataTooLarge). Default 4096 bytes.
	MaxOffsetMetadata int
	// Clock supplies time and timers. Default: the wall clock. Tests use a
	// ManualClock.
	Clock Clock
	// Persist is called with a group's new state, outside the
	// coordinator's lock and in order per group, when a rebalance
	// completes (SyncGroup of the leader, before any member gets its
	// assignment), when a static member is replaced in a stable group,
	// when a group becomes empty, and with State Dead when it is deleted
	// (which also drops its offsets). An error fails the request that
	// caused the write with ErrCoordinatorNotAvailable (or ErrNotCoordinator
	// if the error wraps it). Default nil: in memory only.
	Persist func(ctx context.Context, g GroupState) error
	// PersistOffsets is called, in order per group, with committed offsets
	// (set) and deleted ones (del) before the commit or delete is applied
	// and acknowledged; an error fails the request as for Persist.
	// Default nil: in memory only.
	PersistOffsets func(ctx context.Context, group string, set []CommittedOffset, del []TopicPartition) error
	// Logger gets rebalance decisions at Info and persist failures at Warn.
	// Default: discard.
	Logger *slog.Logger
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.MinSessionTimeout < 0 || c.MaxSessionTimeout < 0 {
		errs = append(errs, errors.New("session timeouts must not be negative"))
	}
	r := c.withDefaults()
	if r.MinSessionTimeout > r.MaxSessionTimeout {
		errs = append(errs, fmt.Errorf("MinSessionTimeout %v exceeds MaxSessionTimeout %v", r.MinSessionTimeout, r.MaxSessionTimeout))
	}
	if c.MaxGroupSize < 0 {
		errs = append(errs, errors.New("MaxGroupSize must not be negative"))
	}
	if c.MaxOffsetMetadata < 0 {
		errs = append(errs, errors.New("MaxOffsetMetadata must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("group: config: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = DefaultMinSessionTimeout
	}
	if c.MaxSessionTimeout == 0 {
		c.MaxSessionTimeout = DefaultMaxSessionTimeout
	}
	switch {
	case c.InitialRebalanceDelay == 0:
		c.InitialRebalanceDelay = DefaultInitialRebalanceDelay
	case c.InitialRebalanceDelay < 0:
		c.InitialRebalanceDelay = 0
	}
	if c.MaxOffsetMetadata == 0 {
		c.MaxOffsetMetadata = DefaultMaxOffsetMetadata
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

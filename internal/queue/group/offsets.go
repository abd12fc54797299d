package group

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// CommitOffsets commits offsets for a group (Kafka's handleCommitOffsets).
// A group-level error applies to every partition; otherwise each partition
// has its own (nil: committed). Offsets are persisted through
// Config.PersistOffsets before they are applied and acknowledged. Whether
// the topics exist is the caller's check.
func (c *Coordinator) CommitOffsets(ctx context.Context, r CommitRequest) ([]PartitionError, error) {
	c.mu.Lock()
	g, err := c.commitTargetLocked(r)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	now := c.clock.Now()
	perr := make([]PartitionError, len(r.Offsets))
	var set []CommittedOffset
	for i, o := range r.Offsets {
		perr[i] = PartitionError{Topic: o.Topic, Partition: o.Partition}
		if len(o.Metadata) > c.cfg.MaxOffsetMetadata {
			perr[i].Err = ErrOffsetMetadataTooLarge
			continue
		}
		set = append(set, CommittedOffset{
			Topic: o.Topic, Partition: o.Partition, Offset: o.Offset,
			LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata, CommitTime: now,
		})
	}
	c.mu.Unlock()
	if len(set) == 0 {
		return perr, nil
	}
	if err := c.applyOffsets(ctx, g, set, nil); err != nil {
		for i := range perr {
			if perr[i].Err == nil {
				perr[i].Err = err
			}
		}
	}
	return perr, nil
}

// commitTargetLocked validates a commit (Kafka's validateOffsetCommit) and
// returns the group, creating an empty one for a simple commit.
func (c *Coordinator) commitTargetLocked(r CommitRequest) (*group, error) {
	if err := c.checkLocked(r.Group, true); err != nil {
		return nil, err
	}
	g := c.groups[r.Group]
	if g == nil {
		if r.Generation >= 0 {
			return nil, ErrIllegalGeneration // a commit from a generation this coordinator never had
		}
		if r.MemberID != "" || r.InstanceID != "" {
			return nil, ErrUnknownMemberID
		}
		g = newGroup(r.Group, c.clock.Now())
		c.groups[r.Group] = g
		return g, nil
	}
	if g.state == Dead {
		return nil, ErrCoordinatorNotAvailable
	}
	if r.Generation < 0 && r.MemberID == "" && r.InstanceID == "" {
		// A simple commit: only while nobody consumes as a group member.
		if g.state != Empty && len(g.members) > 0 {
			return nil, ErrUnknownMemberID
		}
		return g, nil
	}
	switch {
	case g.isFenced(r.InstanceID, r.MemberID):
		return nil, ErrFencedInstanceID
	case g.members[r.MemberID] == nil:
		return nil, ErrUnknownMemberID
	case r.Generation != g.generation:
		return nil, ErrIllegalGeneration
	}
	switch g.state {
	case CompletingRebalance:
		// The member has its new generation but not its assignment yet.
		return nil, ErrRebalanceInProgress
	case Stable, PreparingRebalance:
		// Commits during a rebalance are allowed: the member learns of
		// the rebalance from its next heartbeat.
		m := g.members[r.MemberID]
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
	}
	return g, nil
}

// applyOffsets persists and then applies commits and deletions, in order
// per group.
func (c *Coordinator) applyOffsets(ctx context.Context, g *group, set []CommittedOffset, del []TopicPartition) error {
	g.persistMu.Lock()
	defer g.persistMu.Unlock()
	if c.cfg.PersistOffsets != nil {
		if err := c.cfg.PersistOffsets(ctx, g.id, set, del); err != nil {
			c.log.Warn("group: persisting offsets failed", "group", g.id, "err", err)
			return persistErr("persist offsets", g.id, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[g.id] != g {
		return fmt.Errorf("group: offsets %q: %w", g.id, ErrNotCoordinator)
	}
	for _, o := range set {
		g.offsets[TopicPartition{o.Topic, o.Partition}] = o
	}
	for _, tp := range del {
		delete(g.offsets, tp)
	}
	return nil
}

// FetchOffsets returns a group's committed offsets for parts (nil: all it
// has, ordered by topic and partition). A partition without a commit, or
// a group this coordinator does not know, gets Offset -1.
func (c *Coordinator) FetchOffsets(group string, parts []TopicPartition) ([]CommittedOffset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkLocked(group, true); err != nil {
		return nil, err
	}
	g := c.groups[group]
	if parts == nil {
		if g == nil {
			return nil, nil
		}
		out := make([]CommittedOffset, 0, len(g.offsets))
		for _, o := range g.offsets {
			out = append(out, o)
		}
		slices.SortFunc(out, func(a, b CommittedOffset) int {
			if n := strings.Compare(a.Topic, b.Topic); n != 0 {
				return n
			}
			return int(a.Partition) - int(b.Partition)
		})
		return out, nil
	}
	out := make([]CommittedOffset, len(parts))
	for i, tp := range parts {
		o, ok := CommittedOffset{}, false
		if g != nil {
			o, ok = g.offsets[tp]
		}
		if !ok {
			o = CommittedOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: -1, LeaderEpoch: -1}
		}
		out[i] = o
	}
	return out, nil
}

// DeleteOffsets deletes committed offsets (Kafka's handleDeleteOffsets,
// OffsetDelete): any partition of an empty group; of a consumer group
// with members, only partitions of topics no member subscribes to
// (others: ErrGroupSubscribedToTopic); none of another protocol type's
// group with members (ErrNonEmptyGroup).
func (c *Coordinator) DeleteOffsets(ctx context.Context, group string, parts []TopicPartition) ([]PartitionError, error) {
	c.mu.Lock()
	if err := c.checkLocked(group, false); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	g := c.groups[group]
	if g == nil || g.state == Dead {
		c.mu.Unlock()
		return nil, ErrGroupIDNotFound
	}
	perr := make([]PartitionError, len(parts))
	var del []TopicPartition
	switch {
	case g.state == Empty:
		del = parts
	case g.protocolType == "consumer":
		topics, known := g.subscribedTopics()
		for i, tp := range parts {
			if !known || topics[tp.Topic] {
				perr[i].Err = ErrGroupSubscribedToTopic
				continue
			}
			del = append(del, tp)
		}
	default:
		c.mu.Unlock()
		return nil, ErrNonEmptyGroup
	}
	for i, tp := range parts {
		perr[i].Topic, perr[i].Partition = tp.Topic, tp.Partition
	}
	c.mu.Unlock()
	if len(del) == 0 {
		return perr, nil
	}
	if err := c.applyOffsets(ctx, g, nil, del); err != nil {
		return nil, err
	}
	return perr, nil
}

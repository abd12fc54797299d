package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/batch"
	"triad/internal/queue/group"
	"triad/internal/queue/partition"
)

// OffsetsTopic is the internal topic holding consumer groups' state and
// committed offsets, in Kafka's record formats (kmsg's OffsetCommitKey/
// Value and GroupMetadataKey/Value), so tools that read Kafka's
// __consumer_offsets read Triad's.
const OffsetsTopic = "__consumer_offsets"

// groups is the group-coordination side of the service: one coordinator
// for every group whose offsets partition this node leads, loaded from
// that partition when leadership arrives.
type groups struct {
	coord *group.Coordinator

	mu     sync.Mutex
	loaded map[int32]uint64 // offsets partition → the term it was loaded for
	busy   map[int32]bool   // a load is running
}

func (s *Service) initGroups() {
	s.grp.loaded = map[int32]uint64{}
	s.grp.busy = map[int32]bool{}
	s.grp.coord = group.New(group.Config{
		InitialRebalanceDelay: s.cfg.GroupInitialRebalanceDelay,
		Persist:               s.persistGroup,
		PersistOffsets:        s.persistOffsets,
		Logger:                s.log.With("component", "groups"),
	})
}

// groupPartition is Kafka's choice of offsets partition for a group:
// abs(Java String.hashCode(group)) mod the partition count.
func groupPartition(groupID string, n int) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(groupID)) {
		h = 31*h + int32(u)
	}
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % int32(n)
}

// ensureOffsetsTopic creates the offsets topic on first use, as Kafka
// does: compacted, so only each key's latest record stays.
func (s *Service) ensureOffsetsTopic(ctx context.Context) (*topic, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	t := s.known(OffsetsTopic)
	if t != nil {
		return t, nil
	}
	err := s.createTopic(ctx, TopicSpec{
		Name: OffsetsTopic, Partitions: s.cfg.OffsetsPartitions, ReplicationFactor: -1,
		// Kafka's offsets topic settings: compacted, 100 MiB segments.
		Configs: map[string]string{ConfigCleanupPolicy: "compact", ConfigSegmentBytes: "104857600"},
	}, false)
	if err != nil && !errors.Is(err, ErrTopicExists) {
		return nil, fmt.Errorf("%w: create %s: %w", group.ErrCoordinatorNotAvailable, OffsetsTopic, err)
	}
	t = s.known(OffsetsTopic)
	if t == nil {
		return nil, fmt.Errorf("%w: %s is being created", group.ErrCoordinatorNotAvailable, OffsetsTopic)
	}
	return t, nil
}

// FindCoordinator answers the broker coordinating a group: the leader of
// its offsets partition.
func (s *Service) FindCoordinator(ctx context.Context, key string, keyType int8) (Broker, error) {
	if keyType != 0 {
		return Broker{}, fmt.Errorf("%w: transaction coordinators", ErrUnsupported)
	}
	t, err := s.ensureOffsetsTopic(ctx)
	if err != nil {
		return Broker{}, err
	}
	r := t.parts[groupPartition(key, len(t.parts))]
	node, _ := s.leaderOf(r)
	if node != 0 {
		for _, b := range s.brokerList() {
			if b.NodeID == s.brokerOf(node) {
				return b, nil
			}
		}
	}
	return Broker{}, fmt.Errorf("%w: the offsets partition of %q has no known leader", group.ErrCoordinatorNotAvailable, key)
}

// coordinator returns the coordinator for a group, if this node leads
// the group's offsets partition and has loaded it.
func (s *Service) coordinator(ctx context.Context, groupID string) (*group.Coordinator, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	t := s.known(OffsetsTopic)
	if t == nil {
		return nil, fmt.Errorf("%w: no offsets topic yet", group.ErrNotCoordinator)
	}
	pi := groupPartition(groupID, len(t.parts))
	r := t.parts[pi]
	if r.p == nil {
		return nil, group.ErrNotCoordinator
	}
	ld, err := s.host.Leadership(r.group)
	if err != nil || !ld.IsLeader {
		return nil, group.ErrNotCoordinator
	}
	s.grp.mu.Lock()
	loaded := s.grp.loaded[pi] == ld.Term
	s.grp.mu.Unlock()
	if !loaded {
		return nil, group.ErrCoordinatorLoadInProgress
	}
	return s.grp.coord, nil
}

// offsetsLeadership reacts to leadership changes of the offsets
// partitions: a gained one is loaded into the coordinator, a lost one's
// groups are unloaded. Called by watchLeadership.
func (s *Service) offsetsLeadership() {
	t := s.known(OffsetsTopic)
	if t == nil {
		return
	}
	for i, r := range t.parts {
		if r.p == nil {
			continue
		}
		pi := int32(i)
		ld, err := s.host.Leadership(r.group)
		leading := err == nil && ld.IsLeader
		s.grp.mu.Lock()
		term, had := s.grp.loaded[pi]
		busy := s.grp.busy[pi]
		switch {
		case leading && (!had || term != ld.Term) && !busy:
			s.grp.busy[pi] = true
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.loadOffsetsPartition(pi, len(t.parts), r, ld.Term)
			}()
		case !leading && had:
			delete(s.grp.loaded, pi)
			s.unloadGroups(pi, len(t.parts))
		}
		s.grp.mu.Unlock()
	}
}

func (s *Service) unloadGroups(pi int32, n int) {
	for _, g := range s.grp.coord.ListGroups(nil) {
		if groupPartition(g.Group, n) == pi {
			s.grp.coord.Unload(g.Group)
		}
	}
}

// loadOffsetsPartition reads an offsets partition from its start and
// installs its groups and offsets in the coordinator.
func (s *Service) loadOffsetsPartition(pi int32, n int, r *replica, term uint64) {
	defer func() {
		s.grp.mu.Lock()
		s.grp.busy[pi] = false
		s.grp.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := r.p.CatchUp(ctx, term); err != nil {
		s.log.Warn("queue: load offsets partition", "partition", pi, "err", err)
		return
	}
	st, err := readOffsetsPartition(r.p)
	if err != nil {
		s.log.Error("queue: load offsets partition", "partition", pi, "err", err)
		return
	}
	s.unloadGroups(pi, n)
	for g, gs := range st.groups {
		s.grp.coord.Load(*gs, offsetsList(st.offsets[g]))
	}
	for g, offs := range st.offsets {
		if st.groups[g] == nil {
			s.grp.coord.Load(group.GroupState{Group: g, State: group.Empty}, offsetsList(offs))
		}
	}
	s.grp.mu.Lock()
	s.grp.loaded[pi] = term
	s.grp.mu.Unlock()
	s.log.Debug("queue: loaded offsets partition", "partition", pi, "groups", len(st.groups), "term", term)
}

func offsetsList(m map[group.TopicPartition]group.CommittedOffset) []group.CommittedOffset {
	out := make([]group.CommittedOffset, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	return out
}

// offsetsState is an offsets partition's content, latest value per key.
type offsetsState struct {
	groups  map[string]*group.GroupState
	offsets map[string]map[group.TopicPartition]group.CommittedOffset
}

func readOffsetsPartition(p *partition.Partition) (*offsetsState, error) {
	st := &offsetsState{groups: map[string]*group.GroupState{}, offsets: map[string]map[group.TopicPartition]group.CommittedOffset{}}
	if err := p.Records(func(_ int64, r batch.Record) { st.apply(r.Key, r.Value) }); err != nil {
		return nil, err
	}
	return st, nil
}

// apply folds one record of the offsets topic into the state.
func (st *offsetsState) apply(key, value []byte) {
	if len(key) < 2 {
		return
	}
	switch version := int16(key[0])<<8 | int16(key[1]); version {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if k.ReadFrom(key) != nil {
			return
		}
		tp := group.TopicPartition{Topic: k.Topic, Partition: k.Partition}
		if value == nil {
			delete(st.offsets[k.Group], tp)
			return
		}
		var v kmsg.OffsetCommitValue
		if v.ReadFrom(value) != nil {
			return
		}
		m := st.offsets[k.Group]
		if m == nil {
			m = map[group.TopicPartition]group.CommittedOffset{}
			st.offsets[k.Group] = m
		}
		m[tp] = group.CommittedOffset{Topic: k.Topic, Partition: k.Partition, Offset: v.Offset, LeaderEpoch: v.LeaderEpoch, Metadata: v.Metadata, CommitTime: time.UnixMilli(v.CommitTimestamp)}
	case 2:
		var k kmsg.GroupMetadataKey
		if k.ReadFrom(key) != nil {
			return
		}
		if value == nil { // the group was deleted, with its offsets
			delete(st.groups, k.Group)
			delete(st.offsets, k.Group)
			return
		}
		var v kmsg.GroupMetadataValue
		if v.ReadFrom(value) != nil {
			return
		}
		gs := &group.GroupState{Group: k.Group, State: group.Empty, ProtocolType: v.ProtocolType, Generation: v.Generation, StateTime: time.UnixMilli(v.CurrentStateTimestamp)}
		if v.Protocol != nil {
			gs.Protocol = *v.Protocol
		}
		if v.Leader != nil {
			gs.Leader = *v.Leader
		}
		for _, m := range v.Members {
			ms := group.MemberState{MemberID: m.MemberID, ClientID: m.ClientID, ClientHost: m.ClientHost,
				RebalanceTimeout: time.Duration(m.RebalanceTimeoutMillis) * time.Millisecond,
				SessionTimeout:   time.Duration(m.SessionTimeoutMillis) * time.Millisecond,
				Metadata:         m.Subscription, Assignment: m.Assignment}
			if m.InstanceID != nil {
				ms.InstanceID = *m.InstanceID
			}
			gs.Members = append(gs.Members, ms)
		}
		if len(gs.Members) > 0 {
			gs.State = group.Stable
		}
		st.groups[k.Group] = gs
	}
}

// persistGroup writes a group's state to its offsets partition and waits
// for it to commit (group.Config.Persist).
func (s *Service) persistGroup(ctx context.Context, gs group.GroupState) error {
	key := (&kmsg.GroupMetadataKey{Version: 2, Group: gs.Group}).AppendTo(nil)
	rec := batch.Record{Key: key}
	if gs.State != group.Dead {
		v := kmsg.GroupMetadataValue{Version: 3, ProtocolType: gs.ProtocolType, Generation: gs.Generation, CurrentStateTimestamp: gs.StateTime.UnixMilli()}
		if gs.Protocol != "" {
			v.Protocol = &gs.Protocol
		}
		if gs.Leader != "" {
			v.Leader = &gs.Leader
		}
		for _, m := range gs.Members {
			mm := kmsg.GroupMetadataValueMember{MemberID: m.MemberID, ClientID: m.ClientID, ClientHost: m.ClientHost,
				RebalanceTimeoutMillis: int32(m.RebalanceTimeout / time.Millisecond),
				SessionTimeoutMillis:   int32(m.SessionTimeout / time.Millisecond),
				Subscription:           m.Metadata, Assignment: m.Assignment}
			if m.InstanceID != "" {
				mm.InstanceID = &m.InstanceID
			}
			v.Members = append(v.Members, mm)
		}
		rec.Value = v.AppendTo(nil)
	} else {
		// A deleted group: tombstones for its offsets too.
		recs := []batch.Record{rec}
		offs, _ := s.grp.coord.FetchOffsets(gs.Group, nil)
		for _, o := range offs {
			k := (&kmsg.OffsetCommitKey{Version: 1, Group: gs.Group, Topic: o.Topic, Partition: o.Partition}).AppendTo(nil)
			recs = append(recs, batch.Record{Key: k})
		}
		return s.writeOffsets(ctx, gs.Group, recs)
	}
	return s.writeOffsets(ctx, gs.Group, []batch.Record{rec})
}

// persistOffsets writes committed (and deleted) offsets
// (group.Config.PersistOffsets).
func (s *Service) persistOffsets(ctx context.Context, groupID string, set []group.CommittedOffset, del []group.TopicPartition) error {
	var recs []batch.Record
	for _, o := range set {
		k := (&kmsg.OffsetCommitKey{Version: 1, Group: groupID, Topic: o.Topic, Partition: o.Partition}).AppendTo(nil)
		v := (&kmsg.OffsetCommitValue{Version: 3, Offset: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: o.Metadata, CommitTimestamp: o.CommitTime.UnixMilli()}).AppendTo(nil)
		recs = append(recs, batch.Record{Key: k, Value: v})
	}
	for _, tp := range del {
		k := (&kmsg.OffsetCommitKey{Version: 1, Group: groupID, Topic: tp.Topic, Partition: tp.Partition}).AppendTo(nil)
		recs = append(recs, batch.Record{Key: k})
	}
	if len(recs) == 0 {
		return nil
	}
	return s.writeOffsets(ctx, groupID, recs)
}

// writeOffsets appends records to a group's offsets partition as one
// batch and waits until it is committed.
func (s *Service) writeOffsets(ctx context.Context, groupID string, recs []batch.Record) error {
	t := s.known(OffsetsTopic)
	if t == nil {
		return group.ErrNotCoordinator
	}
	r := t.parts[groupPartition(groupID, len(t.parts))]
	ld, err := s.host.Leadership(r.group)
	if r.p == nil || err != nil || !ld.IsLeader {
		return group.ErrNotCoordinator
	}
	now := s.cfg.Now().UnixMilli()
	for i := range recs {
		recs[i].OffsetDelta = int32(i)
	}
	tk, err := r.p.Produce(ctx, batch.Build(recs, now), partition.ProduceOptions{Term: ld.Term, NowMs: now, Limits: batch.Limits{MaxBatchBytes: 100 << 20}},
		func(data []byte) error { return s.host.Propose(ctx, r.group, data) })
	if err != nil {
		return fmt.Errorf("%w: %w", group.ErrNotCoordinator, err)
	}
	if res := tk.Wait(ctx); res.Err != nil {
		if errors.Is(res.Err, partition.ErrStale) {
			return fmt.Errorf("%w: %w", group.ErrNotCoordinator, res.Err)
		}
		return fmt.Errorf("%w: %w", group.ErrCoordinatorNotAvailable, res.Err)
	}
	return nil
}

// The Kafka front-end's group calls, routed to the coordinator.

func (s *Service) JoinGroup(ctx context.Context, r group.JoinRequest) group.JoinResponse {
	c, err := s.coordinator(ctx, r.Group)
	if err != nil {
		return group.JoinResponse{Err: err, Generation: -1, MemberID: r.MemberID}
	}
	return c.JoinGroup(ctx, r)
}

func (s *Service) SyncGroup(ctx context.Context, r group.SyncRequest) group.SyncResponse {
	c, err := s.coordinator(ctx, r.Group)
	if err != nil {
		return group.SyncResponse{Err: err}
	}
	return c.SyncGroup(ctx, r)
}

func (s *Service) Heartbeat(ctx context.Context, r group.HeartbeatRequest) error {
	c, err := s.coordinator(ctx, r.Group)
	if err != nil {
		return err
	}
	return c.Heartbeat(ctx, r)
}

func (s *Service) LeaveGroup(ctx context.Context, groupID string, members []group.LeaveMember) ([]error, error) {
	c, err := s.coordinator(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return c.LeaveGroup(ctx, groupID, members)
}

func (s *Service) CommitOffsets(ctx context.Context, r group.CommitRequest) ([]group.PartitionError, error) {
	c, err := s.coordinator(ctx, r.Group)
	if err != nil {
		return nil, err
	}
	return c.CommitOffsets(ctx, r)
}

func (s *Service) FetchOffsets(ctx context.Context, groupID string, parts []group.TopicPartition) ([]group.CommittedOffset, error) {
	c, err := s.coordinator(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return c.FetchOffsets(groupID, parts)
}

func (s *Service) DeleteOffsets(ctx context.Context, groupID string, parts []group.TopicPartition) ([]group.PartitionError, error) {
	c, err := s.coordinator(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return c.DeleteOffsets(ctx, groupID, parts)
}

func (s *Service) DescribeGroup(ctx context.Context, groupID string) (group.GroupDescription, error) {
	c, err := s.coordinator(ctx, groupID)
	if err != nil {
		return group.GroupDescription{Group: groupID}, err
	}
	return c.DescribeGroup(groupID), nil
}

// ListGroups lists the groups this node coordinates.
func (s *Service) ListGroups(ctx context.Context, states []string) ([]group.GroupListing, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	return s.grp.coord.ListGroups(states), nil
}

func (s *Service) DeleteGroup(ctx context.Context, groupID string) error {
	c, err := s.coordinator(ctx, groupID)
	if err != nil {
		return err
	}
	return c.DeleteGroup(ctx, groupID)
}

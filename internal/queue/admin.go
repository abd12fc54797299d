package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"triad/internal/raft"
)

// Cluster describes the brokers: every node that published its address.
// Any node serves the admin APIs (they write the coordination store), so
// each names itself the controller.
func (s *Service) Cluster(context.Context) (ClusterInfo, error) {
	return ClusterInfo{ID: s.cfg.ClusterID, ControllerID: s.cfg.BrokerID, Brokers: s.brokerList()}, nil
}

// TopicsQuery is what Metadata asks about topics.
type TopicsQuery struct {
	Names      []string
	All        bool
	AutoCreate bool
}

// Topics describes the topics q asks for, creating unknown ones when
// auto-creation is on and q allows it.
func (s *Service) Topics(ctx context.Context, q TopicsQuery) ([]TopicInfo, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	names := q.Names
	if q.All {
		s.mu.RLock()
		names = slices.Sorted(maps.Keys(s.topics))
		s.mu.RUnlock()
	}
	out := make([]TopicInfo, 0, len(names))
	for _, n := range names {
		t := s.known(n)
		if t == nil && q.AutoCreate && s.cfg.AutoCreate && !q.All {
			if err := ValidTopicName(n); err != nil {
				out = append(out, TopicInfo{Name: n, Err: err})
				continue
			}
			err := s.createTopic(ctx, TopicSpec{Name: n, Partitions: -1, ReplicationFactor: -1}, false)
			if err != nil && !errors.Is(err, ErrTopicExists) {
				out = append(out, TopicInfo{Name: n, Err: err})
				continue
			}
			t = s.known(n)
		}
		if t == nil {
			out = append(out, TopicInfo{Name: n, Err: fmt.Errorf("%w: %s", ErrUnknownTopicOrPartition, n)})
			continue
		}
		out = append(out, s.describe(n, t))
	}
	return out, nil
}

func (s *Service) describe(name string, t *topic) TopicInfo {
	ti := TopicInfo{Name: name, Internal: name == OffsetsTopic}
	for i, r := range t.parts {
		pi := PartitionInfo{ID: int32(i), Leader: -1, LeaderEpoch: -1}
		for _, n := range r.nodes {
			if b := s.brokerOf(n); b >= 0 {
				pi.Replicas = append(pi.Replicas, b)
			}
		}
		if node, term := s.leaderOf(r); node != 0 {
			if b := s.brokerOf(node); b >= 0 {
				pi.Leader, pi.LeaderEpoch = b, int32(term)
			}
		}
		if pi.Leader < 0 {
			pi.Err = ErrLeaderNotAvailable
		} else {
			pi.ISR = pi.Replicas
		}
		ti.Partitions = append(ti.Partitions, pi)
	}
	return ti
}

// CreateTopics creates topics; one error (or nil) per spec.
func (s *Service) CreateTopics(ctx context.Context, specs []TopicSpec, validateOnly bool) []error {
	out := make([]error, len(specs))
	for i, sp := range specs {
		out[i] = s.createTopic(ctx, sp, validateOnly)
	}
	return out
}

func (s *Service) createTopic(ctx context.Context, sp TopicSpec, validateOnly bool) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := ValidTopicName(sp.Name); err != nil {
		return err
	}
	n := sp.Partitions
	if n == -1 {
		n = s.cfg.DefaultPartitions
	}
	if n <= 0 {
		return fmt.Errorf("%w: number of partitions must be larger than 0", ErrInvalidPartitions)
	}
	nodes := s.nodes(ctx)
	rf := int(sp.ReplicationFactor)
	if rf == -1 {
		rf = min(3, len(nodes))
	}
	if rf <= 0 {
		return fmt.Errorf("%w: replication factor must be larger than 0", ErrInvalidReplication)
	}
	if rf > len(nodes) {
		return fmt.Errorf("%w: replication factor: %d larger than available brokers: %d", ErrInvalidReplication, rf, len(nodes))
	}
	if _, err := parseConfigs(sp.Configs); err != nil {
		return err
	}
	s.mu.RLock()
	exists := s.topics[sp.Name] != nil
	s.mu.RUnlock()
	if exists {
		return fmt.Errorf("%w: topic '%s' already exists", ErrTopicExists, sp.Name)
	}
	if validateOnly {
		return nil
	}
	first, err := s.cat.AllocateIDs(ctx, "group", uint64(n))
	if err != nil {
		return fmt.Errorf("%w: allocate groups: %w", ErrStorage, err)
	}
	rec := &topicRecord{Name: sp.Name, Configs: sp.Configs}
	for i := range n {
		rec.Partitions = append(rec.Partitions, partitionRecord{Group: first + uint64(i), Replicas: place(nodes, rf, int(i))})
	}
	ok, err := s.cat.CreateTopic(ctx, sp.Name, rec.encode())
	if err != nil {
		return fmt.Errorf("%w: store topic: %w", ErrStorage, err)
	}
	if !ok {
		return fmt.Errorf("%w: topic '%s' already exists", ErrTopicExists, sp.Name)
	}
	t, err := s.install(rec)
	if err != nil {
		return err
	}
	s.awaitLeaders(ctx, t)
	return nil
}

// place picks rf nodes for partition i, rotating the start so leaders
// and replicas spread over the nodes.
func place(nodes []uint64, rf, i int) []uint64 {
	out := make([]uint64, rf)
	for k := range rf {
		out[k] = nodes[(i+k)%len(nodes)]
	}
	return out
}

// awaitLeaders waits a little for a new topic's partitions to elect, so a
// client that produces right after creating finds leaders.
func (s *Service) awaitLeaders(ctx context.Context, t *topic) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for _, r := range t.parts {
		if r.p == nil {
			continue
		}
		for {
			ld, err := s.host.Leadership(r.group)
			if err != nil || ld.LeaderNode != 0 {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// topic returns a known topic, once the catalog is loaded.
func (s *Service) topic(ctx context.Context, name string) (*topic, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	t := s.known(name)
	if t == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownTopicOrPartition, name)
	}
	return t, nil
}

// DeleteTopics deletes topics by name; one error (or nil) per name.
func (s *Service) DeleteTopics(ctx context.Context, names []string) []error {
	out := make([]error, len(names))
	for i, n := range names {
		out[i] = s.deleteTopic(ctx, n)
	}
	return out
}

func (s *Service) deleteTopic(ctx context.Context, name string) error {
	if _, err := s.topic(ctx, name); err != nil {
		return err
	}
	ok, err := s.cat.DeleteTopic(ctx, name)
	if err != nil {
		return fmt.Errorf("%w: delete topic: %w", ErrStorage, err)
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownTopicOrPartition, name)
	}
	s.uninstall(name)
	return nil
}

// CreatePartitions grows a topic to count partitions.
func (s *Service) CreatePartitions(ctx context.Context, name string, count int32, validateOnly bool) error {
	t, err := s.topic(ctx, name)
	if err != nil {
		return err
	}
	have := int32(len(t.rec.Partitions))
	if count <= have {
		return fmt.Errorf("%w: topic currently has %d partitions, %d would not be an increase", ErrInvalidPartitions, have, count)
	}
	if validateOnly {
		return nil
	}
	first, err := s.cat.AllocateIDs(ctx, "group", uint64(count-have))
	if err != nil {
		return fmt.Errorf("%w: allocate groups: %w", ErrStorage, err)
	}
	rf := len(t.rec.Partitions[0].Replicas)
	rec := *t.rec
	rec.Partitions = slices.Clone(rec.Partitions)
	for i := have; i < count; i++ {
		rec.Partitions = append(rec.Partitions, partitionRecord{Group: first + uint64(i-have), Replicas: place(s.nodes(ctx), rf, int(i))})
	}
	if err := s.cat.UpdateTopic(ctx, name, rec.encode()); err != nil {
		return fmt.Errorf("%w: store topic: %w", ErrStorage, err)
	}
	nt, err := s.install(&rec)
	if err != nil {
		return err
	}
	s.awaitLeaders(ctx, nt)
	return nil
}

// DescribeConfigs lists a topic's configs (names nil: all of them).
func (s *Service) DescribeConfigs(ctx context.Context, name string, names []string) ([]ConfigEntry, error) {
	t, err := s.topic(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []ConfigEntry
	for _, k := range slices.Sorted(maps.Keys(configDefaults)) {
		if names != nil && !slices.Contains(names, k) {
			continue
		}
		v, set := t.rec.Configs[k]
		if !set {
			v = configDefaults[k]
		}
		out = append(out, ConfigEntry{Name: k, Value: v, IsDefault: !set})
	}
	return out, nil
}

// AlterConfigs changes a topic's configs: incremental applies ops; else
// the ops (all sets) replace the topic's configs whole, as AlterConfigs.
func (s *Service) AlterConfigs(ctx context.Context, name string, ops []ConfigOp, incremental, validateOnly bool) error {
	t, err := s.topic(ctx, name)
	if err != nil {
		return err
	}
	conf := map[string]string{}
	if incremental {
		maps.Copy(conf, t.rec.Configs)
	}
	for _, op := range ops {
		switch op.Op {
		case 0:
			conf[op.Name] = op.Value
		case 1:
			delete(conf, op.Name)
		default:
			return fmt.Errorf("%w: %s: append and subtract apply to list configs only", ErrInvalidConfig, op.Name)
		}
	}
	if _, err := parseConfigs(conf); err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	rec := *t.rec
	rec.Configs = conf
	if err := s.cat.UpdateTopic(ctx, name, rec.encode()); err != nil {
		return fmt.Errorf("%w: store topic: %w", ErrStorage, err)
	}
	_, err = s.install(&rec)
	return err
}

// producerIDBlock is how many producer IDs a node reserves at a time.
const producerIDBlock = 1000

// InitProducerID hands out a new idempotent producer ID, unique across
// the cluster (reserved in blocks from the catalog), with epoch 0.
func (s *Service) InitProducerID(ctx context.Context) (ProducerID, error) {
	s.pidMu.Lock()
	defer s.pidMu.Unlock()
	if s.pidN == 0 {
		first, err := s.cat.AllocateIDs(ctx, "producer", producerIDBlock)
		if err != nil {
			return ProducerID{}, fmt.Errorf("%w: allocate producer ids: %w", ErrStorage, err)
		}
		s.pidNext, s.pidN = first, producerIDBlock
	}
	id := s.pidNext
	s.pidNext++
	s.pidN--
	return ProducerID{ID: int64(id), Epoch: 0}, nil
}

// ListOffsets answers ListOffsets for one partition: EarliestTimestamp,
// LatestTimestamp (the high watermark) or the first offset at or after a
// timestamp.
func (s *Service) ListOffsets(_ context.Context, name string, part int32, ts int64, leaderEpoch int32) (Offset, error) {
	r, ld, err := s.readable(name, part, leaderEpoch)
	if err != nil {
		return Offset{}, err
	}
	o := Offset{Timestamp: -1, LeaderEpoch: int32(ld.Term)}
	start, hw := r.p.Offsets()
	switch ts {
	case LatestTimestamp:
		o.Offset = hw
	case EarliestTimestamp:
		o.Offset = start
	default:
		if ts < 0 {
			return Offset{}, fmt.Errorf("%w: timestamp %d", ErrInvalidRequest, ts)
		}
		off, t, err := r.p.OffsetForTime(ts)
		if err != nil {
			return Offset{}, mapErr(err)
		}
		o.Offset, o.Timestamp = off, t
	}
	return o, nil
}

// OffsetForLeaderEpoch answers the end offset of a leader epoch.
func (s *Service) OffsetForLeaderEpoch(_ context.Context, name string, part int32, leaderEpoch int32) (int64, int32, error) {
	_, r, _, err := s.lookup(name, part)
	if err != nil {
		return -1, -1, err
	}
	e, end := r.p.EpochEnd(leaderEpoch)
	return end, e, nil
}

// readable finds a partition this node leads and may serve reads of: it
// has caught up in its term, and the client's leader epoch (if it sent
// one) is the current term.
func (s *Service) readable(name string, part, leaderEpoch int32) (*replica, raft.Leadership, error) {
	_, r, ld, err := s.lookup(name, part)
	if err != nil {
		return nil, ld, err
	}
	if !r.p.CaughtUp(ld.Term) {
		return nil, ld, fmt.Errorf("%w: %s-%d: the new leader is catching up", ErrLeaderNotAvailable, name, part)
	}
	return r, ld, checkEpoch(leaderEpoch, ld.Term)
}

func checkEpoch(client int32, term uint64) error {
	switch {
	case client < 0:
		return nil
	case int64(client) > int64(term):
		return fmt.Errorf("%w: %d, leader's is %d", ErrUnknownLeaderEpoch, client, term)
	case int64(client) < int64(term):
		return fmt.Errorf("%w: %d, leader's is %d", ErrFencedLeaderEpoch, client, term)
	}
	return nil
}

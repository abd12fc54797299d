package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"triad/internal/queue/partition"
	"triad/internal/queue/producer"
	"triad/internal/raft"
	"triad/internal/storage"
)

// Config configures the queue service.
type Config struct {
	// BrokerID is this node's Kafka broker id (node.id).
	BrokerID int32
	// NodeID is this node's raft node ID: topics' replicas name it.
	NodeID uint64
	// ClusterID is the cluster id clients see.
	ClusterID string
	// Self returns this node's advertised Kafka address (the front-end
	// knows it once it listens).
	Self func() Broker
	// Members returns the raft node IDs of the cluster's voting members,
	// over which replicas are placed; nil: this node alone.
	Members func(ctx context.Context) ([]uint64, error)
	// AutoCreate creates unknown topics that Metadata asks for
	// (auto.create.topics.enable, default true in Kafka).
	AutoCreate bool
	// DefaultPartitions is num.partitions for created topics (3).
	DefaultPartitions int32
	// RetentionCheck is how often leaders apply retention
	// (log.retention.check.interval.ms, 5 minutes).
	RetentionCheck time.Duration
	// OffsetsPartitions is the partition count of the consumer offsets
	// topic (offsets.topic.num.partitions; Kafka's default is 50, Triad's
	// 10: each partition is a raft group). Fixed once the topic exists.
	OffsetsPartitions int32
	// GroupInitialRebalanceDelay is group.initial.rebalance.delay.ms (3 s;
	// negative: none).
	GroupInitialRebalanceDelay time.Duration
	// SnapshotEntries is how many entries a partition applies between
	// snapshots of its (small) state; default 10000.
	SnapshotEntries uint64
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{AutoCreate: true, DefaultPartitions: 3, RetentionCheck: 5 * time.Minute, SnapshotEntries: 10000, OffsetsPartitions: 10}
}

// Service is the queue: topics of partitions, each a raft group on the
// node's multi-raft host, whose records are stored in the group's log.
type Service struct {
	cfg  Config
	host *raft.Host
	cat  Catalog
	log  *slog.Logger

	mu      sync.RWMutex
	topics  map[string]*topic
	brokers map[uint64]brokerRecord // by node, from the catalog (cluster.go)
	leaders map[uint64]leaderRecord // by group, from the catalog
	closed  bool

	grp groups // consumer group coordination (groups.go)

	pidMu         sync.Mutex
	pidNext, pidN uint64 // a block of producer IDs reserved from the catalog

	loaded  chan struct{} // closed once the topics are loaded
	loadErr error         // set before loaded closes, if loading failed for good

	stop      chan struct{}
	draining  chan struct{} // closed by Drain: long polls answer at once
	drainOnce sync.Once
	wg        sync.WaitGroup
}

// topic is a topic as this node knows it.
type topic struct {
	rec   *topicRecord
	conf  topicConfig
	parts []*replica // by partition ID
}

// replica is a partition as this node holds it.
type replica struct {
	group uint64
	nodes []uint64
	p     *partition.Partition // nil if this node holds no replica
}

// New returns a queue service on host, with topics in cat. Start loads
// the topics.
func New(cfg Config, host *raft.Host, cat Catalog) *Service {
	d := DefaultConfig()
	if cfg.DefaultPartitions <= 0 {
		cfg.DefaultPartitions = d.DefaultPartitions
	}
	if cfg.RetentionCheck <= 0 {
		cfg.RetentionCheck = d.RetentionCheck
	}
	if cfg.SnapshotEntries == 0 {
		cfg.SnapshotEntries = d.SnapshotEntries
	}
	if cfg.OffsetsPartitions <= 0 {
		cfg.OffsetsPartitions = d.OffsetsPartitions
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, host: host, cat: cat, log: cfg.Logger, topics: map[string]*topic{}, brokers: map[uint64]brokerRecord{}, leaders: map[uint64]leaderRecord{}, stop: make(chan struct{}), draining: make(chan struct{}), loaded: make(chan struct{})}
	s.initGroups()
	return s
}

// Start loads every topic from the catalog and starts the replicas this
// node holds, in the background (the catalog may wait for the
// coordination cluster to elect a leader), then runs the background loops
// (leadership, retention). Requests wait for the load (bounded by their
// context).
func (s *Service) Start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			err := s.load()
			if err == nil {
				break
			}
			s.log.Warn("queue: loading topics", "err", err)
			select {
			case <-s.stop:
				s.loadErr = fmt.Errorf("%w: stopped before the topics were loaded", ErrStorage)
				close(s.loaded)
				return
			case <-time.After(time.Second):
			}
		}
		close(s.loaded)
		s.wg.Add(3)
		go func() { defer s.wg.Done(); s.watchLeadership() }()
		go func() { defer s.wg.Done(); s.retentionLoop() }()
		go func() { defer s.wg.Done(); s.follow() }()
	}()
}

func (s *Service) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.publishSelf(ctx); err != nil {
		return fmt.Errorf("queue: publish this broker: %w", err)
	}
	if err := s.loadBrokersAndLeaders(ctx); err != nil {
		return fmt.Errorf("queue: load brokers: %w", err)
	}
	recs, err := s.cat.LoadTopics(ctx)
	if err != nil {
		return fmt.Errorf("queue: load topics: %w", err)
	}
	for name, b := range recs {
		rec, err := decodeTopicRecord(b)
		if err != nil {
			return fmt.Errorf("queue: topic %q: %w", name, err)
		}
		if _, err := s.install(rec); err != nil {
			return err
		}
	}
	return nil
}

// ready waits until the topics are loaded.
func (s *Service) ready(ctx context.Context) error {
	select {
	case <-s.loaded:
		return s.loadErr
	case <-ctx.Done():
		return fmt.Errorf("%w: topics are still loading", ErrLeaderNotAvailable)
	}
}

// Drain makes waiting fetches answer now with what they have, and later
// ones not wait: the first step of a graceful shutdown.
func (s *Service) Drain() { s.drainOnce.Do(func() { close(s.draining) }) }

// Close stops the background loops. The partitions' groups stop with the
// host.
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.Drain()
	close(s.stop)
	s.wg.Wait()
	s.grp.coord.Close()
}

// install makes rec known and starts this node's replicas of it (a group
// whose only voter is this node campaigns at once).
func (s *Service) install(rec *topicRecord) (*topic, error) {
	conf, err := parseConfigs(rec.Configs)
	if err != nil {
		return nil, fmt.Errorf("queue: topic %q: %w", rec.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A topic value is never changed once published (readers use it
	// without the lock): a new one replaces it, sharing the replicas.
	t := &topic{rec: rec, conf: conf}
	if old := s.topics[rec.Name]; old != nil {
		t.parts = slices.Clone(old.parts)
	}
	defer func() { s.topics[rec.Name] = t }()
	for i, pr := range rec.Partitions {
		if i < len(t.parts) {
			continue
		}
		r := &replica{group: pr.Group, nodes: pr.Replicas}
		if slices.Contains(pr.Replicas, s.cfg.NodeID) {
			lg := &groupLog{host: s.host, group: pr.Group}
			p := partition.New(partition.Config{Topic: rec.Name, Partition: int32(i), Producer: producer.Config{}, Logger: s.log}, lg)
			gc := raft.GroupConfig{
				ID: pr.Group, Peers: pr.Replicas, StateMachine: p, RetainLog: true, SnapshotEntries: s.cfg.SnapshotEntries,
				Persisted: p.Persisted,
			}
			if conf.segmentSet {
				gc.SegmentBytes = conf.segmentBytes // the log's segments are the topic's (fixed when the replica starts)
			}
			err := s.host.CreateGroup(gc)
			if err != nil && !errors.Is(err, raft.ErrGroupExists) {
				return nil, fmt.Errorf("queue: topic %q partition %d: %w", rec.Name, i, err)
			}
			r.p = p
			if len(pr.Replicas) == 1 { // the sole voter: lead now, not after an election timeout
				if err := s.host.Campaign(pr.Group); err != nil {
					s.log.Warn("queue: campaign", "topic", rec.Name, "partition", i, "err", err)
				}
			}
		}
		t.parts = append(t.parts, r)
	}
	return t, nil
}

// known returns the topic named name, nil if there is none.
func (s *Service) known(name string) *topic {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.topics[name]
}

// groupSegments is a partition's raft group as partition.Segments.
type groupSegments struct {
	host  *raft.Host
	group uint64
}

func (g groupSegments) SealedBelowSnapshot() ([]storage.SegmentInfo, error) {
	return g.host.SealedBelowSnapshot(g.group)
}

func (g groupSegments) RewriteSegment(first uint64, fn func(uint64, []byte) []byte) (bool, error) {
	return g.host.RewriteSegment(g.group, first, fn)
}

// groupLog is a partition's raft group as partition.Log.
type groupLog struct {
	host  *raft.Host
	group uint64
}

func (l *groupLog) ReadEntries(lo, hi, maxBytes uint64) ([]raft.Committed, error) {
	return l.host.ReadEntries(l.group, lo, hi, maxBytes)
}

func (l *groupLog) EntryRegions(idx []uint64, skip int64) (partition.RecordSet, error) {
	r, err := l.host.EntryRegions(l.group, idx, skip)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (l *groupLog) DropLogBefore(index uint64) error { return l.host.DropLogBefore(l.group, index) }

// lookup finds a partition this node leads, with its leadership term.
func (s *Service) lookup(name string, part int32) (*topic, *replica, raft.Leadership, error) {
	select {
	case <-s.loaded:
	default:
		return nil, nil, raft.Leadership{}, fmt.Errorf("%w: topics are still loading", ErrLeaderNotAvailable)
	}
	t := s.known(name)
	if t == nil || part < 0 || int(part) >= len(t.parts) {
		return nil, nil, raft.Leadership{}, fmt.Errorf("%w: %s-%d", ErrUnknownTopicOrPartition, name, part)
	}
	r := t.parts[part]
	if r.p == nil {
		return nil, nil, raft.Leadership{}, fmt.Errorf("%w: %s-%d has no replica here", ErrNotLeader, name, part)
	}
	ld, err := s.host.Leadership(r.group)
	if err != nil {
		return nil, nil, raft.Leadership{}, fmt.Errorf("%w: %s-%d: %w", ErrStorage, name, part, err)
	}
	if !ld.IsLeader {
		if ld.LeaderNode == 0 || s.brokerOf(ld.LeaderNode) < 0 {
			return nil, nil, ld, fmt.Errorf("%w: %s-%d is electing", ErrLeaderNotAvailable, name, part)
		}
		return nil, nil, ld, fmt.Errorf("%w: %s-%d", ErrNotLeader, name, part)
	}
	return t, r, ld, nil
}

// watchLeadership tells partitions that lost leadership to fail their
// waiting produces (clients then refresh metadata and retry).
func (s *Service) watchLeadership() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	led := map[*partition.Partition]uint64{}
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.offsetsLeadership()
		for _, r := range s.localReplicas() {
			ld, err := s.host.Leadership(r.group)
			term, was := led[r.p]
			switch {
			case err == nil && ld.IsLeader:
				if was && term != ld.Term {
					r.p.LeadershipLost()
				}
				led[r.p] = ld.Term
				s.recordLeadership(r.group, ld.Term)
			case was:
				r.p.LeadershipLost()
				delete(led, r.p)
			}
		}
	}
}

func (s *Service) localReplicas() []*replica {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*replica
	for _, t := range s.topics {
		for _, r := range t.parts {
			if r.p != nil {
				out = append(out, r)
			}
		}
	}
	return out
}

// retentionLoop applies retention.ms and retention.bytes on the
// partitions this node leads, every RetentionCheck.
func (s *Service) retentionLoop() {
	t := time.NewTicker(s.cfg.RetentionCheck)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.applyRetention()
	}
}

func (s *Service) applyRetention() {
	s.mu.RLock()
	type job struct {
		r    *replica
		conf topicConfig
	}
	var jobs []job
	for _, t := range s.topics {
		for _, r := range t.parts {
			if r.p != nil {
				jobs = append(jobs, job{r, t.conf})
			}
		}
	}
	s.mu.RUnlock()
	now := s.cfg.Now().UnixMilli()
	for _, j := range jobs {
		if j.conf.compacts() {
			// Every replica compacts its own log.
			if n, err := j.r.p.Compact(groupSegments{s.host, j.r.group}, now-j.conf.deleteRetentionMs); err != nil {
				s.log.Warn("queue: compaction", "group", j.r.group, "err", err)
			} else if n > 0 {
				s.log.Debug("queue: compacted", "group", j.r.group, "segments", n)
			}
		}
		if !j.conf.deletes() {
			continue
		}
		ld, err := s.host.Leadership(j.r.group)
		if err != nil || !ld.IsLeader {
			continue
		}
		start, ok := j.r.p.RetentionPoint(now, j.conf.retentionMs, j.conf.retentionBytes)
		if !ok {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = j.r.p.ProposeLogStart(ctx, ld.Term, start, now, func(data []byte) error {
			return s.host.Propose(ctx, j.r.group, data)
		})
		cancel()
		if err != nil {
			s.log.Warn("queue: retention", "group", j.r.group, "err", err)
		}
	}
}

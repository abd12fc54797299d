package kafka

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"triad/internal/queue"
	"triad/internal/queue/batch"
	"triad/internal/queue/group"
)

// fakeBackend is an in-memory queue service on one node: topics of
// partitions that store produced batches with their base offsets stamped,
// fetches that long-poll for them, topic administration, and a real group
// coordinator (in memory, no rebalance delay, sessions from 100 ms) whose
// coordinator is this node. Tests drive the handlers through it with real
// clients.
type fakeBackend struct {
	srv   *Server // for Cluster's default: this node alone
	coord *group.Coordinator

	// Fixed answers, for the metadata tests: cluster if ID is set, infos
	// for topics the log does not hold.
	cluster queue.ClusterInfo
	infos   map[string]queue.TopicInfo
	queries chan TopicsQuery // receives every Topics query if set

	// produceGate, if set, holds every acks≠0 produce's wait until closed.
	produceGate chan struct{}
	// waited receives the acks of every produce whose wait ran, if set.
	waited chan int16
	// appended receives a value after each Produce has appended, and
	// fetching each time a Fetch starts waiting, if set.
	appended, fetching chan struct{}
	// maxWait caps a fetch's wait (the fuzz target's huge max_wait_ms).
	maxWait time.Duration

	mu      sync.Mutex
	topics  map[string]*fakeTopic
	changed chan struct{} // closed and replaced on every append
	nextPID int64
}

type fakeTopic struct {
	parts   []*fakeLog
	configs map[string]string
}

type fakeLog struct {
	batches [][]byte // stamped
	bases   []int64
	maxTS   []int64
	end     int64 // high watermark: every append is "committed" at once
}

// fakeDefaults are the topic config defaults the fake reports.
var fakeDefaults = map[string]string{
	queue.ConfigRetentionMs: "604800000", queue.ConfigRetentionBytes: "-1", queue.ConfigSegmentBytes: "1073741824",
	queue.ConfigCleanupPolicy: "delete", queue.ConfigMinInsyncReplicas: "1", queue.ConfigMaxMessageBytes: "1048588",
}

const fakeEpoch = 1

// fakeMaxPartitions caps a topic's partitions: the fuzz target asks for
// millions.
const fakeMaxPartitions = 1000

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		topics: make(map[string]*fakeTopic), changed: make(chan struct{}),
		coord: group.New(group.Config{InitialRebalanceDelay: -1, MinSessionTimeout: 100 * time.Millisecond}),
	}
}

// withTopic adds a topic of n partitions.
func (f *fakeBackend) withTopic(name string, n int) *fakeBackend {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addLocked(name, n, nil)
	return f
}

func (f *fakeBackend) addLocked(name string, n int, configs map[string]string) {
	t := &fakeTopic{configs: make(map[string]string)}
	maps.Copy(t.configs, configs)
	for range n {
		t.parts = append(t.parts, &fakeLog{})
	}
	f.topics[name] = t
}

func (f *fakeBackend) self() queue.Broker {
	if f.srv == nil {
		return queue.Broker{NodeID: 0, Host: "localhost", Port: 9092}
	}
	return f.srv.self()
}

func (f *fakeBackend) Cluster(context.Context) (queue.ClusterInfo, error) {
	if f.cluster.ID != "" {
		return f.cluster, nil
	}
	me := f.self()
	return queue.ClusterInfo{ID: "fake", ControllerID: me.NodeID, Brokers: []queue.Broker{me}}, nil
}

func (f *fakeBackend) Topics(_ context.Context, q TopicsQuery) ([]queue.TopicInfo, error) {
	if f.queries != nil {
		f.queries <- q
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	names := q.Names
	if q.All {
		names = slices.Sorted(maps.Keys(f.topics))
		for n := range f.infos {
			if f.topics[n] == nil {
				names = append(names, n)
			}
		}
	}
	out := make([]queue.TopicInfo, 0, len(names))
	for _, n := range names {
		if ti, ok := f.infos[n]; ok {
			out = append(out, ti)
			continue
		}
		t := f.topics[n]
		if t == nil {
			out = append(out, queue.TopicInfo{Name: n, Err: queue.ErrUnknownTopicOrPartition})
			continue
		}
		ti := queue.TopicInfo{Name: n}
		me := f.self().NodeID
		for i := range t.parts {
			ti.Partitions = append(ti.Partitions, queue.PartitionInfo{
				ID: int32(i), Leader: me, LeaderEpoch: fakeEpoch, Replicas: []int32{me}, ISR: []int32{me},
			})
		}
		out = append(out, ti)
	}
	return out, nil
}

func (f *fakeBackend) logLocked(topic string, partition int32) (*fakeLog, error) {
	t := f.topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.parts) {
		return nil, fmt.Errorf("%s/%d: %w", topic, partition, queue.ErrUnknownTopicOrPartition)
	}
	return t.parts[partition], nil
}

func (f *fakeBackend) Produce(_ context.Context, reqs []queue.ProduceRequest) func(context.Context) []queue.ProduceResult {
	out := make([]queue.ProduceResult, len(reqs))
	f.mu.Lock()
	for i, r := range reqs {
		out[i] = f.appendLocked(r)
	}
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	if f.appended != nil {
		f.appended <- struct{}{}
	}
	acks := int16(0)
	if len(reqs) > 0 {
		acks = reqs[0].Acks
	}
	return func(ctx context.Context) []queue.ProduceResult {
		if f.produceGate != nil && acks != 0 {
			select {
			case <-f.produceGate:
			case <-ctx.Done():
			}
		}
		if f.waited != nil {
			f.waited <- acks
		}
		return out
	}
}

func (f *fakeBackend) appendLocked(r queue.ProduceRequest) queue.ProduceResult {
	fail := queue.ProduceResult{BaseOffset: -1, LogAppendTime: -1, LogStartOffset: -1}
	l, err := f.logLocked(r.Topic, r.Partition)
	if err != nil {
		fail.Err = err
		return fail
	}
	bs, err := batch.ParseBatches(r.Records, batch.Limits{})
	if err != nil {
		fail.Err = err
		return fail
	}
	base := l.end
	for _, b := range bs {
		raw := slices.Clone(b.Raw)
		batch.SetBaseOffset(raw, l.end)
		batch.SetLeaderEpoch(raw, fakeEpoch)
		l.batches, l.bases, l.maxTS = append(l.batches, raw), append(l.bases, l.end), append(l.maxTS, b.MaxTimestamp)
		l.end += int64(b.LastOffsetDelta) + 1
	}
	return queue.ProduceResult{BaseOffset: base, LogAppendTime: -1, LogStartOffset: 0}
}

func (f *fakeBackend) Fetch(ctx context.Context, req queue.FetchRequest) ([]queue.FetchResult, error) {
	wait := req.MaxWait
	if f.maxWait > 0 {
		wait = min(wait, f.maxWait)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		f.mu.Lock()
		out, n := f.readLocked(req)
		changed := f.changed
		f.mu.Unlock()
		if n >= int(req.MinBytes) {
			return out, nil
		}
		if f.fetching != nil {
			f.fetching <- struct{}{}
		}
		select {
		case <-changed:
		case <-timer.C:
			return out, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fakeBackend) readLocked(req queue.FetchRequest) ([]queue.FetchResult, int) {
	out := make([]queue.FetchResult, len(req.Partitions))
	total := 0
	for i, p := range req.Partitions {
		r := &out[i]
		r.Topic, r.Partition = p.Topic, p.Partition
		l, err := f.logLocked(p.Topic, p.Partition)
		if err != nil {
			r.Err = err
			continue
		}
		r.HighWatermark = l.end
		if p.Offset < 0 || p.Offset > l.end {
			r.Err = queue.ErrOffsetOutOfRange
			continue
		}
		var recs queue.RecordBytes
		for j, b := range l.batches {
			if next := nextBase(l, j); next <= p.Offset {
				continue
			}
			over := len(recs)+len(b) > int(p.MaxBytes) || total+len(b) > int(req.MaxBytes)
			if over && (len(recs) > 0 || total > 0) {
				break
			}
			recs = append(recs, b...)
			total += len(b)
		}
		if recs != nil {
			r.Records = recs
		}
	}
	return out, total
}

// nextBase is the offset after batch j.
func nextBase(l *fakeLog, j int) int64 {
	if j+1 < len(l.bases) {
		return l.bases[j+1]
	}
	return l.end
}

func (f *fakeBackend) ListOffsets(_ context.Context, topic string, partition int32, ts int64, _ int32) (queue.Offset, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.logLocked(topic, partition)
	if err != nil {
		return queue.Offset{}, err
	}
	switch {
	case ts == queue.LatestTimestamp:
		return queue.Offset{Offset: l.end, Timestamp: -1, LeaderEpoch: fakeEpoch}, nil
	case ts == queue.EarliestTimestamp:
		return queue.Offset{Offset: 0, Timestamp: -1, LeaderEpoch: fakeEpoch}, nil
	case ts < 0:
		return queue.Offset{}, fmt.Errorf("%w: timestamp %d", queue.ErrUnsupported, ts)
	}
	for j, m := range l.maxTS {
		if m >= ts {
			return queue.Offset{Offset: l.bases[j], Timestamp: m, LeaderEpoch: fakeEpoch}, nil
		}
	}
	return queue.Offset{Offset: -1, Timestamp: -1, LeaderEpoch: fakeEpoch}, nil
}

func validTopicName(n string) bool {
	if n == "" || n == "." || n == ".." || len(n) > 249 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkConfigs(configs map[string]string) error {
	for k, v := range configs {
		if _, ok := fakeDefaults[k]; !ok {
			return fmt.Errorf("%w: unknown config %s", queue.ErrInvalidConfig, k)
		}
		if k != queue.ConfigCleanupPolicy {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("%w: %s=%q", queue.ErrInvalidConfig, k, v)
			}
		}
	}
	return nil
}

func (f *fakeBackend) CreateTopics(_ context.Context, specs []queue.TopicSpec, validateOnly bool) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(specs))
	for i, s := range specs {
		n := s.Partitions
		if n == -1 {
			n = 3
		}
		switch {
		case !validTopicName(s.Name):
			errs[i] = fmt.Errorf("%w: %q", queue.ErrInvalidTopic, s.Name)
		case f.topics[s.Name] != nil:
			errs[i] = fmt.Errorf("%w: %s", queue.ErrTopicExists, s.Name)
		case n <= 0 || n > fakeMaxPartitions:
			errs[i] = queue.ErrInvalidPartitions
		case s.ReplicationFactor > 1:
			errs[i] = fmt.Errorf("%w: %d on one node", queue.ErrInvalidReplication, s.ReplicationFactor)
		default:
			errs[i] = checkConfigs(s.Configs)
		}
		if errs[i] == nil && !validateOnly {
			f.addLocked(s.Name, int(n), s.Configs)
		}
	}
	return errs
}

func (f *fakeBackend) DeleteTopics(_ context.Context, names []string) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(names))
	for i, n := range names {
		if f.topics[n] == nil {
			errs[i] = queue.ErrUnknownTopicOrPartition
			continue
		}
		delete(f.topics, n)
	}
	return errs
}

func (f *fakeBackend) CreatePartitions(_ context.Context, topic string, count int32, validateOnly bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[topic]
	switch {
	case t == nil:
		return queue.ErrUnknownTopicOrPartition
	case int(count) <= len(t.parts):
		return fmt.Errorf("%w: topic has %d partitions, asked for %d", queue.ErrInvalidPartitions, len(t.parts), count)
	case count > fakeMaxPartitions:
		return fmt.Errorf("%w: at most %d partitions", queue.ErrInvalidPartitions, fakeMaxPartitions)
	}
	for !validateOnly && len(t.parts) < int(count) {
		t.parts = append(t.parts, &fakeLog{})
	}
	return nil
}

func (f *fakeBackend) DescribeConfigs(_ context.Context, topic string, names []string) ([]queue.ConfigEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[topic]
	if t == nil {
		return nil, queue.ErrUnknownTopicOrPartition
	}
	if names == nil {
		names = slices.Sorted(maps.Keys(fakeDefaults))
	}
	var out []queue.ConfigEntry
	for _, n := range names {
		def, ok := fakeDefaults[n]
		if !ok {
			continue
		}
		if v, ok := t.configs[n]; ok {
			out = append(out, queue.ConfigEntry{Name: n, Value: v})
		} else {
			out = append(out, queue.ConfigEntry{Name: n, Value: def, IsDefault: true})
		}
	}
	return out, nil
}

func (f *fakeBackend) AlterConfigs(_ context.Context, topic string, ops []queue.ConfigOp, incremental, validateOnly bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[topic]
	if t == nil {
		return queue.ErrUnknownTopicOrPartition
	}
	next := make(map[string]string)
	if incremental {
		maps.Copy(next, t.configs)
	}
	for _, op := range ops {
		switch op.Op {
		case 0:
			next[op.Name] = op.Value
		case 1:
			delete(next, op.Name)
		default:
			return fmt.Errorf("%w: op %d on %s", queue.ErrInvalidConfig, op.Op, op.Name)
		}
	}
	if err := checkConfigs(next); err != nil {
		return err
	}
	if !validateOnly {
		t.configs = next
	}
	return nil
}

func (f *fakeBackend) InitProducerID(context.Context, *string) (queue.ProducerID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextPID++
	return queue.ProducerID{ID: 1000 + f.nextPID}, nil
}

func (f *fakeBackend) OffsetForLeaderEpoch(_ context.Context, topic string, partition int32, epoch int32) (int64, int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.logLocked(topic, partition)
	if err != nil {
		return -1, -1, err
	}
	if epoch < fakeEpoch {
		return 0, fakeEpoch, nil // no batch before epoch 1
	}
	return l.end, fakeEpoch, nil
}

// Group coordination: this node coordinates every group.

func (f *fakeBackend) FindCoordinator(_ context.Context, _ string, keyType int8) (queue.Broker, error) {
	if keyType != 0 {
		return queue.Broker{}, fmt.Errorf("%w: transactions", queue.ErrUnsupported)
	}
	return f.self(), nil
}

// groupCtx bounds a waiting group call by maxWait, if set (the fuzz
// target's rebalances would otherwise wait for members that never rejoin).
func (f *fakeBackend) groupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.maxWait > 0 {
		return context.WithTimeout(ctx, f.maxWait)
	}
	return ctx, func() {}
}

func (f *fakeBackend) JoinGroup(ctx context.Context, r group.JoinRequest) group.JoinResponse {
	ctx, cancel := f.groupCtx(ctx)
	defer cancel()
	return f.coord.JoinGroup(ctx, r)
}

func (f *fakeBackend) SyncGroup(ctx context.Context, r group.SyncRequest) group.SyncResponse {
	ctx, cancel := f.groupCtx(ctx)
	defer cancel()
	return f.coord.SyncGroup(ctx, r)
}

func (f *fakeBackend) Heartbeat(ctx context.Context, r group.HeartbeatRequest) error {
	return f.coord.Heartbeat(ctx, r)
}

func (f *fakeBackend) LeaveGroup(ctx context.Context, g string, members []group.LeaveMember) ([]error, error) {
	return f.coord.LeaveGroup(ctx, g, members)
}

func (f *fakeBackend) CommitOffsets(ctx context.Context, r group.CommitRequest) ([]group.PartitionError, error) {
	return f.coord.CommitOffsets(ctx, r)
}

func (f *fakeBackend) FetchOffsets(_ context.Context, g string, parts []group.TopicPartition) ([]group.CommittedOffset, error) {
	return f.coord.FetchOffsets(g, parts)
}

func (f *fakeBackend) DeleteOffsets(ctx context.Context, g string, parts []group.TopicPartition) ([]group.PartitionError, error) {
	return f.coord.DeleteOffsets(ctx, g, parts)
}

func (f *fakeBackend) DescribeGroup(_ context.Context, g string) (group.GroupDescription, error) {
	return f.coord.DescribeGroup(g), nil
}

func (f *fakeBackend) ListGroups(_ context.Context, states []string) ([]group.GroupListing, error) {
	return f.coord.ListGroups(states), nil
}

func (f *fakeBackend) DeleteGroup(ctx context.Context, g string) error {
	return f.coord.DeleteGroup(ctx, g)
}

package coord

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	"triad/internal/raft"
)

// Service defaults.
const (
	// DefaultGroupID is the raft group of the coordination store.
	DefaultGroupID = 1
	// DefaultRequestTimeout bounds a write from proposal to apply, as
	// etcd's 5 s request timeout plus two election timeouts.
	DefaultRequestTimeout = 7 * time.Second
	// tickInterval paces the service loop: watcher catch-up (etcd: 100 ms)
	// and leadership checks.
	tickInterval = 100 * time.Millisecond
	// expiryInterval paces lease expiry on the leader (etcd: 500 ms).
	expiryInterval = 500 * time.Millisecond
	// DefaultSnapshotEntries is etcd's --snapshot-count default: the store
	// is snapshotted whole, so not too often; the raft log holds what lies
	// between (restart replays it).
	DefaultSnapshotEntries = 100_000
	// DefaultProgressInterval is how often watchers that asked for
	// progress notifications get one when idle (etcd: 10 minutes).
	DefaultProgressInterval = 10 * time.Minute
)

// ServiceConfig configures a Service.
type ServiceConfig struct {
	// Host runs the raft group; required.
	Host *raft.Host
	// GroupID is the group's ID; default DefaultGroupID.
	GroupID uint64
	// Self is this member's ID (its raft node and replica ID), name, peer
	// URLs and client URLs; ID required. The service publishes it.
	Self *pb.Member
	// Peers are the initial voters' member IDs, for a cluster's first
	// start; empty to join an existing cluster (after MemberAdd) or when
	// the data directory already holds the group.
	Peers []uint64
	// ClusterID goes into every response header.
	ClusterID uint64
	// Store tunes the state machine.
	Store Config
	// AutoCompactRevisions, when positive, makes the leader compact the
	// history to the newest AutoCompactRevisions revisions every
	// AutoCompactInterval (etcd's --auto-compaction-mode=revision). The
	// store keeps its history in memory, so unbounded history is unbounded
	// memory.
	AutoCompactRevisions int64
	// AutoCompactInterval defaults to 5 minutes, as etcd's revision mode.
	AutoCompactInterval time.Duration
	// SnapshotEntries is how many entries separate two snapshots of the
	// store (each is the whole kept history); default
	// DefaultSnapshotEntries.
	SnapshotEntries uint64
	// RequestTimeout: default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ProgressInterval: default DefaultProgressInterval.
	ProgressInterval time.Duration
	// OnMember is called (from the apply goroutine) with each member's
	// published attributes as they are applied, and for every known member
	// at start: the caller points its peer transport at PeerURLs. Removed
	// members are reported with RemovedMember.
	OnMember func(m *pb.Member)
	// OnRemoved is called when a member is removed from the cluster.
	OnRemoved func(id uint64)
	// PublishVia sends this member's attributes to the leader, whose
	// Publish records them (followers cannot propose: raft's proposal
	// forwarding is off). The front-end provides it; nil means a follower
	// never publishes and other members cannot forward to it.
	PublishVia func(ctx context.Context, leader, self *pb.Member) error
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// MemberID derives a member's ID from its peer URL ("http://host:port" or
// "host:port"), so that every node computes the same IDs from the same
// --initial-cluster, and a node added by MemberAdd knows its own.
func MemberID(peerURL string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("triad-member/"))
	h.Write([]byte(PeerHostPort(peerURL)))
	id := h.Sum64()
	if id == 0 {
		id = 1
	}
	return id
}

// PeerHostPort strips a URL scheme and trailing slash from a peer URL.
func PeerHostPort(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	return strings.TrimSuffix(u, "/")
}

// Service runs a Store as a raft group on a Host: it proposes writes and
// waits for them to apply, serves reads (linearizable ones after a
// ReadIndex round), expires leases on the leader and keeps watchers fed.
// It implements raft.StateMachine for the group. See doc.go, "Caller's
// contract": Service is that caller.
type Service struct {
	cfg   ServiceConfig
	host  *raft.Host
	group uint64
	store *Store
	log   *slog.Logger

	nextID atomic.Uint64

	pmu     sync.Mutex
	pending map[uint64]pendingReq

	reads readBatcher

	// Leadership as the service loop last saw it.
	lmu        sync.Mutex
	leaderTerm uint64 // term in which this node finished taking over leases
	revoking   map[int64]time.Time
	publishing bool
	lastPub    time.Time

	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

type pendingReq struct {
	ch   chan Result
	term uint64
}

// NewService creates (or reopens) the group on the host and starts the
// service loop. Close stops it; the host outlives it.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Host == nil || cfg.Self == nil || cfg.Self.ID == 0 {
		return nil, errors.New("coord: ServiceConfig needs Host and Self with an ID")
	}
	if cfg.GroupID == 0 {
		cfg.GroupID = DefaultGroupID
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.SnapshotEntries == 0 {
		cfg.SnapshotEntries = DefaultSnapshotEntries
	}
	if cfg.AutoCompactInterval == 0 {
		cfg.AutoCompactInterval = 5 * time.Minute
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = DefaultProgressInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := New(cfg.Store)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, host: cfg.Host, group: cfg.GroupID, store: st, log: cfg.Logger,
		pending:  map[uint64]pendingReq{},
		revoking: map[int64]time.Time{},
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	// Proposal IDs: a random start, then a counter; unique across nodes
	// with overwhelming probability, and they seed lease IDs.
	s.nextID.Store(rand.Uint64() >> 2)
	s.reads.s = s
	err = cfg.Host.CreateGroup(raft.GroupConfig{
		ID: cfg.GroupID, ReplicaID: cfg.Self.ID, Peers: cfg.Peers, StateMachine: s,
		SnapshotEntries: cfg.SnapshotEntries,
	})
	if err != nil {
		return nil, fmt.Errorf("coord: create group: %w", err)
	}
	if cfg.OnMember != nil {
		for _, m := range st.Members() {
			cfg.OnMember(m)
		}
	}
	go s.loop()
	return s, nil
}

// Close stops the service loop and fails waiting requests with
// ErrStopped. It does not remove the group from the host.
func (s *Service) Close() error {
	s.once.Do(func() {
		close(s.stop)
		<-s.stopped
		s.pmu.Lock()
		for id, p := range s.pending {
			p.ch <- Result{ID: id, Err: ErrStopped}
			delete(s.pending, id)
		}
		s.pmu.Unlock()
	})
	return nil
}

// Store returns the state machine, for reads that need no coordination.
func (s *Service) Store() *Store { return s.store }

// ---- raft.StateMachine ----

// Apply applies committed entries and completes the requests waiting for
// them.
func (s *Service) Apply(entries []raft.Committed) {
	for _, e := range entries {
		if e.ConfChange != nil {
			s.store.MarkApplied(e.Index)
			if e.ConfChange.Type == raft.RemoveMember && s.cfg.OnRemoved != nil {
				s.cfg.OnRemoved(e.ConfChange.ReplicaID)
			}
			continue
		}
		if len(e.Data) == 0 {
			s.store.MarkApplied(e.Index)
			continue
		}
		res := s.store.Apply(e.Index, e.Data)
		if m, ok := res.Response.(*pb.Member); ok && s.cfg.OnMember != nil {
			s.cfg.OnMember(m)
		}
		s.complete(res)
	}
}

// Snapshot freezes the store's state (cheap: see Frozen) and streams it to
// the reader from a goroutine, so the raft host writes the file while
// applying goes on. Closing the reader early stops the goroutine.
func (s *Service) Snapshot() (io.ReadCloser, error) {
	f := s.store.Freeze()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(f.Write(pw)) }()
	return pr, nil
}

// Restore replaces the state with a snapshot's.
func (s *Service) Restore(r io.Reader) error {
	if err := s.store.Restore(r); err != nil {
		return err
	}
	if s.cfg.OnMember != nil {
		for _, m := range s.store.Members() {
			s.cfg.OnMember(m)
		}
	}
	return nil
}

func (s *Service) complete(res Result) {
	if res.ID == 0 {
		return
	}
	s.pmu.Lock()
	p, ok := s.pending[res.ID]
	delete(s.pending, res.ID)
	s.pmu.Unlock()
	if ok {
		p.ch <- res
	}
}

// ---- writes ----

// now is the proposal timestamp: the local clock, never behind the newest
// applied entry, so lease deadlines do not jump back on a leader change.
func (s *Service) now() int64 {
	now := s.cfg.Now().UnixMilli()
	if last := s.store.LastTime().UnixMilli(); last > now {
		now = last
	}
	return now
}

// propose runs req through the log and returns what applying it produced.
func (s *Service) propose(ctx context.Context, req proto.Message) (proto.Message, error) {
	if err := s.store.Check(req); err != nil {
		return nil, err
	}
	st, err := s.awaitLeader(ctx)
	if err != nil {
		return nil, err
	}
	if !st.IsLeader {
		return nil, s.notLeader(st.LeaderNode)
	}
	id := s.nextID.Add(1)
	data, err := Encode(id, s.now(), req)
	if err != nil {
		return nil, err
	}
	ch := make(chan Result, 1)
	s.pmu.Lock()
	s.pending[id] = pendingReq{ch: ch, term: st.Term}
	s.pmu.Unlock()
	cancel := func() {
		s.pmu.Lock()
		delete(s.pending, id)
		s.pmu.Unlock()
	}
	if err := s.host.Propose(ctx, s.group, data); err != nil {
		cancel()
		return nil, s.mapErr(err)
	}
	timer := time.NewTimer(s.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		s.fillHeader(res.Response, st.Term)
		return res.Response, nil
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	case <-timer.C:
		cancel()
		return nil, ErrTimeout
	}
}

// awaitLeader returns the group's leadership once a write can go
// somewhere: this node leads, or the leader is known with the client URLs
// it published (so the front-end can forward). While the group has no
// leader — at start, during an election — it waits, up to the request
// timeout, as etcd holds proposals until there is a leader; nothing has
// been proposed, so a client may safely retry after ErrNoLeader.
func (s *Service) awaitLeader(ctx context.Context) (raft.Leadership, error) {
	var timeout <-chan time.Time
	for {
		st, err := s.host.Leadership(s.group)
		if err != nil {
			return st, s.mapErr(err)
		}
		if st.IsLeader {
			return st, nil
		}
		if st.LeaderNode != 0 {
			if m := s.store.Member(st.LeaderNode); m != nil && len(m.ClientURLs) > 0 {
				return st, nil
			}
		}
		if timeout == nil {
			t := time.NewTimer(s.cfg.RequestTimeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return st, ctx.Err()
		case <-timeout:
			return st, s.notLeader(st.LeaderNode)
		case <-s.stop:
			return st, ErrStopped
		}
	}
}

func (s *Service) notLeader(leader uint64) error {
	if leader == 0 {
		return ErrNoLeader
	}
	return &NotLeaderError{LeaderID: leader, Leader: s.store.Member(leader)}
}

// mapErr turns the raft host's errors into etcd's.
func (s *Service) mapErr(err error) error {
	var nl *raft.NotLeaderError
	switch {
	case errors.As(err, &nl):
		return s.notLeader(nl.Leader)
	case errors.Is(err, raft.ErrProposalDropped):
		return ErrNoLeader
	case errors.Is(err, raft.ErrClosed):
		return ErrStopped
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("coord: %w", err)
}

// fillHeader completes a response header with the cluster's identity.
func (s *Service) fillHeader(m proto.Message, term uint64) {
	type headed interface{ GetHeader() *pb.ResponseHeader }
	if h, ok := m.(headed); ok && h.GetHeader() != nil {
		hd := h.GetHeader()
		hd.ClusterId, hd.MemberId, hd.RaftTerm = s.cfg.ClusterID, s.cfg.Self.ID, term
	}
	// Txn responses nest headers in their range/put/delete responses;
	// etcd fills only the top one.
}

// Put stores a key.
func (s *Service) Put(ctx context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.PutResponse), nil
}

// DeleteRange deletes keys.
func (s *Service) DeleteRange(ctx context.Context, req *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.DeleteRangeResponse), nil
}

// Txn runs a transaction: a read-only one is served locally (after a
// ReadIndex round unless every range in it is serializable, as etcd), a
// writing one goes through the log.
func (s *Service) Txn(ctx context.Context, req *pb.TxnRequest) (*pb.TxnResponse, error) {
	if isReadOnly(req) {
		if err := s.store.Check(req); err != nil {
			return nil, err
		}
		if !txnSerializable(req) {
			if err := s.linearize(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := s.store.Txn(req)
		if err != nil {
			return nil, err
		}
		s.fillHeader(resp, s.term())
		return resp, nil
	}
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.TxnResponse), nil
}

func txnSerializable(req *pb.TxnRequest) bool {
	for _, ops := range [][]*pb.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			switch o := op.Request.(type) {
			case *pb.RequestOp_RequestRange:
				if !o.RequestRange.GetSerializable() {
					return false
				}
			case *pb.RequestOp_RequestTxn:
				if !txnSerializable(o.RequestTxn) {
					return false
				}
			}
		}
	}
	return true
}

// Compact compacts the history up to a revision.
func (s *Service) Compact(ctx context.Context, req *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.CompactionResponse), nil
}

// LeaseGrant grants a lease; an ID of 0 lets the entry choose it.
func (s *Service) LeaseGrant(ctx context.Context, req *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.LeaseGrantResponse), nil
}

// LeaseRevoke revokes a lease and deletes its keys.
func (s *Service) LeaseRevoke(ctx context.Context, req *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.LeaseRevokeResponse), nil
}

// keepAliveCoalesce: a keep-alive arriving this soon after the lease's
// last applied refresh is answered without a new one (see LeaseKeepAlive).
const keepAliveCoalesce = 500 * time.Millisecond

// LeaseKeepAlive renews a lease for its TTL, through the log (so the new
// deadline survives a leader change). A keep-alive for a lease refreshed
// in the last keepAliveCoalesce (and less than a quarter of its TTL) is
// answered by the leader from the applied refresh instead: the lease then
// lives at most that much less than a fresh refresh would give, while
// clients renew every TTL/3. This spares the log one entry per keep-alive
// when many clients renew in a tight loop; etcd keeps renewals out of its
// log altogether.
func (s *Service) LeaseKeepAlive(ctx context.Context, req *pb.LeaseKeepAliveRequest) (*pb.LeaseKeepAliveResponse, error) {
	if st, err := s.host.Leadership(s.group); err == nil && st.IsLeader {
		if ttl, deadline, ok := s.store.LeaseDeadline(req.ID); ok {
			since := time.Duration(s.now()-(deadline-ttl*1000)) * time.Millisecond
			if since >= 0 && since < min(keepAliveCoalesce, time.Duration(ttl)*time.Second/4) {
				resp := &pb.LeaseKeepAliveResponse{Header: s.Header(), ID: req.ID, TTL: ttl}
				return resp, nil
			}
		}
	}
	r, err := s.propose(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.(*pb.LeaseKeepAliveResponse), nil
}

// Publish records a member's attributes (name, peer and client URLs) in
// the replicated member table, as etcd members publish theirs on start.
func (s *Service) Publish(ctx context.Context, m *pb.Member) (*pb.Member, error) {
	r, err := s.propose(ctx, m)
	if err != nil {
		return nil, err
	}
	return r.(*pb.Member), nil
}

// ---- reads ----

// Range reads keys: linearizable (the default) after a ReadIndex round,
// serializable from the local applied state.
func (s *Service) Range(ctx context.Context, req *pb.RangeRequest) (*pb.RangeResponse, error) {
	if !req.Serializable {
		if err := s.linearize(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := s.store.Range(req)
	if err != nil {
		return nil, err
	}
	s.fillHeader(resp, s.term())
	return resp, nil
}

// LeaseTimeToLive reports a lease's remaining time. It is linearizable.
func (s *Service) LeaseTimeToLive(ctx context.Context, req *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
	if err := s.linearize(ctx); err != nil {
		return nil, err
	}
	resp, err := s.store.LeaseTimeToLive(req, time.UnixMilli(s.now()))
	if err != nil {
		return nil, err
	}
	s.fillHeader(resp, s.term())
	return resp, nil
}

// LeaseLeases lists the leases. It is linearizable.
func (s *Service) LeaseLeases(ctx context.Context, req *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
	if err := s.linearize(ctx); err != nil {
		return nil, err
	}
	resp := s.store.LeaseLeases(req)
	s.fillHeader(resp, s.term())
	return resp, nil
}

// Watch starts a watcher on this node's applied state.
func (s *Service) Watch(opts WatchOptions) (*Watcher, error) {
	select {
	case <-s.stop:
		return nil, ErrStopped
	default:
	}
	return s.store.Watch(opts), nil
}

// Header is a response header for this node as of now.
func (s *Service) Header() *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: s.cfg.ClusterID, MemberId: s.cfg.Self.ID, Revision: s.store.Rev(), RaftTerm: s.term()}
}

func (s *Service) term() uint64 {
	st, err := s.host.Leadership(s.group)
	if err != nil {
		return 0
	}
	return st.Term
}

// linearize returns once this node has applied everything committed before
// the call: one ReadIndex round, shared by the reads that arrive while the
// previous round is in flight.
func (s *Service) linearize(ctx context.Context) error {
	return s.reads.wait(ctx)
}

// readBatcher coalesces concurrent linearizable reads into ReadIndex
// rounds, as etcd's linearizable read loop does: a read waits for the
// first round that starts after it arrived.
type readBatcher struct {
	s        *Service
	mu       sync.Mutex
	next     *readRound // the round the next arrivals join; nil = none yet
	inflight bool
}

type readRound struct {
	done chan struct{}
	err  error
}

func (b *readBatcher) wait(ctx context.Context) error {
	b.mu.Lock()
	r := b.next
	if r == nil {
		r = &readRound{done: make(chan struct{})}
		b.next = r
	}
	if !b.inflight {
		// No round in flight: run this one on the caller's goroutine
		// (no hand-off); rounds that queue up meanwhile continue on a
		// new goroutine.
		b.inflight = true
		b.mu.Unlock()
		b.runRound()
		b.mu.Lock()
		if b.next != nil {
			go b.run()
		} else {
			b.inflight = false
		}
		b.mu.Unlock()
		return r.err
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *readBatcher) run() {
	for {
		b.mu.Lock()
		if b.next == nil {
			b.inflight = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.runRound()
	}
}

// runRound takes the queued round and completes it with one ReadIndex.
func (b *readBatcher) runRound() {
	b.mu.Lock()
	r := b.next
	b.next = nil
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), b.s.cfg.RequestTimeout)
	var err error
	for {
		// Without a leader, wait for one (as for writes) rather than
		// failing the reads at once.
		if _, err = b.s.host.ReadIndex(ctx, b.s.group); !isNoLeader(err) {
			break
		}
		select {
		case <-time.After(10 * time.Millisecond):
			continue
		case <-ctx.Done():
		}
		break
	}
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = ErrTimeout
		} else {
			err = b.s.mapErr(err)
			// Without a leader a NotLeaderError cannot help a read.
			var nl *NotLeaderError
			if errors.As(err, &nl) {
				err = ErrNoLeader
			}
		}
	}
	r.err = err
	close(r.done)
}

func isNoLeader(err error) bool {
	var nl *raft.NotLeaderError
	return errors.As(err, &nl) && nl.Leader == 0
}

// ---- the service loop ----

func (s *Service) loop() {
	defer close(s.stopped)
	tick := time.NewTicker(tickInterval)
	defer tick.Stop()
	var lastExpiry, lastProgress time.Time
	lastCompact := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.store.SyncWatchers()
		now := s.cfg.Now()
		if now.Sub(lastProgress) >= s.cfg.ProgressInterval {
			lastProgress = now
			s.store.NotifyProgress()
		}
		st, err := s.host.Leadership(s.group)
		if err != nil {
			continue
		}
		s.failStale(st.Term)
		if !st.IsLeader {
			s.publishToLeader(st.LeaderNode)
			continue
		}
		if s.takeOver(st.Term) && now.Sub(lastExpiry) >= expiryInterval {
			lastExpiry = now
			s.expire()
		}
		if s.cfg.AutoCompactRevisions > 0 && time.Since(lastCompact) >= s.cfg.AutoCompactInterval {
			lastCompact = time.Now()
			s.autoCompact()
		}
	}
}

// failStale fails requests proposed in an earlier term with
// ErrLeaderChanged: their entries may have been lost with the old
// leadership (they may also still commit — the client cannot tell, as
// with etcd).
func (s *Service) failStale(term uint64) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for id, p := range s.pending {
		if p.term < term {
			p.ch <- Result{ID: id, Err: ErrLeaderChanged}
			delete(s.pending, id)
		}
	}
}

// takeOver runs once per term in which this node leads: after applying
// everything the previous leaders committed, it renews every lease (etcd
// extends leases on promotion so their holders have time to find the new
// leader) and only then starts expiring them. It reports whether the node
// may expire leases in this term.
func (s *Service) takeOver(term uint64) bool {
	s.lmu.Lock()
	done := s.leaderTerm == term
	s.lmu.Unlock()
	if done {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	if err := s.linearize(ctx); err != nil {
		return false
	}
	leases := s.store.LeaseLeases(&pb.LeaseLeasesRequest{}).Leases
	errs := make([]error, len(leases))
	var wg sync.WaitGroup
	for i, l := range leases {
		wg.Go(func() {
			_, err := s.propose(ctx, &pb.LeaseKeepAliveRequest{ID: l.ID})
			if !errors.Is(err, ErrLeaseNotFound) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("coord: renewing leases after a leader change", "err", err)
		return false
	}
	if s.needsPublish() {
		if _, err := s.Publish(ctx, s.cfg.Self); err != nil {
			s.log.Warn("coord: publishing member attributes", "err", err)
		}
	}
	s.lmu.Lock()
	s.leaderTerm = term
	clear(s.revoking)
	s.lmu.Unlock()
	s.log.Info("coord: leading", "term", term)
	return true
}

// publishToLeader sends this member's attributes to the leader through
// PublishVia when the member table lacks them, at most once a second.
func (s *Service) publishToLeader(leader uint64) {
	if s.cfg.PublishVia == nil || leader == 0 || !s.needsPublish() {
		return
	}
	lm := s.store.Member(leader)
	if lm == nil || len(lm.ClientURLs) == 0 {
		return // the leader has not published yet; it will first
	}
	s.lmu.Lock()
	if s.publishing || time.Since(s.lastPub) < time.Second {
		s.lmu.Unlock()
		return
	}
	s.publishing, s.lastPub = true, time.Now()
	s.lmu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
		defer cancel()
		if err := s.cfg.PublishVia(ctx, lm, s.cfg.Self); err != nil {
			s.log.Debug("coord: publishing member attributes via the leader", "err", err)
		}
		s.lmu.Lock()
		s.publishing = false
		s.lmu.Unlock()
	}()
}

// needsPublish reports whether the member table lacks this member's
// attributes as configured, so it must publish them.
func (s *Service) needsPublish() bool {
	m := s.cfg.Self
	cur := s.store.Member(m.ID)
	if cur == nil {
		return true
	}
	return (m.Name != "" && cur.Name != m.Name) ||
		(len(m.PeerURLs) > 0 && !slices.Equal(cur.PeerURLs, m.PeerURLs)) ||
		(len(m.ClientURLs) > 0 && !slices.Equal(cur.ClientURLs, m.ClientURLs))
}

// autoCompact proposes a compaction keeping the newest
// AutoCompactRevisions revisions, in the background.
func (s *Service) autoCompact() {
	target := s.store.Rev() - s.cfg.AutoCompactRevisions
	if target <= s.store.CompactRev() {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
		defer cancel()
		if _, err := s.Compact(ctx, &pb.CompactionRequest{Revision: target}); err != nil && !errors.Is(err, ErrCompacted) {
			s.log.Warn("coord: auto-compaction", "revision", target, "err", err)
			return
		}
		s.log.Info("coord: auto-compacted", "revision", target)
	}()
}

// expire proposes a revoke for every lease past its deadline, without
// waiting; a lease whose revoke is in flight is not proposed again for a
// request timeout.
func (s *Service) expire() {
	now := time.UnixMilli(s.now())
	for _, id := range s.store.Expired(now) {
		s.lmu.Lock()
		at, busy := s.revoking[id]
		if busy && now.Sub(at) < s.cfg.RequestTimeout {
			s.lmu.Unlock()
			continue
		}
		s.revoking[id] = now
		s.lmu.Unlock()
		go func(id int64) {
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
			defer cancel()
			_, err := s.LeaseRevoke(ctx, &pb.LeaseRevokeRequest{ID: id})
			s.lmu.Lock()
			delete(s.revoking, id)
			s.lmu.Unlock()
			if err != nil && !errors.Is(err, ErrLeaseNotFound) {
				s.log.Debug("coord: revoking an expired lease", "lease", id, "err", err)
			}
		}(id)
	}
}

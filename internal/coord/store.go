package coord

import (
	"fmt"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// Config tunes a Store. The zero value gives etcd's defaults.
type Config struct {
	// MinLeaseTTL is the shortest lease TTL in seconds; shorter grants are
	// raised to it. Default 2: etcd's ceil(1.5 × election timeout) with its
	// default 1 s election timeout. Set it from the raft election timeout.
	MinLeaseTTL int64
	// MaxTxnOps bounds the compares and the operations of each branch of a
	// txn. Default 128, as etcd's --max-txn-ops.
	MaxTxnOps int
	// WatchBuffer is the number of responses a watcher's channel holds
	// before the watcher falls behind and catches up from history. Default
	// 128, as etcd's watch channel. Larger costs memory per watcher; smaller
	// sends slow readers to history sooner.
	WatchBuffer int
}

// MaxLeaseTTL is etcd's largest lease TTL in seconds.
const MaxLeaseTTL = 9_000_000_000

// Validate reports a setting out of range.
func (c Config) Validate() error {
	switch {
	case c.MinLeaseTTL < 0 || c.MinLeaseTTL > MaxLeaseTTL:
		return fmt.Errorf("coord: MinLeaseTTL %d out of range", c.MinLeaseTTL)
	case c.MaxTxnOps < 0:
		return fmt.Errorf("coord: MaxTxnOps %d is negative", c.MaxTxnOps)
	case c.WatchBuffer < 0:
		return fmt.Errorf("coord: WatchBuffer %d is negative", c.WatchBuffer)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MinLeaseTTL == 0 {
		c.MinLeaseTTL = 2
	}
	if c.MaxTxnOps == 0 {
		c.MaxTxnOps = 128
	}
	if c.WatchBuffer == 0 {
		c.WatchBuffer = 128
	}
	return c
}

// Store is the coordination state machine: an MVCC key-value store with
// leases and watches. It changes only through Apply; reads may run
// concurrently with each other. It owns no goroutine and no clock.
type Store struct {
	cfg Config
	hub hub

	mu         sync.RWMutex
	applied    uint64 // index of the last applied entry
	lastTime   int64  // newest entry timestamp seen (Unix ms)
	rev        int64  // current revision
	compactRev int64  // revisions below it are gone; 0 = never compacted
	keys       map[string]*keyHist
	index      keyIndex // keys of keys, in order
	log        []*rec   // every kept record, ordered by revision
	leases     map[int64]*lease
	members    map[uint64]*pb.Member // published attributes, by member ID
}

// New returns an empty store at revision 1, as a new etcd cluster.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg.withDefaults()}
	s.resetLocked()
	s.hub.init()
	return s, nil
}

func (s *Store) resetLocked() {
	s.applied, s.lastTime, s.rev, s.compactRev = 0, 0, 1, 0
	s.keys = map[string]*keyHist{}
	s.index = keyIndex{}
	s.log = nil
	s.leases = map[int64]*lease{}
	s.members = map[uint64]*pb.Member{}
}

// Result is what applying one entry produced.
type Result struct {
	// ID is the entry's proposal ID, for completing the waiting request.
	ID uint64
	// Response is the etcdserverpb response matching the request type:
	// *pb.PutResponse, *pb.DeleteRangeResponse, *pb.TxnResponse,
	// *pb.CompactionResponse, *pb.LeaseGrantResponse,
	// *pb.LeaseRevokeResponse, *pb.LeaseKeepAliveResponse or, for a member
	// entry, the member's merged *pb.Member. Nil when Err
	// is set.
	Response proto.Message
	// Err is the request's error (etcd's texts); the state is unchanged.
	Err error
}

// Apply applies the log entry data at raft index. Entries must come in log
// order; an index at or below the applied index is skipped with
// ErrAlreadyApplied (index 0 is never skipped, for callers without a log).
// A malformed entry is skipped with ErrBadEntry. Every replica applying the
// same entries reaches the same state: time comes only from the entry.
func (s *Store) Apply(index uint64, data []byte) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index != 0 && index <= s.applied {
		return Result{Err: ErrAlreadyApplied}
	}
	if index != 0 {
		s.applied = index
	}
	e, err := Decode(data)
	if err != nil {
		return Result{Err: err}
	}
	if e.Time > s.lastTime {
		s.lastTime = e.Time
	}
	res := Result{ID: e.ID}
	switch req := e.Request.(type) {
	case *pb.PutRequest:
		res.Response, res.Err = s.applyPut(req)
	case *pb.DeleteRangeRequest:
		res.Response, res.Err = s.applyDeleteRange(req)
	case *pb.TxnRequest:
		res.Response, res.Err = s.applyTxn(req)
	case *pb.CompactionRequest:
		res.Response, res.Err = s.applyCompact(req)
	case *pb.LeaseGrantRequest:
		res.Response, res.Err = s.applyLeaseGrant(req, e)
	case *pb.LeaseRevokeRequest:
		res.Response, res.Err = s.applyLeaseRevoke(req)
	case *pb.LeaseKeepAliveRequest:
		res.Response, res.Err = s.applyLeaseRefresh(req, e.Time)
	case *pb.Member:
		res.Response, res.Err = s.applyMember(req)
	}
	if res.Err != nil {
		res.Response = nil
	}
	return res
}

// Rev returns the current revision.
func (s *Store) Rev() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// CompactRev returns the revision of the last compaction, 0 if none.
func (s *Store) CompactRev() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.compactRev
}

// AppliedIndex returns the raft index of the last applied entry.
func (s *Store) AppliedIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// LastTime returns the newest entry timestamp applied, so that a new
// leader can keep proposal timestamps monotonic.
func (s *Store) LastTime() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return time.UnixMilli(s.lastTime)
}

func (s *Store) header() *pb.ResponseHeader { return &pb.ResponseHeader{Revision: s.rev} }

// Check runs the request checks that need no state — the ones etcd's API
// layer makes before proposing (empty keys, ignore_value with a value,
// duplicate keys in a txn, too many txn operations, too large a lease TTL)
// — so a front-end can refuse such a request without a round through the
// log. Apply repeats them, so skipping Check is safe.
func (s *Store) Check(req proto.Message) error {
	switch r := req.(type) {
	case *pb.RangeRequest:
		if len(r.Key) == 0 {
			return ErrEmptyKey
		}
	case *pb.PutRequest:
		return checkPut(r)
	case *pb.DeleteRangeRequest:
		if len(r.Key) == 0 {
			return ErrEmptyKey
		}
	case *pb.TxnRequest:
		return s.checkTxn(r)
	case *pb.LeaseGrantRequest:
		if r.TTL > MaxLeaseTTL {
			return ErrLeaseTTLTooLarge
		}
	}
	return nil
}

// MarkApplied records that the raft entry at index was applied without
// touching the state (an empty entry of a new leader, a membership
// change), so the applied index and snapshots stay in step with the log.
func (s *Store) MarkApplied(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index > s.applied {
		s.applied = index
	}
}

// DataSize approximates the bytes the kept history holds (keys and values
// of every record), reported as the database size.
func (s *Store) DataSize() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n int64
	for _, r := range s.log {
		n += int64(len(r.key) + len(r.value))
	}
	return n
}

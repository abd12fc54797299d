package coord

import (
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// maxBatchRevs bounds how many revisions one catch-up response carries
// (etcd's watchBatchMaxRevs).
const maxBatchRevs = 1000

// WatchResponse is one message to a watcher: a batch of events, a progress
// notification (no events), or the final message of a watcher cancelled by
// compaction.
type WatchResponse struct {
	// Revision is the store revision the response was produced at.
	Revision int64
	// Events are in revision order. All events of one revision that match
	// the watcher are in the same response.
	Events []*mvccpb.Event
	// CompactRevision is set, with Canceled and Err = ErrCompacted, when the
	// watcher asked for history that compaction removed.
	CompactRevision int64
	Canceled        bool
	Err             error
}

// WatchOptions are a watch's settings, as in etcd's WatchCreateRequest.
type WatchOptions struct {
	Key, RangeEnd []byte
	// StartRev is the first revision to deliver; 0 = from the next write.
	StartRev int64
	Filters  []pb.WatchCreateRequest_FilterType
	PrevKV   bool
	// ProgressNotify asks for empty responses from NotifyProgress while
	// nothing else is sent.
	ProgressNotify bool
}

// Watcher receives the events of one watch on C until cancelled. C is
// closed after Cancel, and after the compaction message.
type Watcher struct {
	C <-chan WatchResponse

	s        *Store
	ch       chan WatchResponse
	sp       span
	noPut    bool
	noDelete bool
	prevKV   bool
	progress bool

	// Guarded by the hub's mutex.
	next   int64 // first revision not yet delivered (or the start revision)
	synced bool  // gets live events from Apply; else catches up from history
	quiet  bool  // nothing sent since the last progress notification
	closed bool
}

// hub holds the watchers. Lock order: Store.mu, then hub.mu.
type hub struct {
	mu       sync.Mutex
	watchers map[*Watcher]struct{}
}

func (h *hub) init() { h.watchers = map[*Watcher]struct{}{} }

// Watch starts a watch. When opts.StartRev is at or below the current
// revision the watcher first catches up from history; if that history was
// compacted its only message reports the compact revision (as etcd's
// watch cancellation does).
func (s *Store) Watch(opts WatchOptions) *Watcher {
	ch := make(chan WatchResponse, s.cfg.WatchBuffer)
	w := &Watcher{
		C: ch, ch: ch, s: s,
		sp:       mkSpan(opts.Key, opts.RangeEnd),
		prevKV:   opts.PrevKV,
		progress: opts.ProgressNotify,
		quiet:    true,
	}
	for _, f := range opts.Filters {
		switch f {
		case pb.WatchCreateRequest_NOPUT:
			w.noPut = true
		case pb.WatchCreateRequest_NODELETE:
			w.noDelete = true
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.watchers[w] = struct{}{}
	switch {
	case opts.StartRev <= 0:
		w.next, w.synced = s.rev+1, true
	case opts.StartRev > s.rev:
		w.next, w.synced = opts.StartRev, true
	default:
		w.next = opts.StartRev
		s.syncLocked(w)
	}
	return w
}

// Cancel stops the watch and closes C. It is safe to call more than once.
func (w *Watcher) Cancel() {
	h := &w.s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	w.closeLocked()
}

func (w *Watcher) closeLocked() {
	if w.closed {
		return
	}
	w.closed = true
	close(w.ch)
	delete(w.s.hub.watchers, w)
}

// RequestProgress sends the current revision, with no events, if the
// watcher is caught up (etcd's WatchProgressRequest); a watcher still
// catching up gets nothing, since its events will say more.
func (w *Watcher) RequestProgress() {
	s := w.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if w.synced && !w.closed {
		w.send(WatchResponse{Revision: s.rev})
	}
}

// send delivers r without blocking; false means the buffer is full.
func (w *Watcher) send(r WatchResponse) bool {
	select {
	case w.ch <- r:
		if len(r.Events) > 0 {
			w.quiet = false
		}
		return true
	default:
		return false
	}
}

// event turns a record into the watcher's event, or nil if filtered out.
func (w *Watcher) event(s *Store, r *rec) *mvccpb.Event {
	if !w.sp.contains(r.key) || (r.tomb && w.noDelete) || (!r.tomb && w.noPut) {
		return nil
	}
	ev := &mvccpb.Event{Type: mvccpb.Event_PUT, Kv: r.kv()}
	if r.tomb {
		ev.Type = mvccpb.Event_DELETE
	}
	if w.prevKV {
		if h := s.keys[r.key]; h != nil {
			if p := h.before(r); p != nil {
				ev.PrevKv = p.kv()
			}
		}
	}
	return ev
}

// notify delivers revision rev's changes to caught-up watchers. A watcher
// whose buffer is full is not waited for: it drops to catching up from
// history at rev. Called by Apply with Store.mu held.
func (h *hub) notify(s *Store, rev int64, changes []*rec) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		if !w.synced || rev < w.next {
			continue
		}
		var evs []*mvccpb.Event
		for _, r := range changes {
			if ev := w.event(s, r); ev != nil {
				evs = append(evs, ev)
			}
		}
		if len(evs) > 0 && !w.send(WatchResponse{Revision: rev, Events: evs}) {
			w.synced = false
			w.next = rev
			continue
		}
		w.next = rev + 1
	}
	// Watchers behind get a chance to catch up on every write too.
	for w := range h.watchers {
		if !w.synced {
			s.syncLocked(w)
		}
	}
}

// compacted tells watchers behind the new compaction that their history is
// gone. Called with Store.mu held.
func (h *hub) compacted(s *Store) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		if !w.synced {
			s.syncLocked(w)
		}
	}
}

// SyncWatchers lets watchers that fell behind catch up from history as far
// as their buffers allow, and reports how many are still behind. The host
// calls it periodically (etcd does every 100 ms) and Apply calls it on every
// write, so a reader that drains its channel always gets the rest.
func (s *Store) SyncWatchers() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	behind := 0
	for w := range s.hub.watchers {
		if !w.synced {
			s.syncLocked(w)
			if !w.synced {
				behind++
			}
		}
	}
	return behind
}

// NotifyProgress sends the current revision to every caught-up watcher that
// asked for progress notifications and was sent nothing since the last
// call. The host calls it on its progress interval (etcd: 10 minutes).
func (s *Store) NotifyProgress() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for w := range s.hub.watchers {
		if !w.progress || !w.synced {
			continue
		}
		if w.quiet {
			w.send(WatchResponse{Revision: s.rev})
		}
		w.quiet = true
	}
}

// syncLocked sends w history from w.next on, a batch at a time, until its
// buffer is full or it is caught up. Called with Store.mu (read or write)
// and hub.mu held.
func (s *Store) syncLocked(w *Watcher) {
	if w.closed {
		return
	}
	if w.next < s.compactRev {
		if w.send(WatchResponse{Revision: s.rev, CompactRevision: s.compactRev, Canceled: true, Err: ErrCompacted}) {
			w.closeLocked()
		}
		return
	}
	if w.next > s.rev {
		w.synced = true
		return
	}
	if len(w.ch) == cap(w.ch) {
		return // still full: building a batch would be wasted
	}
	i := s.logFrom(w.next)
	for i < len(s.log) {
		var evs []*mvccpb.Event
		first, revs := s.log[i].main, 0
		for i < len(s.log) && revs < maxBatchRevs {
			rev := s.log[i].main
			for ; i < len(s.log) && s.log[i].main == rev; i++ {
				if ev := w.event(s, s.log[i]); ev != nil {
					evs = append(evs, ev)
				}
			}
			revs++
		}
		if len(evs) > 0 && !w.send(WatchResponse{Revision: s.rev, Events: evs}) {
			w.next = first
			return
		}
		if i < len(s.log) {
			w.next = s.log[i].main
		}
	}
	w.next = s.rev + 1
	w.synced = true
}

// unsyncAll makes every watcher catch up from history, after a restore
// replaced the state under it.
func (h *hub) unsyncAll(s *Store) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		w.synced = false
		s.syncLocked(w)
	}
}

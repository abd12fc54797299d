package etcdapi

import (
	"bytes"
	"errors"
	"io"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"triad/internal/coord"
)

// Watch IDs and cancel reasons as etcd's watch stream gives them.
const (
	autoWatchID    = 0  // a create request with this ID lets the server choose
	invalidWatchID = -1 // the ID of a failed create, and of stream-wide progress
)

var (
	errWatcherRangeEmpty = errors.New("mvcc: watcher range is empty")
	errWatcherDuplicate  = errors.New("mvcc: duplicate watch ID provided on the WatchStream")
	errStreamClosed      = errors.New("etcdapi: watch stream closed")
)

// watchServer is etcd's Watch service. Watches are served from this node's
// applied state; they are never forwarded.
type watchServer struct {
	pb.UnimplementedWatchServer
	s *Server
}

// Watch runs one client stream: requests are handled in order on the
// handler's goroutine (a helper only receives), and each watcher has a
// goroutine that forwards its responses as they arrive. Sends are
// serialized by watchStream.send.
func (w *watchServer) Watch(stream pb.Watch_WatchServer) error {
	ctx, cancel := w.s.streamContext(stream.Context())
	defer cancel()
	st := &watchStream{s: w.s, stream: stream, watchers: map[int64]*streamWatcher{}}
	defer st.close()

	reqs, recvErr := receive(ctx, stream.Recv)
	for {
		select {
		case <-ctx.Done():
			err := w.s.streamEndErr(stream.Context())
			if errors.Is(err, rpctypes.ErrGRPCCanceled) {
				err = rpctypes.ErrGRPCWatchCanceled
			}
			return err
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				// As etcd: a client that half-closes keeps its watches
				// until it cancels the stream.
				recvErr = nil
				continue
			}
			return err
		case req := <-reqs:
			if err := st.handle(req); err != nil {
				return err
			}
		}
	}
}

// watchStream is the state of one Watch stream.
type watchStream struct {
	s      *Server
	stream pb.Watch_WatchServer
	wg     sync.WaitGroup // forwarders

	sendMu sync.Mutex
	closed bool // guarded by sendMu: no send after close

	mu       sync.Mutex
	watchers map[int64]*streamWatcher
	nextID   int64
	// round holds the watchers that have yet to report their progress for
	// a pending WatchProgressRequest; roundRev is the lowest revision
	// reported so far (0: none yet).
	round    map[*streamWatcher]bool
	roundRev int64
}

// streamWatcher is one watch on a stream.
type streamWatcher struct {
	id   int64
	w    *coord.Watcher
	stop chan struct{} // closed to stop the forwarder
	done chan struct{} // closed when the forwarder has returned
}

func (st *watchStream) handle(req *pb.WatchRequest) error {
	switch u := req.RequestUnion.(type) {
	case *pb.WatchRequest_CreateRequest:
		if u.CreateRequest != nil {
			return st.create(u.CreateRequest)
		}
	case *pb.WatchRequest_CancelRequest:
		if u.CancelRequest != nil {
			return st.cancel(u.CancelRequest.WatchId)
		}
	case *pb.WatchRequest_ProgressRequest:
		if u.ProgressRequest != nil {
			st.requestProgress()
		}
	}
	// Unknown requests are ignored, as etcd does, rather than ending the
	// stream.
	return nil
}

// create starts a watcher and answers Created, or Created and Canceled
// with watch ID -1 and the reason, as etcd does, when it cannot.
func (st *watchStream) create(c *pb.WatchCreateRequest) error {
	key, end := c.Key, c.RangeEnd
	if len(key) == 0 {
		key = []byte{0} // the smallest key
	}
	fail := func(reason string) error {
		return st.send(&pb.WatchResponse{
			Header: st.s.fillHeader(nil), WatchId: invalidWatchID,
			Created: true, Canceled: true, CancelReason: reason,
		})
	}
	if c.StartRevision < 0 {
		return fail(rpctypes.ErrCompacted.Error())
	}
	fromKey := len(end) == 1 && end[0] == 0
	if len(end) != 0 && !fromKey && bytes.Compare(key, end) >= 0 {
		return fail(errWatcherRangeEmpty.Error())
	}
	id := c.WatchId
	st.mu.Lock()
	if id == autoWatchID {
		for st.watchers[st.nextID] != nil {
			st.nextID++
		}
		id = st.nextID
		st.nextID++
	} else if st.watchers[id] != nil {
		st.mu.Unlock()
		return fail(errWatcherDuplicate.Error())
	}
	st.mu.Unlock()

	// The header is taken before the watch starts, so that its revision
	// never claims events the watcher has not delivered (clientv3 resumes
	// from it after a reconnection).
	hdr := st.s.fillHeader(nil)
	w, err := st.s.backend.Watch(coord.WatchOptions{
		Key: key, RangeEnd: end, StartRev: c.StartRevision,
		Filters: c.Filters, PrevKV: c.PrevKv, ProgressNotify: c.ProgressNotify,
	})
	if err != nil {
		return fail(toStatusText(err))
	}
	sw := &streamWatcher{id: id, w: w, stop: make(chan struct{}), done: make(chan struct{})}
	st.mu.Lock()
	st.watchers[id] = sw
	st.mu.Unlock()
	// Created goes out before the forwarder starts, so before any event.
	if err := st.send(&pb.WatchResponse{Header: hdr, WatchId: id, Created: true}); err != nil {
		close(sw.done)
		return err
	}
	st.wg.Add(1)
	go st.forward(sw)
	return nil
}

// cancel stops a watcher and answers Canceled once nothing more of it can
// be sent. An unknown ID gets no answer, as in etcd.
func (st *watchStream) cancel(id int64) error {
	st.mu.Lock()
	sw := st.watchers[id]
	delete(st.watchers, id)
	st.mu.Unlock()
	if sw == nil {
		return nil
	}
	sw.halt()
	st.leaveRound(sw)
	return st.send(&pb.WatchResponse{Header: st.s.fillHeader(nil), WatchId: id, Canceled: true})
}

// halt stops the watcher and waits for its forwarder.
func (sw *streamWatcher) halt() {
	select {
	case <-sw.stop:
	default:
		close(sw.stop)
	}
	sw.w.Cancel()
	<-sw.done
}

// forward sends sw's responses as they arrive on its channel.
func (st *watchStream) forward(sw *streamWatcher) {
	defer st.wg.Done()
	defer close(sw.done)
	for {
		var r coord.WatchResponse
		var ok bool
		select {
		case <-sw.stop:
			return
		case r, ok = <-sw.w.C:
		}
		if !ok {
			st.leaveRound(sw)
			return
		}
		select {
		case <-sw.stop:
			return // cancelled while this response was taken
		default:
		}
		progress := len(r.Events) == 0 && !r.Canceled && r.CompactRevision == 0
		if progress && st.report(sw, r.Revision) {
			continue
		}
		resp := &pb.WatchResponse{
			Header:          st.s.headerAt(r.Revision),
			WatchId:         sw.id,
			Events:          r.Events,
			CompactRevision: r.CompactRevision,
			Canceled:        r.Canceled,
		}
		// etcd gives no reason with a compaction cancel: the compact
		// revision says it.
		if r.Err != nil && r.CompactRevision == 0 {
			resp.CancelReason = toStatusText(r.Err)
		}
		if err := st.send(resp); err != nil {
			return
		}
		if r.Canceled {
			st.leaveRound(sw)
			return
		}
		if len(r.Events) > 0 {
			st.retryProgress(sw)
		}
	}
}

// requestProgress answers a WatchProgressRequest as etcd 3.5 does: one
// response with watch ID -1 (clientv3 gives it to every watch on the
// stream) at a revision every watcher on the stream has delivered all
// events up to, sent once all of them have caught up. Each watcher is
// asked for its progress; each answer is absorbed into the round (see
// report) and the last one sends the -1 response at the lowest revision
// reported. A watcher still catching up from history answers nothing, and
// is asked again after each batch of events it delivers. A stream without
// watchers gets no answer, as in etcd.
func (st *watchStream) requestProgress() {
	st.mu.Lock()
	if st.round == nil {
		st.round = map[*streamWatcher]bool{}
		st.roundRev = 0
		for _, sw := range st.watchers {
			select {
			case <-sw.done: // compacted away; it will never answer
			default:
				st.round[sw] = true
			}
		}
	}
	ask := make([]*streamWatcher, 0, len(st.round))
	for sw := range st.round {
		ask = append(ask, sw)
	}
	if len(ask) == 0 {
		st.round = nil
	}
	st.mu.Unlock()
	for _, sw := range ask {
		sw.w.RequestProgress()
	}
}

// report takes a progress answer (an empty response) from sw into the
// pending round, if sw is part of one, and sends the stream-wide response
// when it is the last. It returns false when no round wants it, and the
// response is forwarded as sw's own progress notification.
func (st *watchStream) report(sw *streamWatcher, rev int64) bool {
	st.mu.Lock()
	if !st.round[sw] {
		st.mu.Unlock()
		return false
	}
	delete(st.round, sw)
	if st.roundRev == 0 || rev < st.roundRev {
		st.roundRev = rev
	}
	final := st.finishRoundLocked()
	st.mu.Unlock()
	if final != 0 {
		_ = st.sendProgressAll(final)
	}
	return true
}

// leaveRound drops a watcher that will answer no more from the pending
// round, which may complete it.
func (st *watchStream) leaveRound(sw *streamWatcher) {
	st.mu.Lock()
	var final int64
	if st.round[sw] {
		delete(st.round, sw)
		final = st.finishRoundLocked()
	}
	st.mu.Unlock()
	if final != 0 {
		_ = st.sendProgressAll(final)
	}
}

// finishRoundLocked ends the round when nobody is left to answer and
// returns the revision to report, 0 if there is nothing to send.
func (st *watchStream) finishRoundLocked() int64 {
	if st.round == nil || len(st.round) > 0 {
		return 0
	}
	rev := st.roundRev
	st.round, st.roundRev = nil, 0
	return rev
}

// retryProgress asks sw again if the round still waits for it: sw was
// catching up when asked, and has just delivered a batch.
func (st *watchStream) retryProgress(sw *streamWatcher) {
	st.mu.Lock()
	wait := st.round[sw]
	st.mu.Unlock()
	if wait {
		sw.w.RequestProgress()
	}
}

func (st *watchStream) sendProgressAll(rev int64) error {
	return st.send(&pb.WatchResponse{Header: st.s.headerAt(rev), WatchId: invalidWatchID})
}

// send writes one response; sends from the handler and the forwarders are
// serialized here.
func (st *watchStream) send(resp *pb.WatchResponse) error {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if st.closed {
		return errStreamClosed
	}
	return st.stream.Send(resp)
}

// close ends every watcher of the stream and waits for their forwarders.
// A forwarder blocked sending to a client that stopped reading holds this
// up until the connection closes (as in etcd); Server.Stop closes it.
func (st *watchStream) close() {
	st.mu.Lock()
	all := make([]*streamWatcher, 0, len(st.watchers))
	for _, sw := range st.watchers {
		all = append(all, sw)
	}
	st.watchers = map[int64]*streamWatcher{}
	st.round = nil
	st.mu.Unlock()
	for _, sw := range all {
		select {
		case <-sw.stop:
		default:
			close(sw.stop)
		}
		sw.w.Cancel()
	}
	st.wg.Wait()
	st.sendMu.Lock()
	st.closed = true
	st.sendMu.Unlock()
}

// toStatusText is the text of err's gRPC status, for cancel reasons.
func toStatusText(err error) string {
	return rpctypes.ErrorDesc(toStatus(err))
}

package coord

import (
	"fmt"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// drain returns what the watcher holds now. Delivery is synchronous with
// Apply, so nothing is in flight once Apply has returned.
func drain(w *Watcher) (out []WatchResponse, closed bool) {
	for {
		select {
		case r, ok := <-w.C:
			if !ok {
				return out, true
			}
			out = append(out, r)
		default:
			return out, false
		}
	}
}

// evString renders events as "PUT k=v@rev" / "DELETE k@rev", with prev
// values in brackets.
func evString(resps []WatchResponse) string {
	s := ""
	for _, r := range resps {
		s += "["
		for _, ev := range r.Events {
			if ev.Type == mvccpb.Event_PUT {
				s += fmt.Sprintf(" PUT %s=%s@%d", ev.Kv.Key, ev.Kv.Value, ev.Kv.ModRevision)
			} else {
				s += fmt.Sprintf(" DEL %s@%d", ev.Kv.Key, ev.Kv.ModRevision)
			}
			if ev.PrevKv != nil {
				s += fmt.Sprintf("(%s)", ev.PrevKv.Value)
			}
		}
		s += " ]"
	}
	return s
}

func TestWatch(t *testing.T) {
	h := newHarness(t)
	h.put("a", "1")  // 2
	h.put("b", "1")  // 3
	h.put("a", "2")  // 4
	h.del("b", "")   // 5
	h.put("zz", "x") // 6
	nodel := []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NODELETE}
	noput := []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NOPUT}
	tests := []struct {
		name string
		opts WatchOptions
		past string // delivered on creation
		live string // delivered by revisions 7 and 8 below
	}{
		{"live only", WatchOptions{Key: []byte("a"), RangeEnd: []byte("d")}, "", "[ PUT a=3@7 PUT c=1@7 ][ PUT a=4@8 ]"},
		{"single key", WatchOptions{Key: []byte("a")}, "", "[ PUT a=3@7 ][ PUT a=4@8 ]"},
		{"catch up", WatchOptions{Key: []byte("a"), RangeEnd: []byte("c"), StartRev: 3}, "[ PUT b=1@3 PUT a=2@4 DEL b@5 ]", "[ PUT a=3@7 ][ PUT a=4@8 ]"},
		{"catch up all keys", WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}, StartRev: 5}, "[ DEL b@5 PUT zz=x@6 ]", "[ PUT a=3@7 PUT c=1@7 DEL zz@7 ][ PUT a=4@8 ]"},
		{"from current", WatchOptions{Key: []byte("zz"), StartRev: 6}, "[ PUT zz=x@6 ]", "[ DEL zz@7 ]"},
		{"prev kv", WatchOptions{Key: []byte("a"), RangeEnd: []byte("c"), StartRev: 4, PrevKV: true}, "[ PUT a=2@4(1) DEL b@5(1) ]", "[ PUT a=3@7(2) ][ PUT a=4@8(3) ]"},
		{"no put", WatchOptions{Key: []byte("a"), RangeEnd: []byte("c"), StartRev: 2, Filters: noput}, "[ DEL b@5 ]", ""},
		{"no delete", WatchOptions{Key: []byte("zz"), StartRev: 2, Filters: nodel}, "[ PUT zz=x@6 ]", ""},
		{"future start", WatchOptions{Key: []byte("a"), RangeEnd: []byte("d"), StartRev: 8}, "", "[ PUT a=4@8 ]"},
	}
	ws := make([]*Watcher, len(tests))
	for i, tt := range tests {
		ws[i] = h.s.Watch(tt.opts)
		got, _ := drain(ws[i])
		if evString(got) != tt.past {
			t.Errorf("%s: catch-up %s, want %s", tt.name, evString(got), tt.past)
		}
	}
	h.must(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("a", "3"), opPut("c", "1"), opDel("zz", "")}})
	h.put("a", "4")
	for i, tt := range tests {
		got, closed := drain(ws[i])
		if evString(got) != tt.live || closed {
			t.Errorf("%s: live %s (closed %v), want %s", tt.name, evString(got), closed, tt.live)
		}
		for _, r := range got {
			if r.Revision != r.Events[len(r.Events)-1].Kv.ModRevision {
				t.Errorf("%s: response revision %d", tt.name, r.Revision)
			}
		}
		ws[i].Cancel()
		ws[i].Cancel()
		if _, closed := drain(ws[i]); !closed {
			t.Errorf("%s: channel open after Cancel", tt.name)
		}
	}
	h.put("a", "5") // nothing is delivered to cancelled watchers
	if len(h.s.hub.watchers) != 0 {
		t.Fatal("cancelled watchers still registered")
	}
}

func TestWatchCompacted(t *testing.T) {
	h := newHarness(t)
	for i := range 5 {
		h.put("k", fmt.Sprint(i)) // revisions 2..6
	}
	h.must(&pb.CompactionRequest{Revision: 4})
	w := h.s.Watch(WatchOptions{Key: []byte("k"), StartRev: 3})
	got, closed := drain(w)
	if !closed || len(got) != 1 || got[0].CompactRevision != 4 || !got[0].Canceled || got[0].Err != ErrCompacted {
		t.Fatalf("watch below compaction: %+v closed %v", got, closed)
	}
	// At the compact revision itself history is complete.
	w = h.s.Watch(WatchOptions{Key: []byte("k"), StartRev: 4})
	got, _ = drain(w)
	if evString(got) != "[ PUT k=2@4 PUT k=3@5 PUT k=4@6 ]" {
		t.Fatalf("watch at compaction: %s", evString(got))
	}
	w.Cancel()

	// A watcher that falls behind and is then compacted past learns so
	// once it has room.
	s, _ := New(Config{WatchBuffer: 1})
	h.s = s
	w = s.Watch(WatchOptions{Key: []byte("k")})
	h.put("k", "a") // fills the buffer
	h.put("k", "b") // behind from here
	h.put("k", "c")
	h.must(&pb.CompactionRequest{Revision: h.s.Rev()})
	got, _ = drain(w)
	if evString(got) != "[ PUT k=a@2 ]" {
		t.Fatalf("first: %s", evString(got))
	}
	s.SyncWatchers()
	got, closed = drain(w)
	if !closed || len(got) != 1 || got[0].CompactRevision != 4 {
		t.Fatalf("behind watcher after compaction: %+v closed %v", got, closed)
	}
}

func TestWatchSlow(t *testing.T) {
	s, _ := New(Config{WatchBuffer: 2})
	h := newHarness(t)
	h.s = s
	slow := s.Watch(WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}, PrevKV: true})
	fast := s.Watch(WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}})
	// Nobody reads slow; Apply must never block on it.
	var want string
	for i := range 50 {
		k := fmt.Sprintf("k%d", i%7)
		h.must(&pb.TxnRequest{Success: []*pb.RequestOp{opPut(k, fmt.Sprint(i)), opPut("x"+k, fmt.Sprint(i))}})
		rev := int64(i + 2)
		want += fmt.Sprintf(" PUT %s=%d@%d PUT x%s=%d@%d", k, i, rev, k, i, rev)
		got, _ := drain(fast)
		if len(got) != 1 || len(got[0].Events) != 2 {
			t.Fatalf("fast watcher at %d: %s", i, evString(got))
		}
	}
	fast.Cancel()
	if behind := s.SyncWatchers(); behind != 1 {
		t.Fatalf("%d watchers behind, want 1", behind)
	}
	// Drain the slow one, letting it catch up as the host's ticker would.
	var got string
	var revs []int64
	for range 100 {
		rs, _ := drain(slow)
		for _, r := range rs {
			for _, ev := range r.Events {
				got += fmt.Sprintf(" PUT %s=%s@%d", ev.Kv.Key, ev.Kv.Value, ev.Kv.ModRevision)
				revs = append(revs, ev.Kv.ModRevision)
			}
			// Both events of a revision travel together.
			if len(r.Events)%2 != 0 || r.Events[0].Kv.ModRevision != r.Events[1].Kv.ModRevision {
				t.Fatalf("revision split across responses: %s", evString([]WatchResponse{r}))
			}
		}
		if s.SyncWatchers() == 0 && len(rs) == 0 {
			break
		}
	}
	if got != want {
		t.Fatalf("slow watcher got\n%s\nwant\n%s", got, want)
	}
	// Caught up: it is live again.
	h.put("live", "1")
	rs, _ := drain(slow)
	if evString(rs) != "[ PUT live=1@52 ]" {
		t.Fatalf("after catch-up: %s", evString(rs))
	}
	slow.Cancel()
}

func TestWatchProgress(t *testing.T) {
	h := newHarness(t)
	h.put("a", "1")
	w := h.s.Watch(WatchOptions{Key: []byte("a"), ProgressNotify: true})
	quiet := h.s.Watch(WatchOptions{Key: []byte("a")})
	h.s.NotifyProgress()
	got, _ := drain(w)
	if len(got) != 1 || got[0].Revision != 2 || len(got[0].Events) != 0 {
		t.Fatalf("progress: %+v", got)
	}
	h.put("a", "2")
	drain(w)
	h.s.NotifyProgress() // events were sent since the last tick: nothing
	if got, _ := drain(w); len(got) != 0 {
		t.Fatalf("progress after events: %+v", got)
	}
	h.s.NotifyProgress()
	if got, _ := drain(w); len(got) != 1 || got[0].Revision != 3 {
		t.Fatalf("progress: %+v", got)
	}
	if got, _ := drain(quiet); evString(got) != "[ PUT a=2@3 ]" {
		t.Fatalf("watcher without progress: %s", evString(got))
	}
	quiet.RequestProgress()
	if got, _ := drain(quiet); len(got) != 1 || got[0].Revision != 3 {
		t.Fatalf("requested progress: %+v", got)
	}
	w.Cancel()
	quiet.Cancel()
}

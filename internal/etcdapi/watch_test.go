package etcdapi

import (
	"context"
	"errors"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// nextWatch returns the next response on wc, failing after a deadline.
func nextWatch(t *testing.T, wc clientv3.WatchChan) clientv3.WatchResponse {
	t.Helper()
	select {
	case wr, ok := <-wc:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return wr
	case <-time.After(10 * time.Second):
		t.Fatal("no watch response in time")
	}
	panic("unreachable")
}

func TestWatchPrefixPrevKV(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	if _, err := cli.Put(ctx, "w/a", "old"); err != nil {
		t.Fatal(err)
	}
	wc := cli.Watch(ctx, "w/", clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithCreatedNotify())
	if wr := nextWatch(t, wc); !wr.Created {
		t.Fatalf("first response %+v, want created", wr)
	}
	if _, err := cli.Put(ctx, "w/a", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "other", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, "w/a"); err != nil {
		t.Fatal(err)
	}
	var evs []*clientv3.Event
	for len(evs) < 2 {
		wr := nextWatch(t, wc)
		if err := wr.Err(); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, wr.Events...)
	}
	if evs[0].Type != mvccpb.Event_PUT || string(evs[0].Kv.Value) != "new" || string(evs[0].PrevKv.Value) != "old" {
		t.Errorf("put event %v", evs[0])
	}
	if evs[1].Type != mvccpb.Event_DELETE || string(evs[1].Kv.Key) != "w/a" || string(evs[1].PrevKv.Value) != "new" {
		t.Errorf("delete event %v", evs[1])
	}
}

func TestWatchStartRevisionAndCancel(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	var first int64
	for i, v := range []string{"1", "2", "3"} {
		resp, err := cli.Put(ctx, "s", v)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = resp.Header.Revision
		}
	}
	wctx, wcancel := context.WithCancel(ctx)
	wc := cli.Watch(wctx, "s", clientv3.WithRev(first))
	var got []string
	for len(got) < 3 {
		for _, ev := range nextWatch(t, wc).Events {
			got = append(got, string(ev.Kv.Value))
		}
	}
	if got[0] != "1" || got[2] != "3" {
		t.Fatalf("catch-up: %v", got)
	}
	wcancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-wc:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("watch channel not closed after cancel")
		}
	}
}

func TestWatchCompactionCancels(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	var last int64
	for _, v := range []string{"1", "2", "3"} {
		resp, err := cli.Put(ctx, "c", v)
		if err != nil {
			t.Fatal(err)
		}
		last = resp.Header.Revision
	}
	if _, err := cli.Compact(ctx, last); err != nil {
		t.Fatal(err)
	}
	wc := cli.Watch(ctx, "c", clientv3.WithRev(1))
	wr := nextWatch(t, wc)
	if wr.CompactRevision != last || !errors.Is(wr.Err(), rpctypes.ErrCompacted) {
		t.Fatalf("response %+v (err %v), want compact revision %d", wr, wr.Err(), last)
	}
}

func TestWatchProgressRequest(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	put, err := cli.Put(ctx, "p", "1")
	if err != nil {
		t.Fatal(err)
	}
	wc := cli.Watch(ctx, "p", clientv3.WithCreatedNotify())
	wc2 := cli.Watch(ctx, "q", clientv3.WithCreatedNotify())
	nextWatch(t, wc)
	nextWatch(t, wc2)
	if err := cli.RequestProgress(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []clientv3.WatchChan{wc, wc2} {
		wr := nextWatch(t, c)
		if !wr.IsProgressNotify() || wr.Header.Revision != put.Header.Revision {
			t.Fatalf("response %+v, want a progress notification at %d", wr, put.Header.Revision)
		}
	}
}

// TestWatchRawStream checks what clientv3 hides: a stream-wide progress
// response has watch ID -1, a client-chosen watch ID already in use is
// refused as etcd refuses it, and a cancel is answered.
func TestWatchRawStream(t *testing.T) {
	ts := newTestServer(t)
	cc, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	st, err := pb.NewWatchClient(cc).Watch(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	send := func(r *pb.WatchRequest) {
		t.Helper()
		if err := st.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() *pb.WatchResponse {
		t.Helper()
		r, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	create := func(id int64) *pb.WatchRequest {
		return &pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("r"), WatchId: id}}}
	}
	send(create(7))
	if r := recv(); !r.Created || r.Canceled || r.WatchId != 7 || r.Header.MemberId != 1 {
		t.Fatalf("create: %v", r)
	}
	send(create(7))
	if r := recv(); !r.Created || !r.Canceled || r.WatchId != -1 || r.CancelReason == "" {
		t.Fatalf("duplicate id: %v", r)
	}
	send(create(0))
	if r := recv(); !r.Created || r.WatchId != 0 {
		t.Fatalf("auto id: %v", r)
	}
	send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}})
	if r := recv(); r.WatchId != -1 || len(r.Events) != 0 || r.Canceled || r.Created || r.Header.Revision != 1 {
		t.Fatalf("progress: %v", r)
	}
	send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: 7}}})
	if r := recv(); !r.Canceled || r.WatchId != 7 {
		t.Fatalf("cancel: %v", r)
	}
	if _, err := pb.NewKVClient(cc).Put(testCtx(t), &pb.PutRequest{Key: []byte("r"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if r := recv(); r.WatchId != 0 || len(r.Events) != 1 {
		t.Fatalf("event after cancel of the other watch: %v", r)
	}
}

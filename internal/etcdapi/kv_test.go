package etcdapi

import (
	"errors"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func keysOf(resp *clientv3.GetResponse) string {
	var ks []string
	for _, kv := range resp.Kvs {
		ks = append(ks, string(kv.Key)+"="+string(kv.Value))
	}
	return strings.Join(ks, ",")
}

func TestKVPutGet(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)

	var revs []int64
	for _, kv := range [][2]string{{"a/1", "x"}, {"a/2", "yy"}, {"a/3", "z"}, {"b", "w"}} {
		resp, err := cli.Put(ctx, kv[0], kv[1])
		if err != nil {
			t.Fatal(err)
		}
		h := resp.Header
		if h.ClusterId != testClusterID || h.MemberId != 1 || h.RaftTerm != 7 || h.Revision == 0 {
			t.Fatalf("header %v: want cluster, member, term and revision filled", h)
		}
		revs = append(revs, h.Revision)
	}

	get := func(key string, opts ...clientv3.OpOption) *clientv3.GetResponse {
		t.Helper()
		resp, err := cli.Get(ctx, key, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if got := keysOf(get("a/", clientv3.WithPrefix())); got != "a/1=x,a/2=yy,a/3=z" {
		t.Errorf("prefix: %s", got)
	}
	if r := get("a/", clientv3.WithPrefix(), clientv3.WithLimit(2)); keysOf(r) != "a/1=x,a/2=yy" || !r.More || r.Count != 3 {
		t.Errorf("limit: %s more=%v count=%d", keysOf(r), r.More, r.Count)
	}
	if got := keysOf(get("a/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))); got != "a/3=z,a/2=yy,a/1=x" {
		t.Errorf("sort: %s", got)
	}
	if got := keysOf(get("a/", clientv3.WithPrefix(), clientv3.WithKeysOnly())); got != "a/1=,a/2=,a/3=" {
		t.Errorf("keys-only: %s", got)
	}
	if r := get("a/", clientv3.WithPrefix(), clientv3.WithCountOnly()); r.Count != 3 || len(r.Kvs) != 0 {
		t.Errorf("count-only: count %d, %d kvs", r.Count, len(r.Kvs))
	}
	if _, err := cli.Put(ctx, "a/1", "new"); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(get("a/1", clientv3.WithRev(revs[0]))); got != "a/1=x" {
		t.Errorf("at revision %d: %s", revs[0], got)
	}
	if got := keysOf(get("a/1", clientv3.WithSerializable())); got != "a/1=new" {
		t.Errorf("latest: %s", got)
	}
	if _, err := cli.Get(ctx, "a/1", clientv3.WithRev(1000)); !errors.Is(err, rpctypes.ErrFutureRev) {
		t.Errorf("future revision: %v, want %v", err, rpctypes.ErrFutureRev)
	}
}

func TestKVDeleteWithPrevKV(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	for _, k := range []string{"d/1", "d/2", "e"} {
		if _, err := cli.Put(ctx, k, "v"+k); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := cli.Delete(ctx, "d/", clientv3.WithPrefix(), clientv3.WithPrevKV())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deleted != 2 || len(resp.PrevKvs) != 2 || string(resp.PrevKvs[1].Value) != "vd/2" {
		t.Fatalf("delete: %+v", resp)
	}
	if r, err := cli.Get(ctx, "", clientv3.WithFromKey()); err != nil || keysOf(r) != "e=ve" {
		t.Fatalf("after delete: %v %v", r, err)
	}
}

func TestKVTxn(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	if _, err := cli.Put(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value("k"), "=", "1")).
		Then(clientv3.OpPut("k", "2"), clientv3.OpGet("k")).
		Else(clientv3.OpGet("k")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Succeeded || string(resp.Responses[1].GetResponseRange().Kvs[0].Value) != "2" {
		t.Fatalf("success branch: %+v", resp)
	}
	resp, err = cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value("k"), "=", "1")).
		Then(clientv3.OpPut("k", "3")).
		Else(clientv3.OpGet("k")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Succeeded || string(resp.Responses[0].GetResponseRange().Kvs[0].Value) != "2" {
		t.Fatalf("failure branch: %+v", resp)
	}
	if resp.Header.MemberId != 1 {
		t.Errorf("txn header %v", resp.Header)
	}
}

func TestKVCompactThenReadOld(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	first, err := cli.Put(ctx, "c", "1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := cli.Put(ctx, "c", "2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, second.Header.Revision); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Get(ctx, "c", clientv3.WithRev(first.Header.Revision)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("read below compaction: %v, want %v", err, rpctypes.ErrCompacted)
	}
	if _, err := cli.Compact(ctx, second.Header.Revision); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("compact again: %v, want %v", err, rpctypes.ErrCompacted)
	}
}

func TestKVRefusals(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)

	big := strings.Repeat("x", DefaultMaxRequestBytes+1)
	if _, err := cli.Put(ctx, "big", big); !errors.Is(err, rpctypes.ErrRequestTooLarge) {
		t.Errorf("large put: %v, want %v", err, rpctypes.ErrRequestTooLarge)
	}
	if _, err := cli.Txn(ctx).Then(clientv3.OpPut("big", big)).Commit(); !errors.Is(err, rpctypes.ErrRequestTooLarge) {
		t.Errorf("large txn: %v, want %v", err, rpctypes.ErrRequestTooLarge)
	}
	// Just under the limit goes through.
	if _, err := cli.Put(ctx, "big", big[:DefaultMaxRequestBytes-100]); err != nil {
		t.Errorf("put under the limit: %v", err)
	}

	ops := make([]clientv3.Op, 129)
	for i := range ops {
		ops[i] = clientv3.OpPut("k"+strings.Repeat("i", i+1), "v")
	}
	if _, err := cli.Txn(ctx).Then(ops...).Commit(); !errors.Is(err, rpctypes.ErrTooManyOps) {
		t.Errorf("too many ops: %v, want %v", err, rpctypes.ErrTooManyOps)
	}
	if _, err := cli.Put(ctx, "", "v"); !errors.Is(err, rpctypes.ErrEmptyKey) {
		t.Errorf("empty key: %v, want %v", err, rpctypes.ErrEmptyKey)
	}
	if _, err := cli.Txn(ctx).Then(clientv3.OpPut("d", "1"), clientv3.OpPut("d", "2")).Commit(); !errors.Is(err, rpctypes.ErrDuplicateKey) {
		t.Errorf("duplicate key: %v, want %v", err, rpctypes.ErrDuplicateKey)
	}
	if _, err := cli.Put(ctx, "k", "v", clientv3.WithLease(12345)); !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Errorf("unknown lease: %v, want %v", err, rpctypes.ErrLeaseNotFound)
	}
}

package etcdapi

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestLeaseLifecycle(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)

	grant, err := cli.Grant(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if grant.ID == 0 || grant.TTL != 30 {
		t.Fatalf("grant %+v", grant)
	}
	if _, err := cli.Put(ctx, "l/1", "v", clientv3.WithLease(grant.ID)); err != nil {
		t.Fatal(err)
	}

	ka, err := cli.KeepAlive(ctx, grant.ID)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case resp, ok := <-ka:
		if !ok || resp.ID != grant.ID || resp.TTL != 30 {
			t.Fatalf("keep-alive response %+v (open %v)", resp, ok)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no keep-alive response")
	}

	ttl, err := cli.TimeToLive(ctx, grant.ID, clientv3.WithAttachedKeys())
	if err != nil {
		t.Fatal(err)
	}
	if ttl.GrantedTTL != 30 || ttl.TTL <= 0 || len(ttl.Keys) != 1 || string(ttl.Keys[0]) != "l/1" {
		t.Fatalf("time-to-live %+v", ttl)
	}
	leases, err := cli.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(leases.Leases) != 1 || leases.Leases[0].ID != grant.ID {
		t.Fatalf("leases %+v", leases)
	}

	if _, err := cli.Revoke(ctx, grant.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := cli.Get(ctx, "l/1"); err != nil || len(r.Kvs) != 0 {
		t.Fatalf("key of revoked lease: %v %v", r, err)
	}
	if _, err := cli.Revoke(ctx, grant.ID); !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Fatalf("revoke again: %v, want %v", err, rpctypes.ErrLeaseNotFound)
	}
	// etcd answers an unknown lease's time-to-live with TTL -1 and its
	// keep-alive with TTL 0 (which clientv3 reports as not found).
	ttl, err = cli.TimeToLive(ctx, grant.ID)
	if err != nil || ttl.TTL != -1 || ttl.ID != grant.ID {
		t.Fatalf("time-to-live of a revoked lease: %+v, %v", ttl, err)
	}
	if _, err := cli.KeepAliveOnce(ctx, grant.ID); !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		t.Fatalf("keep-alive of a revoked lease: %v, want %v", err, rpctypes.ErrLeaseNotFound)
	}
}

package etcdapi

import (
	"errors"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestMemberListAndStatus(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	ml, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ml.Members) != 1 || ml.Members[0].ID != 1 || ml.Members[0].ClientURLs[0] != ts.url {
		t.Fatalf("members %+v", ml.Members)
	}
	if ml.Header.ClusterId != testClusterID || ml.Header.Revision != 0 { // etcd: no revision in membership headers
		t.Fatalf("member list header %v", ml.Header)
	}
	if _, err := cli.MemberRemove(ctx, 99); !errors.Is(err, rpctypes.ErrMemberNotFound) {
		t.Fatalf("remove unknown member: %v", err)
	}
	st, err := cli.Status(ctx, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leader != 1 || st.Version != "3.5.0" || st.Header.MemberId != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestMaintenanceAndAuth(t *testing.T) {
	ts := newTestServer(t)
	cli := newClient(t, ts.addr)
	ctx := testCtx(t)
	alarms, err := cli.AlarmList(ctx)
	if err != nil || len(alarms.Alarms) != 0 {
		t.Fatalf("alarms %v %v", alarms, err)
	}
	if _, err := cli.Defragment(ctx, ts.addr); err != nil {
		t.Fatalf("defragment: %v", err)
	}
	if _, err := cli.HashKV(ctx, ts.addr, 0); status.Code(err) != codes.Unimplemented {
		t.Fatalf("hashkv: %v, want Unimplemented", err)
	}
	as, err := cli.AuthStatus(ctx)
	if err != nil || as.Enabled {
		t.Fatalf("auth status %+v %v", as, err)
	}
	if _, err := cli.UserAdd(ctx, "u", "p"); !errors.Is(err, rpctypes.ErrAuthNotEnabled) {
		t.Fatalf("user add: %v, want %v", err, rpctypes.ErrAuthNotEnabled)
	}

	cc, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	h, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health %v %v", h, err)
	}
}

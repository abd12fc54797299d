package group

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestThreeMembersJoinAndSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "", "")
		leader := ms[0]
		if len(leader.Members) != 3 {
			t.Fatalf("leader got %d members' metadata, want 3", len(leader.Members))
		}
		for _, m := range leader.Members {
			if !bytes.Equal(m.Metadata, subscription("t1", "t2")) {
				t.Fatalf("leader got metadata %q for %s", m.Metadata, m.MemberID)
			}
		}
		for _, f := range ms[1:] {
			if len(f.Members) != 0 || f.Leader != leader.MemberID || f.Generation != 1 || f.Protocol != "range" || f.ProtocolType != "consumer" {
				t.Fatalf("follower answer %+v", f)
			}
		}
		gs := e.lastState()
		if gs.State != Stable || gs.Generation != 1 || len(gs.Members) != 3 || gs.Leader != leader.MemberID || gs.Protocol != "range" {
			t.Fatalf("persisted %+v", gs)
		}
		for _, m := range gs.Members {
			if string(m.Assignment) != "to "+m.MemberID {
				t.Fatalf("persisted assignment %q for %s", m.Assignment, m.MemberID)
			}
		}
		for _, m := range ms {
			wantErr(t, "heartbeat", e.heartbeat("g", m), nil)
		}
		// A follower that lost its SyncGroup answer asks again.
		s := e.c.SyncGroup(context.Background(), SyncRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID})
		wantErr(t, "sync again", s.Err, nil)
		if string(s.Assignment) != "to "+ms[1].MemberID {
			t.Fatalf("sync again: %q", s.Assignment)
		}
		d := e.c.DescribeGroup("g")
		if d.State != Stable || d.Protocol != "range" || len(d.Members) != 3 || d.Members[0].Assignment == nil {
			t.Fatalf("describe %+v", d)
		}
		if l := e.c.ListGroups([]string{"stable"}); len(l) != 1 || l[0].Group != "g" || l[0].ProtocolType != "consumer" {
			t.Fatalf("list %+v", l)
		}
		if l := e.c.ListGroups([]string{"Empty"}); len(l) != 0 {
			t.Fatalf("list Empty %+v", l)
		}
	})
}

func TestInitialRebalanceDelayExtendsWhileMembersArrive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		a := e.joinAsync(consumerJoin("g", ""))
		e.advance(80 * time.Millisecond)
		b := e.joinAsync(consumerJoin("g", ""))
		e.advance(20 * time.Millisecond) // first delay over, but b arrived in it
		if !a.blocked() || !b.blocked() {
			t.Fatal("rebalance completed although a member arrived during the initial delay")
		}
		e.advance(delay)
		ra, rb := a.result(), b.result()
		wantErr(t, "a", ra.Err, nil)
		wantErr(t, "b", rb.Err, nil)
		if ra.Generation != 1 || rb.Generation != 1 || ra.Leader != ra.MemberID {
			t.Fatalf("answers %+v %+v", ra, rb)
		}
	})
}

func TestJoinPhaseEndsAtRebalanceTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "")
		// A new member starts a rebalance; only the leader rejoins.
		c := e.joinAsync(consumerJoin("g", ""))
		synctest.Wait()
		wantErr(t, "heartbeat during rebalance", e.heartbeat("g", ms[0]), ErrRebalanceInProgress)
		a := e.joinAsync(consumerJoin("g", ms[0].MemberID))
		// b keeps its session alive but does not rejoin.
		for range 5 {
			e.advance(rebalance / 6)
			wantErr(t, "b heartbeat", e.heartbeat("g", ms[1]), ErrRebalanceInProgress)
		}
		e.advance(rebalance/6 - time.Millisecond)
		if !a.blocked() || !c.blocked() {
			t.Fatal("join phase ended before the rebalance timeout")
		}
		e.advance(time.Millisecond)
		ra, rc := a.result(), c.result()
		if ra.Generation != 2 || rc.Generation != 2 || ra.Leader != ms[0].MemberID || len(ra.Members) != 2 {
			t.Fatalf("answers %+v %+v", ra, rc)
		}
		wantErr(t, "b removed", e.heartbeat("g", ms[1]), ErrUnknownMemberID)
		// Stale generation.
		wantErr(t, "old generation", e.heartbeat("g", ms[0]), ErrIllegalGeneration)
	})
}

func TestSessionExpiryTriggersRebalance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "")
		e.advance(session / 2)
		wantErr(t, "a heartbeat", e.heartbeat("g", ms[0]), nil)
		e.advance(session/2 - time.Millisecond)
		wantErr(t, "a heartbeat", e.heartbeat("g", ms[0]), nil)
		e.advance(time.Millisecond)
		// b never heartbeat: its session lapsed and the group rebalances.
		if d := e.c.DescribeGroup("g"); d.State != PreparingRebalance || len(d.Members) != 1 {
			t.Fatalf("after b's expiry: %+v", d)
		}
		wantErr(t, "a heartbeat", e.heartbeat("g", ms[0]), ErrRebalanceInProgress)
		r := e.c.JoinGroup(context.Background(), consumerJoin("g", ms[0].MemberID))
		wantErr(t, "rejoin", r.Err, nil)
		if r.Generation != 2 || len(r.Members) != 1 {
			t.Fatalf("rejoin %+v", r)
		}
	})
}

func TestLeaveGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "")
		errs, err := e.c.LeaveGroup(context.Background(), "g", []LeaveMember{{MemberID: ms[1].MemberID}, {MemberID: "nobody"}})
		wantErr(t, "leave", err, nil)
		wantErr(t, "leave b", errs[0], nil)
		wantErr(t, "leave nobody", errs[1], ErrUnknownMemberID)
		if d := e.c.DescribeGroup("g"); d.State != PreparingRebalance {
			t.Fatalf("after leave: %v", d.State)
		}
		// The last member leaving empties the group, persisted before the answer.
		e.setPersistErr(context.DeadlineExceeded)
		_, err = e.c.LeaveGroup(context.Background(), "g", []LeaveMember{{MemberID: ms[0].MemberID}})
		wantErr(t, "leave with failing store", err, ErrCoordinatorNotAvailable)
		e.setPersistErr(nil)
		if d := e.c.DescribeGroup("g"); d.State != Empty {
			t.Fatalf("after last leave: %v", d.State)
		}
		// The next change retries the write.
		r := consumerJoin("g", "")
		r.RequireKnownMemberID = true
		e.c.JoinGroup(context.Background(), r)
		_, _ = e.c.LeaveGroup(context.Background(), "g", []LeaveMember{{MemberID: "x"}})
		if gs := e.lastState(); gs.State != Empty || gs.Generation != 2 || len(gs.Members) != 0 {
			t.Fatalf("persisted %+v", gs)
		}
		if errs, err := e.c.LeaveGroup(context.Background(), "unknown", []LeaveMember{{MemberID: "m"}}); err != nil || len(errs) != 1 || errs[0] != ErrUnknownMemberID {
			t.Fatalf("leave unknown group: %v %v", errs, err)
		}
	})
}

func TestLeaveWakesRebalance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "")
		a := e.joinAsync(consumerJoin("g", ms[0].MemberID))
		synctest.Wait()
		if !a.blocked() {
			t.Fatal("leader's rejoin answered before b rejoined")
		}
		_, err := e.c.LeaveGroup(context.Background(), "g", []LeaveMember{{MemberID: ms[1].MemberID}})
		wantErr(t, "leave", err, nil)
		synctest.Wait()
		if r := a.result(); r.Generation != 2 || len(r.Members) != 1 {
			t.Fatalf("rejoin %+v", r)
		}
	})
}

func TestPendingMemberIDExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "")
		r := consumerJoin("g", "")
		r.RequireKnownMemberID = true
		first := e.c.JoinGroup(context.Background(), r)
		wantErr(t, "first", first.Err, ErrMemberIDRequired)
		if first.MemberID == "" {
			t.Fatal("no member id handed out")
		}
		// The leader's rejoin waits for the pending member...
		a := e.joinAsync(consumerJoin("g", ms[0].MemberID))
		e.advance(session - time.Millisecond)
		if !a.blocked() {
			t.Fatal("join phase ended with a member id outstanding")
		}
		// ...until its session passes.
		e.advance(time.Millisecond)
		if r := a.result(); r.Err != nil || len(r.Members) != 1 {
			t.Fatalf("rejoin %+v", r)
		}
		r.MemberID = first.MemberID
		if late := e.c.JoinGroup(context.Background(), r); late.Err != ErrUnknownMemberID {
			t.Fatalf("expired pending member joined: %+v", late)
		}
	})
}

func TestNotRejoinedSyncMemberRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ra, rb := e.joinTwo("g")
		// The leader syncs; the follower never does.
		ls := e.syncAsync(SyncRequest{Group: "g", Generation: 1, MemberID: ra.MemberID,
			Assignments: []MemberAssignment{{MemberID: ra.MemberID, Assignment: []byte("x")}}})
		synctest.Wait()
		if r := ls.result(); r.Err != nil || string(r.Assignment) != "x" {
			t.Fatalf("leader sync %+v", r)
		}
		for range 6 {
			e.advance(rebalance / 6)
			_ = e.heartbeat("g", ra)
		}
		wantErr(t, "follower removed", e.heartbeat("g", rb), ErrUnknownMemberID)
		if d := e.c.DescribeGroup("g"); d.State != PreparingRebalance || len(d.Members) != 1 {
			t.Fatalf("after sync timeout %+v", d)
		}
	})
}

func TestProtocolSelection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members [][]string
		want    string
	}{
		{"common", [][]string{{"range"}, {"range"}}, "range"},
		{"first preference", [][]string{{"sticky", "range"}, {"sticky", "range"}}, "sticky"},
		{"only common one", [][]string{{"sticky", "range"}, {"range", "roundrobin"}}, "range"},
		{"majority vote", [][]string{{"a", "b"}, {"b", "a"}, {"b", "a"}}, "b"},
		{"tie by name", [][]string{{"b", "a"}, {"a", "b"}}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{})
				var js []pending[JoinResponse]
				for _, ps := range tc.members {
					js = append(js, e.joinAsync(consumerJoin("g", "", ps...)))
					synctest.Wait()
				}
				e.advance(time.Second)
				for _, j := range js {
					if r := j.result(); r.Err != nil || r.Protocol != tc.want {
						t.Fatalf("got %+v, want protocol %s", r, tc.want)
					}
				}
			})
		})
	}
}

func TestJoinErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{MaxGroupSize: 2})
		ms := e.stableGroup("g", "", "")
		bg := context.Background()
		mod := func(f func(*JoinRequest)) JoinRequest {
			r := consumerJoin("g", "")
			f(&r)
			return r
		}
		for _, tc := range []struct {
			name string
			r    JoinRequest
			want error
		}{
			{"empty group id", mod(func(r *JoinRequest) { r.Group = "" }), ErrInvalidGroupID},
			{"session too short", mod(func(r *JoinRequest) { r.SessionTimeout = time.Second }), ErrInvalidSessionTimeout},
			{"session too long", mod(func(r *JoinRequest) { r.SessionTimeout = time.Hour }), ErrInvalidSessionTimeout},
			{"unknown member, unknown group", mod(func(r *JoinRequest) { r.Group = "other"; r.MemberID = "m" }), ErrUnknownMemberID},
			// Kafka checks the size before the member id.
			{"unknown member, full group", mod(func(r *JoinRequest) { r.MemberID = "m" }), ErrGroupMaxSizeReached},
			{"protocol type", mod(func(r *JoinRequest) { r.MemberID = ms[1].MemberID; r.ProtocolType = "connect" }), ErrInconsistentGroupProtocol},
			{"no common protocol", mod(func(r *JoinRequest) { r.MemberID = ms[1].MemberID; r.Protocols[0].Name = "other" }), ErrInconsistentGroupProtocol},
			{"group full", mod(func(r *JoinRequest) {}), ErrGroupMaxSizeReached},
			{"new group without protocols", mod(func(r *JoinRequest) { r.Group = "new"; r.Protocols = nil }), ErrInconsistentGroupProtocol},
		} {
			r := e.c.JoinGroup(bg, tc.r)
			if r.Err != tc.want || r.Generation != -1 {
				t.Errorf("%s: got %+v, want %v", tc.name, r, tc.want)
			}
		}
		// A follower rejoining with unchanged metadata gets the current generation.
		r := e.c.JoinGroup(bg, consumerJoin("g", ms[1].MemberID))
		if r.Err != nil || r.Generation != 1 || r.Leader != ms[0].MemberID || len(r.Members) != 0 {
			t.Fatalf("follower rejoin %+v", r)
		}
	})
}

func TestSyncErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "", "")
		bg := context.Background()
		if r := e.c.JoinGroup(bg, consumerJoin("g", "m")); r.Err != ErrUnknownMemberID {
			t.Fatalf("unknown member joins: %v", r.Err)
		}
		for _, tc := range []struct {
			name string
			r    SyncRequest
			want error
		}{
			{"empty group id", SyncRequest{MemberID: "m"}, ErrInvalidGroupID},
			{"unknown group", SyncRequest{Group: "x", MemberID: "m"}, ErrUnknownMemberID},
			{"unknown member", SyncRequest{Group: "g", Generation: 1, MemberID: "m"}, ErrUnknownMemberID},
			{"generation", SyncRequest{Group: "g", Generation: 7, MemberID: ms[1].MemberID}, ErrIllegalGeneration},
			{"protocol", SyncRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID, Protocol: "sticky"}, ErrInconsistentGroupProtocol},
			{"protocol type", SyncRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID, ProtocolType: "connect"}, ErrInconsistentGroupProtocol},
		} {
			if r := e.c.SyncGroup(bg, tc.r); r.Err != tc.want {
				t.Errorf("%s: got %v, want %v", tc.name, r.Err, tc.want)
			}
		}
		a := e.joinAsync(consumerJoin("g", ms[0].MemberID))
		synctest.Wait()
		if r := e.c.SyncGroup(bg, SyncRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID}); r.Err != ErrRebalanceInProgress {
			t.Fatalf("sync while preparing: %v", r.Err)
		}
		_ = a
	})
}

func TestPersistFailureAtSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ra, rb := e.joinTwo("g")
		fs := e.syncAsync(SyncRequest{Group: "g", Generation: 1, MemberID: rb.MemberID})
		synctest.Wait()
		e.setPersistErr(context.DeadlineExceeded)
		ls := e.c.SyncGroup(context.Background(), SyncRequest{Group: "g", Generation: 1, MemberID: ra.MemberID})
		synctest.Wait()
		wantErr(t, "leader", ls.Err, ErrCoordinatorNotAvailable)
		wantErr(t, "follower", fs.result().Err, ErrCoordinatorNotAvailable)
		if d := e.c.DescribeGroup("g"); d.State != PreparingRebalance {
			t.Fatalf("after failed store: %v", d.State)
		}
	})
}

func TestContextEndsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		p := async(t, func() JoinResponse { return e.c.JoinGroup(ctx, consumerJoin("g", "")) })
		synctest.Wait()
		cancel()
		synctest.Wait()
		if r := p.result(); r.Err == nil || r.Generation != -1 {
			t.Fatalf("abandoned join: %+v", r)
		}
		// The member stays joined, as in Kafka: the rebalance completes with it.
		e.advance(time.Second)
		if d := e.c.DescribeGroup("g"); d.State != CompletingRebalance || len(d.Members) != 1 {
			t.Fatalf("after abandoned join %+v", d)
		}
	})
}

func TestUnloadAnswersNotCoordinator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		p := e.joinAsync(consumerJoin("g", ""))
		synctest.Wait()
		e.c.Unload("g")
		synctest.Wait()
		wantErr(t, "waiting join", p.result().Err, ErrNotCoordinator)
		if d := e.c.DescribeGroup("g"); d.State != Dead {
			t.Fatalf("unloaded group is %v", d.State)
		}
		e.c.Close()
		if r := e.c.JoinGroup(context.Background(), consumerJoin("g", "")); r.Err != ErrNotCoordinator {
			t.Fatalf("join after close: %v", r.Err)
		}
	})
}

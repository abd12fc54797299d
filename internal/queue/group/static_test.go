package group

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
)

func staticJoin(groupID, instance, memberID string, protocols ...string) JoinRequest {
	r := consumerJoin(groupID, memberID, protocols...)
	r.InstanceID = instance
	r.RequireKnownMemberID = true
	return r
}

func TestStaticMemberRejoinsWithoutRebalance(t *testing.T) {
	for _, v9 := range []bool{false, true} {
		t.Run(map[bool]string{false: "v5", true: "v9"}[v9], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, Config{})
				ms := e.stableGroup("g", "a", "b")
				inst := map[string]string{}
				for _, m := range ms[0].Members {
					inst[m.MemberID] = m.InstanceID
				}
				leader := ms[0]
				// The leader's process restarts: it joins with its instance id and no member id.
				r := staticJoin("g", inst[leader.MemberID], "")
				r.SkipAssignmentSupported = v9
				nr := e.c.JoinGroup(context.Background(), r)
				wantErr(t, "static rejoin", nr.Err, nil)
				if nr.MemberID == leader.MemberID || !strings.HasPrefix(nr.MemberID, inst[leader.MemberID]+"-") {
					t.Fatalf("new member id %q", nr.MemberID)
				}
				if nr.Generation != 1 {
					t.Fatalf("generation %d: a rebalance happened", nr.Generation)
				}
				if v9 {
					if nr.Leader != nr.MemberID || !nr.SkipAssignment || len(nr.Members) != 2 {
						t.Fatalf("v9 answer %+v", nr)
					}
				} else if nr.Leader != leader.MemberID || nr.SkipAssignment || len(nr.Members) != 0 {
					t.Fatalf("pre-v9 answer %+v", nr)
				}
				if d := e.c.DescribeGroup("g"); d.State != Stable {
					t.Fatalf("group %v", d.State)
				}
				// The assignment stays; the new id syncs and gets it.
				s := e.c.SyncGroup(context.Background(), SyncRequest{Group: "g", Generation: 1, MemberID: nr.MemberID, InstanceID: inst[leader.MemberID]})
				if s.Err != nil || string(s.Assignment) != "to "+leader.MemberID {
					t.Fatalf("sync %+v", s)
				}
				// The old process is fenced.
				err := e.c.Heartbeat(context.Background(), HeartbeatRequest{Group: "g", Generation: 1, MemberID: leader.MemberID, InstanceID: inst[leader.MemberID]})
				wantErr(t, "old id", err, ErrFencedInstanceID)
				gs := e.lastState()
				if gs.Leader != nr.MemberID || gs.Members[0].MemberID != nr.MemberID {
					t.Fatalf("persisted %+v", gs)
				}
				// A commit from the fenced id is refused too.
				_, err = e.c.CommitOffsets(context.Background(), CommitRequest{Group: "g", Generation: 1, MemberID: leader.MemberID, InstanceID: inst[leader.MemberID],
					Offsets: []CommitOffset{{Topic: "t1", Offset: 1}}})
				wantErr(t, "fenced commit", err, ErrFencedInstanceID)
			})
		})
	}
}

func TestStaticRejoinFencesWaitingCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "a", "b")
		// A third member starts a rebalance; a's old process rejoins with its id.
		c := e.joinAsync(consumerJoin("g", ""))
		synctest.Wait()
		var aID string
		for _, m := range ms[0].Members {
			if m.InstanceID == "a" {
				aID = m.MemberID
			}
		}
		old := e.joinAsync(staticJoin("g", "a", aID))
		synctest.Wait()
		// a's new process takes over: the old call is fenced.
		nw := e.joinAsync(staticJoin("g", "a", ""))
		synctest.Wait()
		wantErr(t, "old call", old.result().Err, ErrFencedInstanceID)
		// b rejoins; the join phase completes with a's new id.
		var bID string
		for _, m := range ms[0].Members {
			if m.InstanceID == "b" {
				bID = m.MemberID
			}
		}
		b := e.joinAsync(staticJoin("g", "b", bID))
		synctest.Wait()
		rn, rb, rc := nw.result(), b.result(), c.result()
		for _, r := range []JoinResponse{rn, rb, rc} {
			if r.Err != nil || r.Generation != 2 {
				t.Fatalf("answer %+v", r)
			}
		}
	})
}

func TestStaticRejoinWithNewProtocolRebalances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "a", "b")
		_ = ms
		// Both restart preferring "sticky" (still supporting "range"); once
		// both run it, the vote changes the protocol: a rebalance.
		a := e.c.JoinGroup(context.Background(), staticJoin("g", "a", "", "sticky", "range"))
		wantErr(t, "a", a.Err, nil)
		if a.Generation != 1 {
			t.Fatalf("a: %+v", a)
		}
		b := e.joinAsync(staticJoin("g", "b", "", "sticky", "range"))
		synctest.Wait()
		if !b.blocked() {
			t.Fatalf("b answered at once: %+v", b.result())
		}
		if d := e.c.DescribeGroup("g"); d.State != PreparingRebalance {
			t.Fatalf("group %v", d.State)
		}
		ra := e.c.JoinGroup(context.Background(), staticJoin("g", "a", a.MemberID, "sticky", "range"))
		synctest.Wait()
		rb := b.result()
		if ra.Err != nil || rb.Err != nil || ra.Protocol != "sticky" || ra.Generation != 2 {
			t.Fatalf("answers %+v %+v", ra, rb)
		}
	})
}

func TestStaticReplacementPersistFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "a")
		e.setPersistErr(context.DeadlineExceeded)
		r := e.c.JoinGroup(context.Background(), staticJoin("g", "a", ""))
		wantErr(t, "replacement", r.Err, ErrCoordinatorNotAvailable)
		e.setPersistErr(nil)
		// The old id is back.
		wantErr(t, "old id heartbeat", e.heartbeat("g", ms[0]), nil)
		if d := e.c.DescribeGroup("g"); d.Members[0].MemberID != ms[0].MemberID {
			t.Fatalf("members %+v", d.Members)
		}
	})
}

func TestStaticMemberSurvivesRebalanceUntilSessionExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		ms := e.stableGroup("g", "a", "b")
		var aID, bID string
		for _, m := range ms[0].Members {
			if m.InstanceID == "a" {
				aID = m.MemberID
			} else {
				bID = m.MemberID
			}
		}
		// Only a rejoins (with a new subscription, so the group
		// rebalances); b is static, so the rebalance timeout keeps it.
		jr := staticJoin("g", "a", aID)
		jr.Protocols[0].Metadata = subscription("t1", "t2", "t3")
		a := e.joinAsync(jr)
		for range 6 {
			e.advance(rebalance / 6)
			_ = e.c.Heartbeat(context.Background(), HeartbeatRequest{Group: "g", Generation: 1, MemberID: bID, InstanceID: "b"})
		}
		ra := a.result()
		if ra.Err != nil || ra.Generation != 2 || len(ra.Members) != 2 {
			t.Fatalf("a: %+v", ra)
		}
		s := e.c.SyncGroup(context.Background(), SyncRequest{Group: "g", Generation: 2, MemberID: ra.MemberID})
		wantErr(t, "a sync", s.Err, nil)
		// b's session, rearmed by the rebalance, then expires.
		e.advance(session / 2)
		wantErr(t, "a heartbeat", e.heartbeat("g", ra), nil)
		e.advance(session / 2)
		if d := e.c.DescribeGroup("g"); len(d.Members) != 1 {
			t.Fatalf("members after b's session: %+v", d.Members)
		}
	})
}

func TestLeaveByInstanceID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		e.stableGroup("g", "a", "b")
		errs, err := e.c.LeaveGroup(context.Background(), "g", []LeaveMember{
			{InstanceID: "a"}, {InstanceID: "zz"}, {MemberID: "wrong", InstanceID: "b"},
		})
		wantErr(t, "leave", err, nil)
		wantErr(t, "a", errs[0], nil)
		wantErr(t, "zz", errs[1], ErrUnknownMemberID)
		wantErr(t, "b with wrong id", errs[2], ErrFencedInstanceID)
		if d := e.c.DescribeGroup("g"); len(d.Members) != 1 || d.Members[0].InstanceID != "b" {
			t.Fatalf("members %+v", d.Members)
		}
	})
}

package group

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
)

func TestSimpleCommitAndFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		bg := context.Background()
		perr, err := e.c.CommitOffsets(bg, CommitRequest{Group: "g", Generation: -1, Offsets: []CommitOffset{
			{Topic: "t", Partition: 1, Offset: 42, LeaderEpoch: 3, Metadata: "m"},
			{Topic: "t", Partition: 0, Offset: 7, LeaderEpoch: -1},
			{Topic: "t", Partition: 2, Offset: 9, Metadata: strings.Repeat("x", DefaultMaxOffsetMetadata+1)},
		}})
		wantErr(t, "commit", err, nil)
		wantErr(t, "p1", perr[0].Err, nil)
		wantErr(t, "p0", perr[1].Err, nil)
		wantErr(t, "p2", perr[2].Err, ErrOffsetMetadataTooLarge)
		all, err := e.c.FetchOffsets("g", nil)
		wantErr(t, "fetch", err, nil)
		if len(all) != 2 || all[0].Partition != 0 || all[1].Offset != 42 || all[1].LeaderEpoch != 3 || all[1].Metadata != "m" || !all[1].CommitTime.Equal(t0) {
			t.Fatalf("fetch all %+v", all)
		}
		some, _ := e.c.FetchOffsets("g", []TopicPartition{{"t", 1}, {"t", 5}})
		if some[0].Offset != 42 || some[1].Offset != -1 || some[1].LeaderEpoch != -1 {
			t.Fatalf("fetch some %+v", some)
		}
		none, _ := e.c.FetchOffsets("nope", []TopicPartition{{"t", 1}})
		if none[0].Offset != -1 {
			t.Fatalf("fetch unknown group %+v", none)
		}
		if d := e.c.DescribeGroup("g"); d.State != Empty {
			t.Fatalf("group created by a commit is %v", d.State)
		}
		// A failing store fails the commit and changes nothing.
		e.mu.Lock()
		e.offsetErr = context.DeadlineExceeded
		e.mu.Unlock()
		perr, _ = e.c.CommitOffsets(bg, CommitRequest{Group: "g", Generation: -1, Offsets: []CommitOffset{{Topic: "t", Partition: 1, Offset: 50}}})
		wantErr(t, "failed store", perr[0].Err, ErrCoordinatorNotAvailable)
		if o, _ := e.c.FetchOffsets("g", []TopicPartition{{"t", 1}}); o[0].Offset != 42 {
			t.Fatalf("after failed commit %+v", o)
		}
	})
}

func TestMemberCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		bg := context.Background()
		ms := e.stableGroup("g", "", "")
		off := []CommitOffset{{Topic: "t1", Partition: 0, Offset: 5}}
		for _, tc := range []struct {
			name string
			r    CommitRequest
			want error
		}{
			{"member", CommitRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID, Offsets: off}, nil},
			{"simple commit to a live group", CommitRequest{Group: "g", Generation: -1, Offsets: off}, ErrUnknownMemberID},
			{"wrong generation", CommitRequest{Group: "g", Generation: 2, MemberID: ms[1].MemberID, Offsets: off}, ErrIllegalGeneration},
			{"generation -1 with member", CommitRequest{Group: "g", Generation: -1, MemberID: ms[1].MemberID, Offsets: off}, ErrIllegalGeneration},
			{"unknown member", CommitRequest{Group: "g", Generation: 1, MemberID: "x", Offsets: off}, ErrUnknownMemberID},
			{"unknown group, generation", CommitRequest{Group: "h", Generation: 1, MemberID: "x", Offsets: off}, ErrIllegalGeneration},
		} {
			_, err := e.c.CommitOffsets(bg, tc.r)
			if tc.want == nil && err != nil || tc.want != nil && err != tc.want {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			}
		}
		// Preparing a rebalance: commits still go through.
		a := e.joinAsync(consumerJoin("g", ms[0].MemberID))
		synctest.Wait()
		_, err := e.c.CommitOffsets(bg, CommitRequest{Group: "g", Generation: 1, MemberID: ms[1].MemberID, Offsets: off})
		wantErr(t, "commit while preparing", err, nil)
		b := e.c.JoinGroup(bg, consumerJoin("g", ms[1].MemberID))
		synctest.Wait()
		_ = a.result()
		// Completing the rebalance: not until the assignment is out.
		_, err = e.c.CommitOffsets(bg, CommitRequest{Group: "g", Generation: b.Generation, MemberID: b.MemberID, Offsets: off})
		wantErr(t, "commit while completing", err, ErrRebalanceInProgress)
	})
}

func TestDeleteOffsets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		bg := context.Background()
		ms := e.stableGroup("g", "")
		_, err := e.c.CommitOffsets(bg, CommitRequest{Group: "g", Generation: 1, MemberID: ms[0].MemberID,
			Offsets: []CommitOffset{{Topic: "t1", Offset: 1}, {Topic: "old", Offset: 2}}})
		wantErr(t, "commit", err, nil)
		perr, err := e.c.DeleteOffsets(bg, "g", []TopicPartition{{"t1", 0}, {"old", 0}})
		wantErr(t, "delete", err, nil)
		wantErr(t, "subscribed topic", perr[0].Err, ErrGroupSubscribedToTopic)
		wantErr(t, "other topic", perr[1].Err, nil)
		left, _ := e.c.FetchOffsets("g", nil)
		if len(left) != 1 || left[0].Topic != "t1" {
			t.Fatalf("left %+v", left)
		}
		_, err = e.c.DeleteOffsets(bg, "nope", []TopicPartition{{"t1", 0}})
		wantErr(t, "unknown group", err, ErrGroupIDNotFound)
		// A non-consumer group with members refuses.
		r := consumerJoin("conn", "")
		r.ProtocolType = "connect"
		p := e.joinAsync(r)
		e.advance(delay * 10)
		_ = p.result()
		_, err = e.c.DeleteOffsets(bg, "conn", []TopicPartition{{"t1", 0}})
		wantErr(t, "connect group", err, ErrNonEmptyGroup)
	})
}

func TestDeleteGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		bg := context.Background()
		ms := e.stableGroup("g", "")
		wantErr(t, "non-empty", e.c.DeleteGroup(bg, "g"), ErrNonEmptyGroup)
		wantErr(t, "unknown", e.c.DeleteGroup(bg, "nope"), ErrGroupIDNotFound)
		_, err := e.c.LeaveGroup(bg, "g", []LeaveMember{{MemberID: ms[0].MemberID}})
		wantErr(t, "leave", err, nil)
		e.setPersistErr(context.DeadlineExceeded)
		wantErr(t, "failing store", e.c.DeleteGroup(bg, "g"), ErrCoordinatorNotAvailable)
		e.setPersistErr(nil)
		if d := e.c.DescribeGroup("g"); d.State != Empty {
			t.Fatalf("after failed delete: %v", d.State)
		}
		wantErr(t, "delete", e.c.DeleteGroup(bg, "g"), nil)
		if gs := e.lastState(); gs.State != Dead || gs.Group != "g" {
			t.Fatalf("persisted %+v", gs)
		}
		if l := e.c.ListGroups(nil); len(l) != 0 {
			t.Fatalf("listed %+v", l)
		}
	})
}

func TestLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Config{})
		e.stableGroup("g", "a", "")
		gs := e.lastState()
		offs := []CommittedOffset{{Topic: "t1", Partition: 0, Offset: 9, LeaderEpoch: -1}}

		// A second node takes over the group.
		e2 := newEnv(t, Config{})
		e.c.Unload("g")
		e2.c.Load(gs, offs)
		d := e2.c.DescribeGroup("g")
		if d.State != Stable || len(d.Members) != 2 || d.Protocol != "range" {
			t.Fatalf("loaded %+v", d)
		}
		m0 := JoinResponse{MemberID: gs.Members[0].MemberID, Generation: gs.Generation}
		m1 := JoinResponse{MemberID: gs.Members[1].MemberID, Generation: gs.Generation}
		wantErr(t, "heartbeat after load", e2.heartbeat("g", m0), nil)
		s := e2.c.SyncGroup(context.Background(), SyncRequest{Group: "g", Generation: gs.Generation, MemberID: m1.MemberID})
		if s.Err != nil || string(s.Assignment) != "to "+m1.MemberID {
			t.Fatalf("sync after load %+v", s)
		}
		if o, _ := e2.c.FetchOffsets("g", nil); len(o) != 1 || o[0].Offset != 9 {
			t.Fatalf("offsets after load %+v", o)
		}
		// Loaded members have fresh sessions that expire.
		e2.advance(session / 2)
		wantErr(t, "heartbeat", e2.heartbeat("g", m0), nil)
		e2.advance(session / 2)
		if d := e2.c.DescribeGroup("g"); d.State != PreparingRebalance || len(d.Members) != 1 {
			t.Fatalf("after m1's session %+v", d)
		}
		// Static member fencing survives the move.
		err := e2.c.Heartbeat(context.Background(), HeartbeatRequest{Group: "g", Generation: gs.Generation, MemberID: "other", InstanceID: "a"})
		if gs.Members[0].InstanceID == "a" {
			wantErr(t, "fenced", err, ErrFencedInstanceID)
		}
	})
}

func FuzzParseSubscription(f *testing.F) {
	f.Add(subscription("a", "b"))
	f.Add(subscription())
	f.Add([]byte{0, 3, 0, 0, 0, 1, 0, 1, 'x', 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		topics, ok := parseSubscription(b)
		if !ok && topics != nil {
			t.Fatal("topics without success")
		}
	})
}

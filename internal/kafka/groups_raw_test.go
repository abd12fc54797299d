package kafka

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The oldest versions, spoken by hand: a v0 member joins, syncs,
// heartbeats, commits (v0 and v1), fetches (v0, v1, v2) and leaves; an
// unknown topic's partition is refused on commit and answers -1 on fetch.
func TestGroupOldVersions(t *testing.T) {
	b := sampleBackend()
	addr := startFake(t, b)
	c := dial(t, addr)

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.Version, fc.CoordinatorKey = 0, "old"
	if r := roundTrip(t, c, 1, fc).(*kmsg.FindCoordinatorResponse); r.ErrorCode != 0 || r.NodeID != 1 || r.Port <= 0 {
		t.Fatalf("find coordinator v0: %+v", r)
	}
	fc.Version, fc.CoordinatorType = 1, 1 // a transactional id
	if r := roundTrip(t, c, 2, fc).(*kmsg.FindCoordinatorResponse); r.ErrorCode != CodeInvalidRequest || r.NodeID != -1 || r.ErrorMessage == nil {
		t.Fatalf("find transaction coordinator: %+v", r)
	}

	join := kmsg.NewPtrJoinGroupRequest()
	join.Version, join.Group, join.SessionTimeoutMillis, join.ProtocolType = 0, "old", 10000, "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 1}}}
	jr := roundTrip(t, c, 3, join).(*kmsg.JoinGroupResponse)
	if jr.ErrorCode != 0 || jr.Generation != 1 || jr.LeaderID != jr.MemberID || len(jr.Members) != 1 || *jr.Protocol != "range" {
		t.Fatalf("join v0: %+v", jr)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Version, sync.Group, sync.Generation, sync.MemberID = 0, "old", jr.Generation, jr.MemberID
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: jr.MemberID, MemberAssignment: []byte("mine")}}
	if sr := roundTrip(t, c, 4, sync).(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 || string(sr.MemberAssignment) != "mine" {
		t.Fatalf("sync v0: %+v", sr)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Version, hb.Group, hb.Generation, hb.MemberID = 0, "old", jr.Generation, jr.MemberID
	if r := roundTrip(t, c, 5, hb).(*kmsg.HeartbeatResponse); r.ErrorCode != 0 {
		t.Fatalf("heartbeat: %s", CodeName(r.ErrorCode))
	}
	hb.Generation++
	if r := roundTrip(t, c, 6, hb).(*kmsg.HeartbeatResponse); r.ErrorCode != CodeIllegalGeneration {
		t.Fatalf("heartbeat of the wrong generation: %s", CodeName(r.ErrorCode))
	}

	commit := func(v int16, corr int32, gen int32, member string, topic string, offset int64) int16 {
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group, r.Generation, r.MemberID = v, "old", gen, member
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = topic
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.Metadata = 1, offset, kmsg.StringPtr("m")
		rt.Partitions = append(rt.Partitions, p)
		r.Topics = append(r.Topics, rt)
		return roundTrip(t, c, corr, r).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	}
	if code := commit(1, 7, jr.Generation, jr.MemberID, sampleTopic, 42); code != 0 {
		t.Fatalf("commit v1: %s", CodeName(code))
	}
	if code := commit(1, 8, jr.Generation, jr.MemberID, "missing", 42); code != CodeUnknownTopicOrPartition {
		t.Fatalf("commit to a missing topic: %s", CodeName(code))
	}
	// v0 is a simple commit, refused while the group has members.
	if code := commit(0, 9, 0, "", sampleTopic, 7); code != CodeUnknownMemberID {
		t.Fatalf("commit v0 to a group with members: %s", CodeName(code))
	}

	fetch := func(v int16, corr int32, group string, topics ...string) *kmsg.OffsetFetchResponse {
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version, r.Group = v, group
		for _, tp := range topics {
			r.Topics = append(r.Topics, kmsg.OffsetFetchRequestTopic{Topic: tp, Partitions: []int32{1, 2}})
		}
		return roundTrip(t, c, corr, r).(*kmsg.OffsetFetchResponse)
	}
	for v := range int16(2) {
		r := fetch(v, 10+int32(v), "old", sampleTopic, "missing")
		if len(r.Topics) != 2 {
			t.Fatalf("fetch v%d: %+v", v, r)
		}
		got := r.Topics[0].Partitions
		if got[0].Offset != 42 || *got[0].Metadata != "m" || got[1].Offset != -1 || got[0].ErrorCode != 0 {
			t.Errorf("fetch v%d: %+v", v, got)
		}
		if p := r.Topics[1].Partitions[0]; p.Offset != -1 || p.ErrorCode != 0 {
			t.Errorf("fetch v%d of a missing topic: %+v", v, p)
		}
	}
	// v2+: a null topic list is every committed offset.
	if r := fetch(2, 12, "old"); len(r.Topics) != 1 || r.Topics[0].Partitions[0].Offset != 42 {
		t.Errorf("fetch v2 of every offset: %+v", r.Topics)
	}
	if r := fetch(1, 13, "", sampleTopic); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Errorf("fetch with an empty group id: %+v", r) // allowed, as Kafka
	}

	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version, leave.Group, leave.MemberID = 0, "old", jr.MemberID
	if r := roundTrip(t, c, 14, leave).(*kmsg.LeaveGroupResponse); r.ErrorCode != 0 {
		t.Fatalf("leave v0: %s", CodeName(r.ErrorCode))
	}
	if r := roundTrip(t, c, 15, leave).(*kmsg.LeaveGroupResponse); r.ErrorCode != CodeUnknownMemberID {
		t.Fatalf("leaving twice: %s", CodeName(r.ErrorCode))
	}
	if code := commit(0, 16, 0, "", sampleTopic, 7); code != 0 {
		t.Fatalf("commit v0 to an empty group: %s", CodeName(code))
	}

	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Version, dg.Groups = 0, []string{"old", "unknown"}
	r := roundTrip(t, c, 17, dg).(*kmsg.DescribeGroupsResponse)
	if r.Groups[0].State != "Empty" || r.Groups[0].ProtocolType != "consumer" || r.Groups[1].State != "Dead" || r.Groups[1].ErrorCode != 0 {
		t.Errorf("describe v0: %+v", r.Groups)
	}
	dg.Version, dg.IncludeAuthorizedOperations = 3, false
	if r = roundTrip(t, c, 18, dg).(*kmsg.DescribeGroupsResponse); r.Groups[0].AuthorizedOperations != -2147483648 {
		t.Errorf("authorized operations not asked: %d", r.Groups[0].AuthorizedOperations)
	}

	// A group-level error (the coordinator moved away): on every partition
	// asked for before v2, in the top-level code from v2, in the group's
	// code from v8.
	b.coord.Close()
	if r := fetch(1, 19, "old", sampleTopic); r.Topics[0].Partitions[1].ErrorCode != CodeNotCoordinator || r.Topics[0].Partitions[1].Offset != -1 {
		t.Errorf("fetch v1 from a closed coordinator: %+v", r.Topics)
	}
	if r := fetch(2, 20, "old", sampleTopic); r.ErrorCode != CodeNotCoordinator || len(r.Topics) != 0 {
		t.Errorf("fetch v2 from a closed coordinator: %+v", r)
	}
	f8 := kmsg.NewPtrOffsetFetchRequest()
	f8.Version, f8.Groups = 8, []kmsg.OffsetFetchRequestGroup{{Group: "old"}, {Group: "other"}}
	if r := roundTrip(t, c, 21, f8).(*kmsg.OffsetFetchResponse); len(r.Groups) != 2 || r.Groups[1].ErrorCode != CodeNotCoordinator {
		t.Errorf("fetch v8 from a closed coordinator: %+v", r)
	}
	if r := roundTrip(t, c, 22, join).(*kmsg.JoinGroupResponse); r.ErrorCode != CodeNotCoordinator || r.Generation != -1 {
		t.Errorf("join a closed coordinator: %+v", r)
	}
}

// A JoinGroup waiting for a rebalance does not hold Shutdown: it is
// abandoned, unanswered, and the connection closes.
func TestShutdownAbandonsWaitingJoin(t *testing.T) {
	b := sampleBackend()
	s, addr := startServer(t, Config{NodeID: 1}, b, func(s *Server) { b.srv = s })
	defer b.coord.Close()
	j := kmsg.NewPtrJoinGroupRequest()
	j.Version, j.Group, j.SessionTimeoutMillis, j.RebalanceTimeoutMillis, j.ProtocolType = 1, "busy", 60000, 60000, "consumer"
	j.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0}}}
	first := dial(t, addr)
	if r := roundTrip(t, first, 1, j).(*kmsg.JoinGroupResponse); r.ErrorCode != 0 {
		t.Fatalf("first join: %s", CodeName(r.ErrorCode))
	}
	// A second member: the rebalance waits up to a minute for the first
	// to rejoin.
	second := dial(t, addr)
	writeReq(t, second, 1, j)
	for { // the join is registered once the group prepares a rebalance
		if d := b.coord.DescribeGroup("busy"); d.State.String() == "PreparingRebalance" {
			break
		}
		select {
		case <-testCtx(t).Done():
			t.Fatal("the second join never arrived")
		case <-time.After(5 * time.Millisecond):
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	expectClosed(t, second)
}

package group

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The tests run inside synctest bubbles: members are goroutines blocked in
// JoinGroup or SyncGroup, synctest.Wait returns once every one of them is
// blocked (or done), and time moves only through the ManualClock.

const (
	session   = 10 * time.Second
	rebalance = 30 * time.Second
	delay     = 100 * time.Millisecond
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type env struct {
	t   *testing.T
	clk *ManualClock
	c   *Coordinator

	mu         sync.Mutex
	states     []GroupState
	persistErr error
	offsetErr  error
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, clk: NewManualClock(t0)}
	cfg.Clock = e.clk
	if cfg.InitialRebalanceDelay == 0 {
		cfg.InitialRebalanceDelay = delay
	}
	cfg.Persist = func(_ context.Context, g GroupState) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.persistErr != nil {
			return e.persistErr
		}
		e.states = append(e.states, g)
		return nil
	}
	cfg.PersistOffsets = func(context.Context, string, []CommittedOffset, []TopicPartition) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.offsetErr
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.c = New(cfg)
	t.Cleanup(func() {
		e.c.Close()
		if n := e.clk.Pending(); n != 0 {
			t.Errorf("%d timers left after Close", n)
		}
	})
	return e
}

func (e *env) setPersistErr(err error) {
	e.mu.Lock()
	e.persistErr = err
	e.mu.Unlock()
}

func (e *env) lastState() GroupState {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.states) == 0 {
		e.t.Fatal("nothing persisted")
	}
	return e.states[len(e.states)-1]
}

// advance lets every goroutine settle, moves the clock, and lets them
// settle again.
func (e *env) advance(d time.Duration) {
	synctest.Wait()
	e.clk.Advance(d)
	synctest.Wait()
}

func subscription(topics ...string) []byte {
	md := kmsg.ConsumerMemberMetadata{Version: 0, Topics: topics}
	return md.AppendTo(nil)
}

func consumerJoin(groupID, memberID string, protocols ...string) JoinRequest {
	if len(protocols) == 0 {
		protocols = []string{"range"}
	}
	r := JoinRequest{
		Group: groupID, MemberID: memberID, ClientID: "client", ClientHost: "/127.0.0.1",
		SessionTimeout: session, RebalanceTimeout: rebalance, ProtocolType: "consumer",
	}
	for _, p := range protocols {
		r.Protocols = append(r.Protocols, Protocol{Name: p, Metadata: subscription("t1", "t2")})
	}
	return r
}

// pending is a call running in its own goroutine.
type pending[T any] struct {
	t  *testing.T
	ch chan T
}

func async[T any](t *testing.T, f func() T) pending[T] {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return pending[T]{t: t, ch: ch}
}

// result returns the call's answer; the caller has already waited
// (synctest.Wait), so a call that has not returned is still blocked.
func (p pending[T]) result() T {
	p.t.Helper()
	select {
	case r := <-p.ch:
		return r
	default:
		p.t.Fatal("call still blocked")
		panic("unreachable")
	}
}

func (p pending[T]) blocked() bool {
	select {
	case r := <-p.ch:
		p.ch <- r
		return false
	default:
		return true
	}
}

func (e *env) joinAsync(r JoinRequest) pending[JoinResponse] {
	return async(e.t, func() JoinResponse { return e.c.JoinGroup(context.Background(), r) })
}

func (e *env) syncAsync(r SyncRequest) pending[SyncResponse] {
	return async(e.t, func() SyncResponse { return e.c.SyncGroup(context.Background(), r) })
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Fatalf("%s: got error %v, want %v", what, got, want)
	}
}

// stableGroup forms a group of n members through the whole protocol
// (KIP-394 member ids, join, sync) and returns their final join answers,
// leader first. instance ids are given to static members ("" = dynamic).
func (e *env) stableGroup(groupID string, instances ...string) []JoinResponse {
	e.t.Helper()
	var joins []pending[JoinResponse]
	for _, inst := range instances {
		r := consumerJoin(groupID, "")
		r.InstanceID = inst
		r.RequireKnownMemberID = true
		if inst == "" {
			first := e.c.JoinGroup(context.Background(), r)
			wantErr(e.t, "first join", first.Err, ErrMemberIDRequired)
			r.MemberID = first.MemberID
		}
		joins = append(joins, e.joinAsync(r))
	}
	synctest.Wait()
	e.advance(e.c.cfg.InitialRebalanceDelay * 10)
	var out []JoinResponse
	for _, j := range joins {
		r := j.result()
		wantErr(e.t, "join", r.Err, nil)
		out = append(out, r)
	}
	// Leader first.
	for i, r := range out {
		if r.MemberID == r.Leader {
			out[0], out[i] = out[i], out[0]
		}
	}
	var syncs []pending[SyncResponse]
	for _, r := range out[1:] {
		syncs = append(syncs, e.syncAsync(SyncRequest{Group: groupID, Generation: r.Generation, MemberID: r.MemberID, InstanceID: instanceOf(r)}))
	}
	synctest.Wait()
	var as []MemberAssignment
	for _, m := range out[0].Members {
		as = append(as, MemberAssignment{MemberID: m.MemberID, Assignment: []byte("to " + m.MemberID)})
	}
	lr := out[0]
	ls := e.c.SyncGroup(context.Background(), SyncRequest{Group: groupID, Generation: lr.Generation, MemberID: lr.MemberID, InstanceID: instanceOf(lr), Assignments: as})
	wantErr(e.t, "leader sync", ls.Err, nil)
	synctest.Wait()
	for i, s := range syncs {
		r := s.result()
		wantErr(e.t, "sync", r.Err, nil)
		if string(r.Assignment) != "to "+out[i+1].MemberID {
			e.t.Fatalf("member %s got assignment %q", out[i+1].MemberID, r.Assignment)
		}
	}
	if d := e.c.DescribeGroup(groupID); d.State != Stable {
		e.t.Fatalf("group %s is %v after sync, want Stable", groupID, d.State)
	}
	return out
}

// instanceOf finds a member's instance id in the leader's member list of
// the test's own bookkeeping: the test's static members have ids starting
// with their instance id.
func instanceOf(r JoinResponse) string {
	for _, m := range r.Members {
		if m.MemberID == r.MemberID {
			return m.InstanceID
		}
	}
	return ""
}

func (e *env) heartbeat(groupID string, r JoinResponse) error {
	return e.c.Heartbeat(context.Background(), HeartbeatRequest{Group: groupID, Generation: r.Generation, MemberID: r.MemberID})
}

// joinTwo joins two consumers to group and returns the leader's answer
// and the follower's, for generation 1.
func (e *env) joinTwo(group string) (leader, follower JoinResponse) {
	a := e.joinAsync(consumerJoin(group, ""))
	b := e.joinAsync(consumerJoin(group, ""))
	e.advance(time.Second)
	leader, follower = a.result(), b.result()
	if leader.Leader != leader.MemberID {
		leader, follower = follower, leader
	}
	return leader, follower
}

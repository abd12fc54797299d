package group

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Coordinator is the group coordinator of the groups this node
// coordinates. It is safe for concurrent use; see doc.go for the contract.
type Coordinator struct {
	cfg    Config
	clock  Clock
	log    *slog.Logger
	ctx    context.Context // for persists caused by timers; ends at Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	groups map[string]*group
}

// New builds a coordinator in memory; it starts no goroutine (timers run
// their callbacks on the clock's goroutines). cfg must pass Validate.
func New(cfg Config) *Coordinator {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Coordinator{
		cfg:    cfg,
		clock:  cfg.Clock,
		log:    cfg.Logger,
		ctx:    ctx,
		cancel: cancel,
		groups: make(map[string]*group),
	}
}

// Close stops every timer and answers every waiting call with
// ErrNotCoordinator; later calls get ErrNotCoordinator too.
func (c *Coordinator) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.cancel()
	for id, g := range c.groups {
		c.unloadLocked(g)
		delete(c.groups, id)
	}
}

// Load installs a group's persisted state and offsets, replacing whatever
// this coordinator held for it: members come back as they were, each with
// a fresh session deadline, the group Stable (or Empty with no members).
// A Dead state installs nothing but the offsets' absence.
func (c *Coordinator) Load(gs GroupState, offsets []CommittedOffset) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if old := c.groups[gs.Group]; old != nil {
		c.unloadLocked(old)
		delete(c.groups, gs.Group)
	}
	if gs.State == Dead {
		return
	}
	now := c.clock.Now()
	g := newGroup(gs.Group, now)
	g.protocolType = gs.ProtocolType
	g.generation = gs.Generation
	if !gs.StateTime.IsZero() {
		g.stateTime = gs.StateTime
	}
	for _, ms := range gs.Members {
		m := &member{
			id: ms.MemberID, instanceID: ms.InstanceID,
			clientID: ms.ClientID, clientHost: ms.ClientHost,
			rebalanceTimeout: ms.RebalanceTimeout, sessionTimeout: ms.SessionTimeout,
			protocolType: gs.ProtocolType,
			protocols:    []Protocol{{Name: gs.Protocol, Metadata: ms.Metadata}},
			assignment:   ms.Assignment,
		}
		g.add(m)
	}
	if len(g.members) > 0 {
		g.state = Stable
		g.protocol = gs.Protocol
		if _, ok := g.members[gs.Leader]; ok {
			g.leader = gs.Leader
		}
	}
	for _, o := range offsets {
		g.offsets[TopicPartition{o.Topic, o.Partition}] = o
	}
	c.groups[g.id] = g
	for _, m := range g.members {
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
	}
}

// Unload drops a group whose coordinator moved elsewhere: its waiting
// calls get ErrNotCoordinator and its timers stop. Nothing is persisted.
func (c *Coordinator) Unload(group string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.groups[group]; g != nil {
		c.unloadLocked(g)
		delete(c.groups, group)
	}
}

func (c *Coordinator) unloadLocked(g *group) {
	g.transition(Dead, c.clock.Now())
	for _, m := range g.members {
		c.answerJoinLocked(m, JoinResponse{Err: ErrNotCoordinator, MemberID: m.id, Generation: -1})
		c.answerSyncLocked(m, SyncResponse{Err: ErrNotCoordinator})
		stopTimer(&m.timer)
	}
	for id, t := range g.pending {
		t.Stop()
		delete(g.pending, id)
	}
	stopTimer(&g.joinTimer)
	stopTimer(&g.syncTimer)
}

// checkLocked is Kafka's validateGroupStatus: a usable coordinator and,
// for the membership APIs, a non-empty group id.
func (c *Coordinator) checkLocked(groupID string, allowEmptyID bool) error {
	if c.closed {
		return ErrNotCoordinator
	}
	if groupID == "" && !allowEmptyID {
		return ErrInvalidGroupID
	}
	return nil
}

func stopTimer(t *Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

func (c *Coordinator) answerJoinLocked(m *member, r JoinResponse) {
	if m.joinCh != nil {
		m.joinCh <- r // buffered, one answer per channel
		m.joinCh = nil
	}
}

func (c *Coordinator) answerSyncLocked(m *member, r SyncResponse) bool {
	if m.syncCh == nil {
		return false
	}
	m.syncCh <- r
	m.syncCh = nil
	return true
}

// live reports whether g is still the coordinator's group of that id (it
// was not unloaded, deleted or replaced while the lock was released).
func (c *Coordinator) liveLocked(g *group) bool {
	return !c.closed && c.groups[g.id] == g && g.state != Dead
}

// newMemberID is Kafka's: the client id (or instance id) and a random
// UUID.
func newMemberID(clientID, instanceID string) string {
	prefix := clientID
	if instanceID != "" {
		prefix = instanceID
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// --- session expiry ---

// scheduleSessionLocked (re)arms m's expiry d from now (Kafka's
// completeAndScheduleNextHeartbeatExpiration).
func (c *Coordinator) scheduleSessionLocked(g *group, m *member, d time.Duration) {
	stopTimer(&m.timer)
	m.timerSeq++
	seq := m.timerSeq
	id := m.id
	m.timer = c.clock.AfterFunc(d, func() { c.onSessionExpiry(g, id, seq) })
}

func (c *Coordinator) onSessionExpiry(g *group, id string, seq uint64) {
	c.mu.Lock()
	m := g.members[id]
	if !c.liveLocked(g) || m == nil || m.timerSeq != seq {
		c.mu.Unlock()
		return
	}
	m.timer = nil
	// A member waiting in a rebalance satisfies its heartbeats, unless it
	// is new: then this is the new-member join timeout. Its timer is armed
	// again when the rebalance answers it.
	if !m.isNew && (m.joinCh != nil || m.syncCh != nil) {
		c.mu.Unlock()
		return
	}
	c.log.Info("group member session expired", "group", g.id, "member", id)
	c.removeMemberLocked(g, m)
	c.mu.Unlock()
	c.flushPersist(c.ctx, g)
}

func (c *Coordinator) addPendingLocked(g *group, id string, d time.Duration) {
	g.pending[id] = c.clock.AfterFunc(d, func() {
		c.mu.Lock()
		if _, ok := g.pending[id]; !ok || !c.liveLocked(g) {
			c.mu.Unlock()
			return
		}
		c.removePendingLocked(g, id)
		c.mu.Unlock()
		c.flushPersist(c.ctx, g)
	})
}

func (c *Coordinator) removePendingLocked(g *group, id string) {
	if t, ok := g.pending[id]; ok {
		t.Stop()
		delete(g.pending, id)
	}
	if g.state == PreparingRebalance {
		c.tryCompleteJoinLocked(g)
	}
}

// removeMemberLocked is Kafka's removeMemberAndUpdateGroup: the member's
// waiting calls get ErrUnknownMemberID, and the group rebalances.
func (c *Coordinator) removeMemberLocked(g *group, m *member) {
	c.answerJoinLocked(m, JoinResponse{Err: ErrUnknownMemberID, Generation: -1})
	c.answerSyncLocked(m, SyncResponse{Err: ErrUnknownMemberID})
	stopTimer(&m.timer)
	g.remove(m.id)
	switch g.state {
	case Stable, CompletingRebalance:
		c.prepareRebalanceLocked(g, "member "+m.id+" removed")
	case PreparingRebalance:
		c.tryCompleteJoinLocked(g)
	}
}

// --- persistence ---

// snapshotLocked is g as Persist stores it.
func (c *Coordinator) snapshotLocked(g *group, assignment map[string][]byte) GroupState {
	gs := GroupState{
		Group: g.id, State: g.state, ProtocolType: g.protocolType, Protocol: g.protocol,
		Generation: g.generation, Leader: g.leader, StateTime: g.stateTime,
	}
	switch g.state {
	case PreparingRebalance, CompletingRebalance:
		gs.State = Stable
	}
	if len(g.members) == 0 && g.state != Dead {
		gs.State = Empty
	}
	for _, m := range g.sortedMembers() {
		a := m.assignment
		if assignment != nil {
			a = assignment[m.id]
		}
		gs.Members = append(gs.Members, MemberState{
			MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost,
			RebalanceTimeout: m.rebalanceTimeout, SessionTimeout: m.sessionTimeout,
			Metadata: m.metadata(g.protocol), Assignment: a,
		})
	}
	return gs
}

// persistErr turns a Persist error into the coordinator's answer.
func persistErr(op, group string, err error) error {
	if errors.Is(err, ErrNotCoordinator) {
		return fmt.Errorf("group: %s %q: %w", op, group, err)
	}
	return fmt.Errorf("group: %s %q: %w (%v)", op, group, ErrCoordinatorNotAvailable, err)
}

// flushPersist writes g's state if a change marked it (a group that became
// empty, chiefly). Called without c.mu.
func (c *Coordinator) flushPersist(ctx context.Context, g *group) error {
	if c.cfg.Persist == nil {
		return nil
	}
	g.persistMu.Lock()
	defer g.persistMu.Unlock()
	c.mu.Lock()
	if !g.needPersist || c.closed || c.groups[g.id] != g {
		c.mu.Unlock()
		return nil
	}
	g.needPersist = false
	gs := c.snapshotLocked(g, nil)
	c.mu.Unlock()
	if err := c.cfg.Persist(ctx, gs); err != nil {
		c.log.Warn("group: persisting group state failed", "group", g.id, "err", err)
		c.mu.Lock()
		g.needPersist = true // the next change retries
		c.mu.Unlock()
		return persistErr("persist", g.id, err)
	}
	return nil
}

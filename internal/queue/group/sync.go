package group

import (
	"context"
	"fmt"
)

// SyncGroup hands the leader's assignment to the group and waits for this
// member's share (Kafka's handleSyncGroup). The leader's assignment is
// persisted before anyone gets theirs.
func (c *Coordinator) SyncGroup(ctx context.Context, r SyncRequest) SyncResponse {
	c.mu.Lock()
	resp, wait, assign := c.syncLocked(r)
	c.mu.Unlock()
	if assign != nil {
		c.storeAssignment(ctx, assign)
	}
	if wait == nil {
		return resp
	}
	return await(ctx, wait, func(err error) SyncResponse {
		return SyncResponse{Err: fmt.Errorf("group: sync %q: %w", r.Group, err)}
	})
}

// pendingAssignment is a leader's assignment on its way to Persist.
type pendingAssignment struct {
	g          *group
	generation int32
	leader     string
	assignment map[string][]byte
}

func (c *Coordinator) syncLocked(r SyncRequest) (SyncResponse, chan SyncResponse, *pendingAssignment) {
	fail := func(err error) (SyncResponse, chan SyncResponse, *pendingAssignment) {
		return SyncResponse{Err: err}, nil, nil
	}
	if err := c.checkLocked(r.Group, false); err != nil {
		return fail(err)
	}
	g := c.groups[r.Group]
	switch {
	case g == nil:
		return fail(ErrUnknownMemberID)
	case g.state == Dead:
		return fail(ErrCoordinatorNotAvailable)
	case g.isFenced(r.InstanceID, r.MemberID):
		return fail(ErrFencedInstanceID)
	case g.members[r.MemberID] == nil:
		return fail(ErrUnknownMemberID)
	case r.Generation != g.generation:
		return fail(ErrIllegalGeneration)
	case r.ProtocolType != "" && r.ProtocolType != g.protocolType,
		r.Protocol != "" && r.Protocol != g.protocol:
		return fail(ErrInconsistentGroupProtocol)
	}
	m := g.members[r.MemberID]
	switch g.state {
	case Empty:
		return fail(ErrUnknownMemberID)
	case PreparingRebalance:
		return fail(ErrRebalanceInProgress)
	case Stable:
		delete(g.pendingSync, m.id)
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
		return SyncResponse{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.assignment}, nil, nil
	}
	// CompletingRebalance.
	ch := make(chan SyncResponse, 1)
	c.answerSyncLocked(m, SyncResponse{Err: ErrRebalanceInProgress}) // a retried SyncGroup replaces the old one
	m.syncCh = ch
	delete(g.pendingSync, m.id)
	if g.leader != m.id || g.assigning {
		return SyncResponse{}, ch, nil
	}
	// Members the leader left out get an empty assignment; ids that are
	// not members are ignored.
	a := make(map[string][]byte, len(g.members))
	for _, ma := range r.Assignments {
		if _, ok := g.members[ma.MemberID]; ok {
			a[ma.MemberID] = ma.Assignment
		}
	}
	for id := range g.members {
		if _, ok := a[id]; !ok {
			a[id] = []byte{}
		}
	}
	g.assigning = true
	return SyncResponse{}, ch, &pendingAssignment{g: g, generation: g.generation, leader: m.id, assignment: a}
}

// storeAssignment persists the group with the leader's assignment and then
// hands it out, unless the group moved on meanwhile (Kafka's storeGroup
// callback in doSyncGroup).
func (c *Coordinator) storeAssignment(ctx context.Context, p *pendingAssignment) {
	g := p.g
	current := func() bool {
		return c.liveLocked(g) && g.state == CompletingRebalance && g.generation == p.generation
	}
	var err error
	if c.cfg.Persist != nil {
		g.persistMu.Lock()
		defer g.persistMu.Unlock()
		c.mu.Lock()
		if !current() {
			g.assigning = false
			c.mu.Unlock()
			return
		}
		gs := c.snapshotLocked(g, p.assignment)
		gs.State = Stable
		g.needPersist = false
		c.mu.Unlock()
		err = c.cfg.Persist(ctx, gs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g.assigning = false
	if !current() {
		return
	}
	if err != nil {
		c.log.Warn("group: persisting assignment failed", "group", g.id, "generation", g.generation, "err", err)
		c.resetAssignmentLocked(g, persistErr("store assignment", g.id, err))
		c.prepareRebalanceLocked(g, "storing the assignment failed")
		return
	}
	for id, m := range g.members {
		m.assignment = p.assignment[id]
	}
	c.propagateAssignmentLocked(g, nil)
	g.transition(Stable, c.clock.Now())
	c.log.Info("group stable", "group", g.id, "generation", g.generation, "members", len(g.members))
}

// resetAssignmentLocked clears every assignment and answers waiting
// SyncGroups with err.
func (c *Coordinator) resetAssignmentLocked(g *group, err error) {
	for _, m := range g.members {
		m.assignment = nil
	}
	c.propagateAssignmentLocked(g, err)
}

// propagateAssignmentLocked answers every waiting SyncGroup and rearms
// the session of each member answered: its expiry was ignored while it
// waited.
func (c *Coordinator) propagateAssignmentLocked(g *group, err error) {
	for _, m := range g.sortedMembers() {
		r := SyncResponse{Err: err}
		if err == nil {
			r = SyncResponse{ProtocolType: g.protocolType, Protocol: g.protocol, Assignment: m.assignment}
		}
		if c.answerSyncLocked(m, r) {
			c.scheduleSessionLocked(g, m, m.sessionTimeout)
		}
	}
}

// schedulePendingSyncLocked arms the sync deadline of a new generation:
// members that have not sent SyncGroup within the rebalance timeout are
// removed and the group rebalances (Kafka's DelayedSync).
func (c *Coordinator) schedulePendingSyncLocked(g *group) {
	stopTimer(&g.syncTimer)
	gen := g.generation
	g.syncTimer = c.clock.AfterFunc(g.rebalanceTimeout(), func() {
		c.mu.Lock()
		if !c.liveLocked(g) || g.generation != gen || len(g.pendingSync) == 0 ||
			(g.state != CompletingRebalance && g.state != Stable) {
			c.mu.Unlock()
			return
		}
		g.syncTimer = nil
		for id := range g.pendingSync {
			if m := g.members[id]; m != nil {
				c.log.Info("group member did not sync in time", "group", g.id, "member", id)
				c.answerJoinLocked(m, joinErr("", ErrUnknownMemberID))
				stopTimer(&m.timer)
				g.remove(id)
			}
		}
		c.prepareRebalanceLocked(g, "members did not sync in time")
		c.mu.Unlock()
		c.flushPersist(c.ctx, g)
	})
}

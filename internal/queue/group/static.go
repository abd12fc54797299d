package group

import (
	"context"
	"time"
)

// staticReplacement is a static member that rejoined a Stable group under
// a new member id without changing the group's protocol: the group keeps
// its generation and assignment, and only the new id is persisted before
// the member is answered (Kafka's updateStaticMemberAndRebalance).
type staticReplacement struct {
	g                *group
	m                *member
	oldID, newID     string
	oldProtocols     []Protocol
	oldRebalance     time.Duration
	oldSession       time.Duration
	oldLeader        string
	generation       int32
	skipAssignmentOK bool
	ch               chan JoinResponse
}

// replaceStaticLocked moves a static member to a new member id, fencing
// any call the old id was waiting on. It returns a replacement to persist
// when no rebalance is needed, else nil (the caller waits on ch).
func (c *Coordinator) replaceStaticLocked(g *group, oldID, newID string, r JoinRequest, ch chan JoinResponse) *staticReplacement {
	m := g.members[oldID]
	s := &staticReplacement{
		g: g, m: m, oldID: oldID, newID: newID,
		oldProtocols: m.protocols, oldRebalance: m.rebalanceTimeout, oldSession: m.sessionTimeout,
		oldLeader: g.leader, generation: g.generation, skipAssignmentOK: r.SkipAssignmentSupported, ch: ch,
	}
	c.answerJoinLocked(m, joinErr(oldID, ErrFencedInstanceID))
	c.answerSyncLocked(m, SyncResponse{Err: ErrFencedInstanceID})
	g.rename(m, newID)
	c.scheduleSessionLocked(g, m, m.sessionTimeout)
	m.protocols = r.Protocols
	m.rebalanceTimeout = r.RebalanceTimeout
	m.sessionTimeout = r.SessionTimeout
	m.joinCh = ch

	switch g.state {
	case Stable:
		if g.selectProtocol() == g.protocol {
			c.log.Info("static member rejoined without rebalance", "group", g.id, "instance", m.instanceID, "member", newID)
			return s
		}
		c.prepareRebalanceLocked(g, "static member "+newID+" changes the group's protocol")
	case CompletingRebalance:
		// The leader may be assigning to the old id: start over.
		c.prepareRebalanceLocked(g, "static member "+newID+" rejoined during sync")
	}
	return nil
}

// rename gives m a new member id, keeping its place and leadership.
func (g *group) rename(m *member, id string) {
	old := m.id
	delete(g.members, old)
	m.id = id
	g.members[id] = m
	if g.leader == old {
		g.leader = id
	}
	if m.instanceID != "" {
		g.static[m.instanceID] = id
	}
	if _, ok := g.pendingSync[old]; ok {
		delete(g.pendingSync, old)
		g.pendingSync[id] = struct{}{}
	}
}

// persistStaticReplacement stores the group with the new id and answers
// the member; if the store fails, the old id is restored and the member
// gets the error. If the group moved on meanwhile (a rebalance started),
// the member waits for the rebalance like any other.
func (c *Coordinator) persistStaticReplacement(ctx context.Context, s *staticReplacement) (JoinResponse, chan JoinResponse) {
	g, m := s.g, s.m
	valid := func() bool {
		return c.liveLocked(g) && g.members[s.newID] == m && g.state == Stable &&
			g.generation == s.generation && m.joinCh == s.ch
	}
	var err error
	if c.cfg.Persist != nil {
		g.persistMu.Lock()
		defer g.persistMu.Unlock()
		c.mu.Lock()
		if !valid() {
			c.mu.Unlock()
			return JoinResponse{}, s.ch
		}
		gs := c.snapshotLocked(g, nil)
		g.needPersist = false
		c.mu.Unlock()
		err = c.cfg.Persist(ctx, gs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !valid() {
		return JoinResponse{}, s.ch
	}
	m.joinCh = nil
	if err != nil {
		c.log.Warn("group: persisting static member replacement failed", "group", g.id, "err", err)
		m.protocols, m.rebalanceTimeout, m.sessionTimeout = s.oldProtocols, s.oldRebalance, s.oldSession
		g.rename(m, s.oldID)
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
		return joinErr("", persistErr("replace static member", g.id, err)), nil
	}
	r := JoinResponse{
		MemberID: s.newID, Generation: g.generation, ProtocolType: g.protocolType,
		Protocol: g.protocol, Leader: s.oldLeader,
	}
	if s.skipAssignmentOK {
		// v9+: the leader learns it leads (to keep watching metadata) but
		// must not assign: a stable group would not hand the result out.
		r.Leader = g.leader
		if g.leader == s.newID {
			r.Members = c.memberMetadataLocked(g)
			r.SkipAssignment = true
		}
	}
	// Before v9 the old leader id is returned, so a replaced leader does
	// not believe it leads and run a pointless assignment.
	return r, nil
}

package group

import (
	"context"
	"fmt"
	"time"
)

// JoinGroup joins a member to a group, or rejoins it, and waits for the
// rebalance to complete (Kafka's handleJoinGroup). The answer carries the
// new generation; the leader's also carries every member's metadata.
// If ctx ends first the call returns ctx's error, but the member stays
// joined, as with Kafka, where a JoinGroup cannot be withdrawn.
func (c *Coordinator) JoinGroup(ctx context.Context, r JoinRequest) JoinResponse {
	if r.RebalanceTimeout <= 0 {
		r.RebalanceTimeout = r.SessionTimeout
	}
	c.mu.Lock()
	resp, wait, static := c.joinLocked(r)
	c.mu.Unlock()
	if static != nil {
		resp, wait = c.persistStaticReplacement(ctx, static)
	}
	if wait == nil {
		return resp
	}
	return await(ctx, wait, func(err error) JoinResponse {
		return joinErr(r.MemberID, fmt.Errorf("group: join %q: %w", r.Group, err))
	})
}

// await returns the answer that comes on wait, or cancelled's when ctx
// ends first.
func await[R any](ctx context.Context, wait <-chan R, cancelled func(error) R) R {
	select {
	case r := <-wait:
		return r
	case <-ctx.Done():
		return cancelled(ctx.Err())
	}
}

func joinErr(memberID string, err error) JoinResponse {
	return JoinResponse{Err: err, MemberID: memberID, Generation: -1}
}

// joinLocked answers at once (resp), or returns the channel the answer will
// come on, or a static replacement to persist before answering.
func (c *Coordinator) joinLocked(r JoinRequest) (JoinResponse, chan JoinResponse, *staticReplacement) {
	if err := c.checkLocked(r.Group, false); err != nil {
		return joinErr(r.MemberID, err), nil, nil
	}
	if r.SessionTimeout < c.cfg.MinSessionTimeout || r.SessionTimeout > c.cfg.MaxSessionTimeout {
		return joinErr(r.MemberID, ErrInvalidSessionTimeout), nil, nil
	}
	g := c.groups[r.Group]
	if g == nil {
		if r.MemberID != "" {
			return joinErr(r.MemberID, ErrUnknownMemberID), nil, nil
		}
		g = newGroup(r.Group, c.clock.Now())
		c.groups[r.Group] = g
	}
	if !c.acceptJoiningLocked(g, r.MemberID) {
		if m := g.members[r.MemberID]; m != nil {
			c.removeMemberLocked(g, m)
		}
		return joinErr("", ErrGroupMaxSizeReached), nil, nil
	}
	if g.state == Dead {
		return joinErr(r.MemberID, ErrCoordinatorNotAvailable), nil, nil
	}
	if !g.supportsProtocols(r.ProtocolType, r.Protocols) {
		return joinErr(r.MemberID, ErrInconsistentGroupProtocol), nil, nil
	}
	ch := make(chan JoinResponse, 1)
	var static *staticReplacement
	var resp JoinResponse
	if r.MemberID == "" {
		resp, static = c.joinNewLocked(g, r, ch)
	} else {
		resp = c.joinKnownLocked(g, r, ch)
	}
	if g.state == PreparingRebalance {
		c.tryCompleteJoinLocked(g)
	}
	if resp.Err != nil {
		return resp, nil, nil
	}
	return JoinResponse{}, ch, static
}

// acceptJoiningLocked is Kafka's acceptJoiningMember: the max group size
// counts members awaiting join while preparing a rebalance (so the last to
// rejoin are the ones refused) and all members otherwise.
func (c *Coordinator) acceptJoiningLocked(g *group, id string) bool {
	if c.cfg.MaxGroupSize <= 0 {
		return true
	}
	m := g.members[id]
	switch g.state {
	case PreparingRebalance:
		return (m != nil && m.joinCh != nil) || g.numAwaitingJoin() < c.cfg.MaxGroupSize
	case CompletingRebalance, Stable:
		return m != nil || len(g.members) < c.cfg.MaxGroupSize
	}
	return true
}

// joinNewLocked handles a member without an id (doNewMemberJoinGroup). A
// zero JoinResponse means "wait on ch".
func (c *Coordinator) joinNewLocked(g *group, r JoinRequest, ch chan JoinResponse) (JoinResponse, *staticReplacement) {
	id := newMemberID(r.ClientID, r.InstanceID)
	if r.InstanceID != "" {
		if old, ok := g.static[r.InstanceID]; ok {
			return JoinResponse{}, c.replaceStaticLocked(g, old, id, r, ch)
		}
		c.addMemberLocked(g, id, r, ch)
		return JoinResponse{}, nil
	}
	if r.RequireKnownMemberID {
		// KIP-394: hand out the id first, so a client that times out and
		// retries does not leave a member behind.
		c.addPendingLocked(g, id, r.SessionTimeout)
		return joinErr(id, ErrMemberIDRequired), nil
	}
	c.addMemberLocked(g, id, r, ch)
	return JoinResponse{}, nil
}

// joinKnownLocked handles a member with an id (doCurrentMemberJoinGroup).
func (c *Coordinator) joinKnownLocked(g *group, r JoinRequest, ch chan JoinResponse) JoinResponse {
	if _, ok := g.pending[r.MemberID]; ok {
		if r.InstanceID != "" { // pending members are dynamic; Kafka throws here
			return joinErr(r.MemberID, ErrUnknownMemberID)
		}
		c.addMemberLocked(g, r.MemberID, r, ch)
		return JoinResponse{}
	}
	if g.isFenced(r.InstanceID, r.MemberID) {
		return joinErr(r.MemberID, ErrFencedInstanceID)
	}
	m := g.members[r.MemberID]
	if m == nil || (r.InstanceID != "" && g.static[r.InstanceID] == "") {
		return joinErr(r.MemberID, ErrUnknownMemberID)
	}
	switch g.state {
	case PreparingRebalance:
		c.updateMemberLocked(g, m, r, ch)
		c.prepareRebalanceLocked(g, "member "+m.id+" rejoining") // no-op: already preparing
	case CompletingRebalance:
		if m.matches(r.Protocols) {
			// It lost the JoinGroup answer: give it the current one again.
			ch <- c.joinResultLocked(g, m)
			return JoinResponse{}
		}
		c.updateMemberLocked(g, m, r, ch)
		c.prepareRebalanceLocked(g, "member "+m.id+" changed its metadata")
	case Stable:
		if g.leader == m.id || !m.matches(r.Protocols) {
			// The leader rejoining forces a rebalance: that is how it
			// reacts to changes its metadata does not show (new topics).
			c.updateMemberLocked(g, m, r, ch)
			c.prepareRebalanceLocked(g, "member "+m.id+" rejoining a stable group")
			return JoinResponse{}
		}
		ch <- JoinResponse{
			MemberID: m.id, Generation: g.generation, ProtocolType: g.protocolType,
			Protocol: g.protocol, Leader: g.leader,
		}
	default: // Empty with members cannot happen; Kafka answers so too
		return joinErr(r.MemberID, ErrUnknownMemberID)
	}
	return JoinResponse{}
}

func (c *Coordinator) addMemberLocked(g *group, id string, r JoinRequest, ch chan JoinResponse) {
	m := &member{
		id: id, instanceID: r.InstanceID, clientID: r.ClientID, clientHost: r.ClientHost,
		rebalanceTimeout: r.RebalanceTimeout, sessionTimeout: r.SessionTimeout,
		protocolType: r.ProtocolType, protocols: r.Protocols,
		isNew: true, joinCh: ch,
	}
	if g.state == PreparingRebalance && g.generation == 0 {
		g.newMemberAdded = true
	}
	g.add(m)
	c.scheduleSessionLocked(g, m, newMemberJoinTimeout)
	c.maybePrepareRebalanceLocked(g, "member "+id+" added")
}

// updateMemberLocked installs a rejoining member's protocols, timeouts and
// waiting call; a call it was already waiting on is answered
// ErrRebalanceInProgress (the client retried; Kafka drops the old one).
func (c *Coordinator) updateMemberLocked(g *group, m *member, r JoinRequest, ch chan JoinResponse) {
	m.protocols = r.Protocols
	m.rebalanceTimeout = r.RebalanceTimeout
	m.sessionTimeout = r.SessionTimeout
	c.answerJoinLocked(m, joinErr(m.id, ErrRebalanceInProgress))
	m.joinCh = ch
}

// joinResultLocked is the answer a member gets when the join phase ends.
func (c *Coordinator) joinResultLocked(g *group, m *member) JoinResponse {
	r := JoinResponse{
		MemberID: m.id, Generation: g.generation, ProtocolType: g.protocolType,
		Protocol: g.protocol, Leader: g.leader,
	}
	if g.leader == m.id {
		r.Members = c.memberMetadataLocked(g)
	}
	return r
}

func (c *Coordinator) memberMetadataLocked(g *group) []JoinMember {
	ms := g.sortedMembers()
	out := make([]JoinMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, JoinMember{MemberID: m.id, InstanceID: m.instanceID, Metadata: m.metadata(g.protocol)})
	}
	return out
}

// --- the rebalance's join phase ---

func (c *Coordinator) maybePrepareRebalanceLocked(g *group, reason string) {
	switch g.state {
	case Stable, CompletingRebalance, Empty:
		c.prepareRebalanceLocked(g, reason)
	}
}

// prepareRebalanceLocked starts a rebalance (Kafka's prepareRebalance);
// in PreparingRebalance it only re-checks completion.
func (c *Coordinator) prepareRebalanceLocked(g *group, reason string) {
	if g.state == PreparingRebalance {
		c.tryCompleteJoinLocked(g)
		return
	}
	if g.state == CompletingRebalance {
		c.resetAssignmentLocked(g, ErrRebalanceInProgress)
	}
	stopTimer(&g.syncTimer)
	initial := g.state == Empty && c.cfg.InitialRebalanceDelay > 0
	g.transition(PreparingRebalance, c.clock.Now())
	c.log.Info("group preparing rebalance", "group", g.id, "generation", g.generation, "reason", reason)
	if initial {
		g.initialDelay = true
		g.delay = c.cfg.InitialRebalanceDelay
		g.remaining = max(g.rebalanceTimeout()-g.delay, 0)
		c.scheduleJoinLocked(g, g.delay)
		return
	}
	g.initialDelay = false
	c.scheduleJoinLocked(g, g.rebalanceTimeout())
	c.tryCompleteJoinLocked(g)
}

func (c *Coordinator) scheduleJoinLocked(g *group, d time.Duration) {
	stopTimer(&g.joinTimer)
	g.joinSeq++
	seq := g.joinSeq
	g.joinTimer = c.clock.AfterFunc(d, func() { c.onJoinTimer(g, seq) })
}

func (c *Coordinator) onJoinTimer(g *group, seq uint64) {
	c.mu.Lock()
	if !c.liveLocked(g) || g.joinSeq != seq || g.state != PreparingRebalance {
		c.mu.Unlock()
		return
	}
	g.joinTimer = nil
	if g.initialDelay && g.newMemberAdded && g.remaining > 0 {
		// Members keep arriving: wait another delay (Kafka's
		// InitialDelayedJoin), within the rebalance timeout.
		g.newMemberAdded = false
		d := min(c.cfg.InitialRebalanceDelay, g.remaining)
		g.remaining = max(g.remaining-g.delay, 0)
		g.delay = d
		c.scheduleJoinLocked(g, d)
		c.mu.Unlock()
		return
	}
	c.completeJoinLocked(g)
	c.mu.Unlock()
	c.flushPersist(c.ctx, g)
}

// tryCompleteJoinLocked ends the join phase early once every member has
// rejoined and no KIP-394 member is still expected; the initial delay of a
// new group is always waited out.
func (c *Coordinator) tryCompleteJoinLocked(g *group) {
	if g.state == PreparingRebalance && !g.initialDelay && g.allMembersJoined() {
		c.completeJoinLocked(g)
	}
}

// completeJoinLocked is Kafka's onCompleteJoin: dynamic members that did
// not rejoin are dropped (static ones stay until their session expires),
// the next generation starts and every waiting member is answered.
func (c *Coordinator) completeJoinLocked(g *group) {
	stopTimer(&g.joinTimer)
	g.joinSeq++
	g.initialDelay = false
	for _, m := range g.sortedMembers() {
		if m.joinCh == nil && m.instanceID == "" {
			c.log.Info("group member did not rejoin in time", "group", g.id, "member", m.id)
			c.answerSyncLocked(m, SyncResponse{Err: ErrUnknownMemberID})
			stopTimer(&m.timer)
			g.remove(m.id)
		}
	}
	if len(g.members) > 0 && !c.electJoinedLeaderLocked(g) {
		// Only static members that have not rejoined are left: wait for
		// them, or for their sessions to expire.
		c.scheduleJoinLocked(g, g.rebalanceTimeout())
		return
	}
	g.generation++
	clear(g.pendingSync)
	if len(g.members) == 0 {
		g.protocol = ""
		g.transition(Empty, c.clock.Now())
		g.needPersist = true
		c.log.Info("group is empty", "group", g.id, "generation", g.generation)
		return
	}
	g.protocol = g.selectProtocol()
	g.transition(CompletingRebalance, c.clock.Now())
	c.log.Info("group completed join phase", "group", g.id, "generation", g.generation,
		"members", len(g.members), "protocol", g.protocol, "leader", g.leader)
	for _, m := range g.sortedMembers() {
		c.answerJoinLocked(m, c.joinResultLocked(g, m))
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
		m.isNew = false
		g.pendingSync[m.id] = struct{}{}
	}
	c.schedulePendingSyncLocked(g)
}

// electJoinedLeaderLocked keeps the leader if it rejoined, else picks the
// first member that did; false if none did.
func (c *Coordinator) electJoinedLeaderLocked(g *group) bool {
	if l := g.members[g.leader]; l != nil && l.joinCh != nil {
		return true
	}
	for _, m := range g.sortedMembers() {
		if m.joinCh != nil {
			g.leader = m.id
			return true
		}
	}
	return false
}

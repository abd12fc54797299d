package group

import (
	"context"
	"fmt"
)

// Heartbeat keeps a member's session alive (Kafka's handleHeartbeat). It
// returns ErrRebalanceInProgress while the group prepares a rebalance,
// which is how members learn to rejoin.
func (c *Coordinator) Heartbeat(_ context.Context, r HeartbeatRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkLocked(r.Group, false); err != nil {
		return err
	}
	g := c.groups[r.Group]
	switch {
	case g == nil:
		return ErrUnknownMemberID
	case g.state == Dead:
		return ErrCoordinatorNotAvailable
	case g.isFenced(r.InstanceID, r.MemberID):
		return ErrFencedInstanceID
	case g.members[r.MemberID] == nil:
		return ErrUnknownMemberID
	case r.Generation != g.generation:
		return ErrIllegalGeneration
	}
	m := g.members[r.MemberID]
	switch g.state {
	case Empty:
		return ErrUnknownMemberID
	case PreparingRebalance:
		c.scheduleSessionLocked(g, m, m.sessionTimeout)
		return ErrRebalanceInProgress
	}
	c.scheduleSessionLocked(g, m, m.sessionTimeout)
	return nil
}

// LeaveGroup removes members (Kafka's handleLeaveGroup). The first result
// has one error per member, in order; the second is a group-level error
// (for v0–v2, the front-end answers the member's error unless the group
// error is set). A member given by instance id alone (empty MemberID) is
// removed whatever its member id: the admin path of KIP-345.
func (c *Coordinator) LeaveGroup(ctx context.Context, group string, members []LeaveMember) ([]error, error) {
	c.mu.Lock()
	if err := c.checkLocked(group, false); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	errs := make([]error, len(members))
	g := c.groups[group]
	if g == nil {
		c.mu.Unlock()
		for i := range errs {
			errs[i] = ErrUnknownMemberID
		}
		return errs, nil
	}
	if g.state == Dead {
		c.mu.Unlock()
		return nil, ErrCoordinatorNotAvailable
	}
	for i, lm := range members {
		errs[i] = c.leaveLocked(g, lm)
	}
	c.mu.Unlock()
	if err := c.flushPersist(ctx, g); err != nil {
		return errs, fmt.Errorf("group: leave: %w", err)
	}
	return errs, nil
}

func (c *Coordinator) leaveLocked(g *group, lm LeaveMember) error {
	if lm.MemberID == "" {
		id, ok := g.static[lm.InstanceID]
		if lm.InstanceID == "" || !ok {
			return ErrUnknownMemberID
		}
		lm.MemberID = id
	} else if _, ok := g.pending[lm.MemberID]; ok {
		c.removePendingLocked(g, lm.MemberID)
		return nil
	} else if g.isFenced(lm.InstanceID, lm.MemberID) {
		return ErrFencedInstanceID
	}
	m := g.members[lm.MemberID]
	if m == nil {
		return ErrUnknownMemberID
	}
	c.log.Info("group member left", "group", g.id, "member", m.id, "reason", lm.Reason)
	c.removeMemberLocked(g, m)
	return nil
}

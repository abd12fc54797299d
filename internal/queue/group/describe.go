package group

import (
	"context"
	"slices"
	"strings"
)

// DescribeGroup describes a group (Kafka's handleDescribeGroup): protocol,
// metadata and assignments only when Stable; an unknown group is Dead.
func (c *Coordinator) DescribeGroup(group string) GroupDescription {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[group]
	if c.closed || g == nil {
		return GroupDescription{Group: group, State: Dead}
	}
	d := GroupDescription{Group: group, State: g.state, ProtocolType: g.protocolType}
	stable := g.state == Stable
	if stable {
		d.Protocol = g.protocol
	}
	for _, m := range g.sortedMembers() {
		md := MemberDescription{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost}
		if stable {
			md.Metadata = m.metadata(g.protocol)
			md.Assignment = m.assignment
		}
		d.Members = append(d.Members, md)
	}
	return d
}

// ListGroups lists the groups in any of states (Kafka's names, compared
// without case; none: all), ordered by id.
func (c *Coordinator) ListGroups(states []string) []GroupListing {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []GroupListing
	for _, g := range c.groups {
		if g.state == Dead {
			continue
		}
		if len(states) > 0 && !slices.ContainsFunc(states, func(s string) bool { return strings.EqualFold(s, g.state.String()) }) {
			continue
		}
		out = append(out, GroupListing{Group: g.id, ProtocolType: g.protocolType, State: g.state})
	}
	slices.SortFunc(out, func(a, b GroupListing) int { return strings.Compare(a.Group, b.Group) })
	return out
}

// DeleteGroup deletes an empty group and its offsets (Kafka's
// handleDeleteGroups): ErrNonEmptyGroup if it has members,
// ErrGroupIDNotFound if there is no such group. The deletion is persisted
// (GroupState with State Dead) before it takes effect; if that fails the
// group stays.
func (c *Coordinator) DeleteGroup(ctx context.Context, group string) error {
	c.mu.Lock()
	if err := c.checkLocked(group, true); err != nil {
		c.mu.Unlock()
		return err
	}
	g := c.groups[group]
	if g == nil || g.state == Dead {
		c.mu.Unlock()
		return ErrGroupIDNotFound
	}
	if g.state != Empty {
		c.mu.Unlock()
		return ErrNonEmptyGroup
	}
	// Dead while the tombstone is written: joins meanwhile get
	// ErrCoordinatorNotAvailable and retry, as with Kafka.
	g.transition(Dead, c.clock.Now())
	c.mu.Unlock()

	var err error
	if c.cfg.Persist != nil {
		g.persistMu.Lock()
		err = c.cfg.Persist(ctx, GroupState{Group: group, State: Dead, Generation: g.generation, StateTime: c.clock.Now()})
		g.persistMu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[group] != g {
		return nil // unloaded or closed meanwhile
	}
	if err != nil {
		g.transition(Empty, c.clock.Now())
		return persistErr("delete", group, err)
	}
	c.unloadLocked(g)
	delete(c.groups, group)
	return nil
}

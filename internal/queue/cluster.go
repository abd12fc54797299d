package queue

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"triad/internal/raft"
)

// This file is the multi-node side of the service: brokers publish their
// Kafka address in the catalog, every node follows the catalog (topics
// created or deleted elsewhere, brokers, leaders) through a watch, and
// partition leaders record their leadership, so Metadata on any node names
// every partition's leader.

// nodeKey names a node's records in the catalog.
func nodeKey(id uint64) string { return strconv.FormatUint(id, 16) }

// publishSelf records this node's broker id and Kafka address.
func (s *Service) publishSelf(ctx context.Context) error {
	self := s.cfg.Self()
	rec, _ := json.Marshal(brokerRecord{Node: s.cfg.NodeID, BrokerID: s.cfg.BrokerID, Host: self.Host, Port: self.Port})
	return s.cat.Put(ctx, "brokers", nodeKey(s.cfg.NodeID), rec)
}

// follow reloads the catalog whenever it changes, until Close.
func (s *Service) follow() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.stop
		cancel()
	}()
	kick := make(chan struct{}, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.cat.Watch(ctx, func() {
			select {
			case kick <- struct{}{}:
			default:
			}
		})
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		if err := s.reload(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("queue: follow the catalog", "err", err)
			select { // try again soon
			case kick <- struct{}{}:
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// reload reads the whole catalog: installs topics and partitions created
// elsewhere, removes deleted ones, refreshes brokers and leaders.
func (s *Service) reload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.loadBrokersAndLeaders(ctx); err != nil {
		return err
	}
	recs, err := s.cat.LoadTopics(ctx)
	if err != nil {
		return err
	}
	for name, b := range recs {
		rec, err := decodeTopicRecord(b)
		if err != nil {
			s.log.Error("queue: bad topic record", "topic", name, "err", err)
			continue
		}
		if _, err := s.install(rec); err != nil {
			s.log.Error("queue: install topic", "topic", name, "err", err)
		}
	}
	s.mu.RLock()
	var gone []string
	for name := range s.topics {
		if _, ok := recs[name]; !ok {
			gone = append(gone, name)
		}
	}
	s.mu.RUnlock()
	if len(gone) == 0 {
		return nil
	}
	// A topic created here after the read above is in memory but not in
	// recs: read again, now that it is in memory, before removing.
	again, err := s.cat.LoadTopics(ctx)
	if err != nil {
		return err
	}
	for _, name := range gone {
		if _, ok := again[name]; !ok {
			s.uninstall(name)
		}
	}
	return nil
}

func (s *Service) loadBrokersAndLeaders(ctx context.Context) error {
	brs, err := s.cat.Load(ctx, "brokers")
	if err != nil {
		return err
	}
	lds, err := s.cat.Load(ctx, "leaders")
	if err != nil {
		return err
	}
	brokers := map[uint64]brokerRecord{}
	for _, b := range brs {
		var r brokerRecord
		if json.Unmarshal(b, &r) == nil {
			brokers[r.Node] = r
		}
	}
	leaders := map[uint64]leaderRecord{}
	for k, b := range lds {
		g, err := strconv.ParseUint(k, 16, 64)
		var r leaderRecord
		if err == nil && json.Unmarshal(b, &r) == nil {
			leaders[g] = r
		}
	}
	s.mu.Lock()
	s.brokers, s.leaders = brokers, leaders
	s.mu.Unlock()
	return nil
}

// uninstall forgets a deleted topic and removes this node's replicas.
func (s *Service) uninstall(name string) {
	s.mu.Lock()
	t := s.topics[name]
	delete(s.topics, name)
	s.mu.Unlock()
	if t == nil {
		return
	}
	for _, r := range t.parts {
		if r.p != nil {
			r.p.LeadershipLost()
			if err := s.host.RemoveGroup(r.group); err != nil && !errors.Is(err, raft.ErrUnknownGroup) {
				s.log.Warn("queue: remove partition group", "topic", name, "group", r.group, "err", err)
			}
		}
	}
}

// recordLeadership writes the leader record of a partition this node has
// just come to lead (once per term).
func (s *Service) recordLeadership(group, term uint64) {
	s.mu.RLock()
	cur, ok := s.leaders[group]
	s.mu.RUnlock()
	if ok && cur.Node == s.cfg.NodeID && cur.Term == term {
		return
	}
	rec, _ := json.Marshal(leaderRecord{Node: s.cfg.NodeID, Term: term})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.cat.Put(ctx, "leaders", nodeKey(group), rec); err != nil {
			s.log.Debug("queue: record leadership", "group", group, "err", err)
			return
		}
		s.mu.Lock()
		if s.leaders[group].Term <= term {
			s.leaders[group] = leaderRecord{Node: s.cfg.NodeID, Term: term}
		}
		s.mu.Unlock()
	}()
}

// brokerOf is a node's Kafka broker id, or -1 if it has not published one.
func (s *Service) brokerOf(node uint64) int32 {
	if node == s.cfg.NodeID {
		return s.cfg.BrokerID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if b, ok := s.brokers[node]; ok {
		return b.BrokerID
	}
	return -1
}

// leaderOf is the node leading a partition's group as this node knows
// it: from its own replica if it has one, else from the leader records.
func (s *Service) leaderOf(r *replica) (node uint64, term uint64) {
	if r.p != nil {
		if ld, err := s.host.Leadership(r.group); err == nil && ld.LeaderNode != 0 {
			return ld.LeaderNode, ld.Term
		}
		return 0, 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.leaders[r.group]
	return l.Node, l.Term
}

// nodes are the nodes that may hold replicas: the coordination cluster's
// voting members, sorted (this node alone if they cannot be read).
func (s *Service) nodes(ctx context.Context) []uint64 {
	if s.cfg.Members == nil {
		return []uint64{s.cfg.NodeID}
	}
	ns, err := s.cfg.Members(ctx)
	if err != nil || len(ns) == 0 {
		return []uint64{s.cfg.NodeID}
	}
	slices.Sort(ns)
	return ns
}

// brokerList is every broker that published its address, this one first.
func (s *Service) brokerList() []Broker {
	self := s.cfg.Self()
	self.NodeID = s.cfg.BrokerID
	out := []Broker{self}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for node, b := range s.brokers {
		if node != s.cfg.NodeID {
			out = append(out, Broker{NodeID: b.BrokerID, Host: b.Host, Port: b.Port})
		}
	}
	slices.SortFunc(out[1:], func(a, b Broker) int { return int(a.NodeID) - int(b.NodeID) })
	return out
}

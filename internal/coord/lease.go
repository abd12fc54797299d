package coord

import (
	"cmp"
	"slices"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// lease is a granted lease. deadline is absolute, in the proposers' clock
// (Unix ms from entry timestamps), so every replica and every restored
// snapshot agrees on it.
type lease struct {
	id       int64
	ttl      int64 // seconds, as granted (after raising to MinLeaseTTL)
	deadline int64 // Unix ms
	keys     map[string]struct{}
}

func (s *Store) attach(id int64, key string) {
	if l := s.leases[id]; l != nil {
		l.keys[key] = struct{}{}
	}
}

func (s *Store) detach(id int64, key string) {
	if l := s.leases[id]; l != nil {
		delete(l.keys, key)
	}
}

func (s *Store) applyLeaseGrant(req *pb.LeaseGrantRequest, e Entry) (*pb.LeaseGrantResponse, error) {
	id := req.ID
	if id == 0 {
		// The proposer left the choice to the entry: derive it from the
		// proposal ID, which every replica sees alike.
		id = int64(e.ID & (1<<63 - 1))
		if id == 0 {
			id = int64(s.applied & (1<<63 - 1))
		}
		if id == 0 {
			return nil, ErrLeaseNotFound // etcd's answer to granting lease 0
		}
	}
	ttl := req.TTL
	switch {
	case ttl > MaxLeaseTTL:
		return nil, ErrLeaseTTLTooLarge
	case s.leases[id] != nil:
		return nil, ErrLeaseExists
	case ttl < s.cfg.MinLeaseTTL:
		ttl = s.cfg.MinLeaseTTL
	}
	s.leases[id] = &lease{id: id, ttl: ttl, deadline: e.Time + ttl*1000, keys: map[string]struct{}{}}
	return &pb.LeaseGrantResponse{Header: s.header(), ID: id, TTL: ttl}, nil
}

// applyLeaseRevoke deletes the lease and its keys, in key order, in one
// revision (none if it had no keys).
func (s *Store) applyLeaseRevoke(req *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	l := s.leases[req.ID]
	if l == nil {
		return nil, ErrLeaseNotFound
	}
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tx := s.beginWrite()
	for _, k := range keys {
		tx.deleteRange(span{key: k, single: true})
	}
	delete(s.leases, req.ID)
	tx.commit()
	return &pb.LeaseRevokeResponse{Header: s.header()}, nil
}

// applyLeaseRefresh is a logged keep-alive: the lease lives TTL seconds
// from the entry's timestamp.
func (s *Store) applyLeaseRefresh(req *pb.LeaseKeepAliveRequest, now int64) (*pb.LeaseKeepAliveResponse, error) {
	l := s.leases[req.ID]
	if l == nil {
		return nil, ErrLeaseNotFound
	}
	l.deadline = now + l.ttl*1000
	return &pb.LeaseKeepAliveResponse{Header: s.header(), ID: l.id, TTL: l.ttl}, nil
}

// LeaseTimeToLive reports a lease's remaining TTL as of now (the caller's
// clock, in the proposers' time base), truncated to whole seconds as etcd
// does: it goes negative once the deadline passed and the revoke has not
// yet been applied. An unknown lease is ErrLeaseNotFound (etcd's API layer
// answers that with TTL -1).
func (s *Store) LeaseTimeToLive(req *pb.LeaseTimeToLiveRequest, now time.Time) (*pb.LeaseTimeToLiveResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.leases[req.ID]
	if l == nil {
		return nil, ErrLeaseNotFound
	}
	resp := &pb.LeaseTimeToLiveResponse{
		Header:     s.header(),
		ID:         l.id,
		TTL:        (l.deadline - now.UnixMilli()) / 1000,
		GrantedTTL: l.ttl,
	}
	if req.Keys {
		keys := make([]string, 0, len(l.keys))
		for k := range l.keys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			resp.Keys = append(resp.Keys, []byte(k))
		}
	}
	return resp, nil
}

// LeaseLeases lists every lease, by ID.
func (s *Store) LeaseLeases(*pb.LeaseLeasesRequest) *pb.LeaseLeasesResponse {
	s.mu.RLock()
	defer s.mu.RUnlock()
	resp := &pb.LeaseLeasesResponse{Header: s.header()}
	for _, id := range s.leaseIDsLocked() {
		resp.Leases = append(resp.Leases, &pb.LeaseStatus{ID: id})
	}
	return resp
}

func (s *Store) leaseIDsLocked() []int64 {
	ids := make([]int64, 0, len(s.leases))
	for id := range s.leases {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Expired returns the leases whose deadline is at or before now, earliest
// first. The store never expires a lease by itself: the leader calls this
// on its own clock and proposes a LeaseRevokeRequest for each.
func (s *Store) Expired(now time.Time) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ms := now.UnixMilli()
	var out []*lease
	for _, l := range s.leases {
		if l.deadline <= ms {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *lease) int {
		return cmp.Or(cmp.Compare(a.deadline, b.deadline), cmp.Compare(a.id, b.id))
	})
	ids := make([]int64, len(out))
	for i, l := range out {
		ids[i] = l.id
	}
	return ids
}

// LeaseDeadline returns a lease's granted TTL (seconds) and its deadline
// (Unix ms), as applied; ok is false for an unknown lease.
func (s *Store) LeaseDeadline(id int64) (ttl, deadline int64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.leases[id]
	if l == nil {
		return 0, 0, false
	}
	return l.ttl, l.deadline, true
}

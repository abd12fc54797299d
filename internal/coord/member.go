package coord

import (
	"cmp"
	"slices"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// applyMember records a member's published attributes (as etcd's members
// publish theirs through raft). Empty fields keep what was known, so a
// MemberAdd that knows only peer URLs and the member's own publication of
// its name and client URLs combine. Which members exist is raft's
// configuration, not this map: Members lists whatever was published and the
// service filters it by the current configuration.
func (s *Store) applyMember(m *pb.Member) (*pb.Member, error) {
	if m.ID == 0 {
		return nil, ErrMemberNotFound
	}
	cur := s.members[m.ID]
	if cur == nil {
		cur = &pb.Member{ID: m.ID}
		s.members[m.ID] = cur
	}
	if m.Name != "" {
		cur.Name = m.Name
	}
	if len(m.PeerURLs) > 0 {
		cur.PeerURLs = slices.Clone(m.PeerURLs)
	}
	if len(m.ClientURLs) > 0 {
		cur.ClientURLs = slices.Clone(m.ClientURLs)
	}
	return proto.Clone(cur).(*pb.Member), nil
}

// Members returns copies of every published member's attributes, by ID.
func (s *Store) Members() []*pb.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*pb.Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, proto.Clone(m).(*pb.Member))
	}
	slices.SortFunc(out, func(a, b *pb.Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Member returns a copy of one member's attributes, or nil.
func (s *Store) Member(id uint64) *pb.Member {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if m := s.members[id]; m != nil {
		return proto.Clone(m).(*pb.Member)
	}
	return nil
}

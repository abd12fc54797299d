package coord

import (
	"context"
	"errors"
	"slices"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/raft"
)

// APIVersion is the etcd release whose v3 API Triad's coordination service
// follows; Maintenance.Status reports it as the server version so that
// clients pick the right feature set.
const APIVersion = "3.5.0"

// MemberList lists the members in raft's current configuration, with the
// attributes each published (a member added but not yet started has only
// its peer URLs, as in etcd).
func (s *Service) MemberList(ctx context.Context, linearizable bool) (*pb.MemberListResponse, error) {
	if linearizable {
		if err := s.linearize(ctx); err != nil {
			return nil, err
		}
	}
	st, err := s.host.Status(s.group)
	if err != nil {
		return nil, s.mapErr(err)
	}
	return &pb.MemberListResponse{Header: s.headerAt(st), Members: s.members(st)}, nil
}

func (s *Service) members(st raft.Status) []*pb.Member {
	out := make([]*pb.Member, 0, len(st.Voters)+len(st.Learners))
	add := func(id uint64, learner bool) {
		m := s.store.Member(id)
		if m == nil {
			m = &pb.Member{ID: id}
		}
		m.IsLearner = learner
		out = append(out, m)
	}
	for _, id := range st.Voters {
		add(id, false)
	}
	for _, id := range st.Learners {
		add(id, true)
	}
	slices.SortFunc(out, func(a, b *pb.Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// headerAt is the header of the Cluster and Maintenance responses. Like
// etcd's, membership responses carry no revision.
func (s *Service) headerAt(st raft.Status) *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: s.cfg.ClusterID, MemberId: s.cfg.Self.ID, RaftTerm: st.Term}
}

// leaderStatus returns the group status if this node leads, else the
// error a front-end forwards on.
func (s *Service) leaderStatus() (raft.Status, error) {
	st, err := s.host.Status(s.group)
	if err != nil {
		return st, s.mapErr(err)
	}
	if !st.IsLeader {
		return st, s.notLeader(st.LeaderNode)
	}
	return st, nil
}

func inConfig(st raft.Status, id uint64) (member, learner bool) {
	if slices.Contains(st.Voters, id) {
		return true, false
	}
	if slices.Contains(st.Learners, id) {
		return true, true
	}
	return false, false
}

// MemberAdd adds a member by its peer URLs. Its ID is MemberID of the
// first peer URL, which the new node derives from its own --peer-addr
// when started with --initial-cluster-state existing. A voter is added as
// a learner and promoted at once (the group's quorum grows immediately, as
// with etcd's MemberAdd).
func (s *Service) MemberAdd(ctx context.Context, req *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
	if len(req.PeerURLs) == 0 || slices.Contains(req.PeerURLs, "") {
		return nil, ErrMemberBadURLs
	}
	st, err := s.leaderStatus()
	if err != nil {
		return nil, err
	}
	id := MemberID(req.PeerURLs[0])
	if ok, _ := inConfig(st, id); ok {
		return nil, ErrMemberExist
	}
	for _, m := range s.members(st) {
		for _, u := range m.PeerURLs {
			if slices.ContainsFunc(req.PeerURLs, func(v string) bool { return PeerHostPort(v) == PeerHostPort(u) }) {
				return nil, ErrPeerURLExist
			}
		}
	}
	if _, err := s.Publish(ctx, &pb.Member{ID: id, PeerURLs: req.PeerURLs}); err != nil {
		return nil, err
	}
	if err := s.host.AddLearner(ctx, s.group, id, id); err != nil {
		if errors.Is(err, raft.ErrReplicaReused) {
			return nil, ErrMemberExist
		}
		return nil, s.mapErr(err)
	}
	if !req.IsLearner {
		if err := s.host.PromoteVoter(ctx, s.group, id); err != nil {
			return nil, s.mapErr(err)
		}
	}
	st, _ = s.host.Status(s.group)
	m := s.store.Member(id)
	m.IsLearner = req.IsLearner
	return &pb.MemberAddResponse{Header: s.headerAt(st), Member: m, Members: s.members(st)}, nil
}

// MemberRemove removes a member from the cluster for good.
func (s *Service) MemberRemove(ctx context.Context, req *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
	st, err := s.leaderStatus()
	if err != nil {
		return nil, err
	}
	if ok, _ := inConfig(st, req.ID); !ok {
		return nil, ErrMemberNotFound
	}
	if err := s.host.RemoveMember(ctx, s.group, req.ID); err != nil {
		return nil, s.mapErr(err)
	}
	st, _ = s.host.Status(s.group)
	return &pb.MemberRemoveResponse{Header: s.headerAt(st), Members: s.members(st)}, nil
}

// MemberUpdate changes a member's peer URLs.
func (s *Service) MemberUpdate(ctx context.Context, req *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error) {
	if len(req.PeerURLs) == 0 || slices.Contains(req.PeerURLs, "") {
		return nil, ErrMemberBadURLs
	}
	st, err := s.leaderStatus()
	if err != nil {
		return nil, err
	}
	if ok, _ := inConfig(st, req.ID); !ok {
		return nil, ErrMemberNotFound
	}
	if _, err := s.Publish(ctx, &pb.Member{ID: req.ID, PeerURLs: req.PeerURLs}); err != nil {
		return nil, err
	}
	st, _ = s.host.Status(s.group)
	return &pb.MemberUpdateResponse{Header: s.headerAt(st), Members: s.members(st)}, nil
}

// MemberPromote makes a learner a voter. Unlike etcd it does not first
// check that the learner has caught up: raft keeps committing with the
// old majority while it does.
func (s *Service) MemberPromote(ctx context.Context, req *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error) {
	st, err := s.leaderStatus()
	if err != nil {
		return nil, err
	}
	ok, learner := inConfig(st, req.ID)
	if !ok {
		return nil, ErrMemberNotFound
	}
	if !learner {
		return nil, ErrMemberNotLearner
	}
	if err := s.host.PromoteVoter(ctx, s.group, req.ID); err != nil {
		return nil, s.mapErr(err)
	}
	st, _ = s.host.Status(s.group)
	return &pb.MemberPromoteResponse{Header: s.headerAt(st), Members: s.members(st)}, nil
}

// Status is this node's Maintenance.Status. DbSize is the bytes of keys
// and values in the kept history (Triad keeps the store in memory; its
// files are the raft log and snapshots).
func (s *Service) Status(ctx context.Context) (*pb.StatusResponse, error) {
	st, err := s.host.Status(s.group)
	if err != nil {
		return nil, s.mapErr(err)
	}
	size := s.store.DataSize()
	_, learner := inConfig(st, s.cfg.Self.ID)
	hdr := s.headerAt(st)
	hdr.Revision = s.store.Rev()
	resp := &pb.StatusResponse{
		Header: hdr, Version: APIVersion,
		DbSize: size, DbSizeInUse: size,
		Leader: st.LeaderNode, RaftIndex: st.Commit, RaftTerm: st.Term,
		RaftAppliedIndex: st.Applied, IsLearner: learner,
	}
	if st.Err != nil {
		resp.Errors = []string{st.Err.Error()}
	}
	return resp, nil
}

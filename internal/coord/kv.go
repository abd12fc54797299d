package coord

import (
	"bytes"
	"cmp"
	"slices"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// Range serves a read at applied state. Linearizability (ReadIndex) and
// serializable reads are the caller's concern: this reads what is applied.
func (s *Store) Range(req *pb.RangeRequest) (*pb.RangeResponse, error) {
	if len(req.GetKey()) == 0 {
		return nil, ErrEmptyKey
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rangeAt(req, s.rev)
}

// rangeAt runs req against a view whose current revision is cur (the store
// revision, or inside a write txn the txn's read revision).
func (s *Store) rangeAt(req *pb.RangeRequest, cur int64) (*pb.RangeResponse, error) {
	rev := req.Revision
	switch {
	case rev > cur:
		return nil, ErrFutureRev
	case rev <= 0:
		rev = cur
	}
	if rev < s.compactRev {
		return nil, ErrCompacted
	}
	// Without sorting or filters the first limit keys are the answer; the
	// rest are only counted.
	keep := int64(-1)
	switch {
	case req.CountOnly:
		keep = 0
	case req.SortOrder == pb.RangeRequest_NONE && req.SortTarget == pb.RangeRequest_KEY &&
		req.MinModRevision == 0 && req.MaxModRevision == 0 &&
		req.MinCreateRevision == 0 && req.MaxCreateRevision == 0 && req.Limit > 0:
		keep = req.Limit
	}
	var recs []*rec
	var count int64
	s.visit(mkSpan(req.Key, req.RangeEnd), rev, func(r *rec) {
		if keep < 0 || count < keep {
			recs = append(recs, r)
		}
		count++
	})
	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: cur}, Count: count}
	if req.CountOnly {
		return resp, nil
	}
	if keep >= 0 && count > keep {
		resp.More = true
	}
	// etcd prunes after counting: count covers the range, not the filters.
	recs = slices.DeleteFunc(recs, func(r *rec) bool {
		return (req.MaxModRevision != 0 && r.main > req.MaxModRevision) ||
			(req.MinModRevision != 0 && r.main < req.MinModRevision) ||
			(req.MaxCreateRevision != 0 && r.create > req.MaxCreateRevision) ||
			(req.MinCreateRevision != 0 && r.create < req.MinCreateRevision)
	})
	order := req.SortOrder
	switch {
	case req.SortTarget != pb.RangeRequest_KEY && order == pb.RangeRequest_NONE:
		order = pb.RangeRequest_ASCEND
	case req.SortTarget == pb.RangeRequest_KEY && order == pb.RangeRequest_ASCEND:
		order = pb.RangeRequest_NONE // already in key order
	}
	if order == pb.RangeRequest_ASCEND || order == pb.RangeRequest_DESCEND {
		var by func(a, b *rec) int
		switch req.SortTarget {
		case pb.RangeRequest_KEY:
			by = func(a, b *rec) int { return cmp.Compare(a.key, b.key) }
		case pb.RangeRequest_VERSION:
			by = func(a, b *rec) int { return cmp.Compare(a.version, b.version) }
		case pb.RangeRequest_CREATE:
			by = func(a, b *rec) int { return cmp.Compare(a.create, b.create) }
		case pb.RangeRequest_MOD:
			by = func(a, b *rec) int { return cmp.Compare(a.main, b.main) }
		case pb.RangeRequest_VALUE:
			by = func(a, b *rec) int { return bytes.Compare(a.value, b.value) }
		}
		if by != nil {
			if order == pb.RangeRequest_DESCEND {
				asc := by
				by = func(a, b *rec) int { return asc(b, a) }
			}
			slices.SortStableFunc(recs, by)
		}
	}
	if req.Limit > 0 && int64(len(recs)) > req.Limit {
		recs = recs[:req.Limit]
		resp.More = true
	}
	resp.Kvs = make([]*mvccpb.KeyValue, len(recs))
	for i, r := range recs {
		kv := r.kv()
		if req.KeysOnly {
			kv.Value = nil
		}
		resp.Kvs[i] = kv
	}
	return resp, nil
}

func checkPut(req *pb.PutRequest) error {
	switch {
	case len(req.Key) == 0:
		return ErrEmptyKey
	case req.IgnoreValue && len(req.Value) != 0:
		return ErrValueProvided
	case req.IgnoreLease && req.Lease != 0:
		return ErrLeaseProvided
	}
	return nil
}

func (s *Store) applyPut(req *pb.PutRequest) (*pb.PutResponse, error) {
	if err := checkPut(req); err != nil {
		return nil, err
	}
	if req.Lease != 0 && s.leases[req.Lease] == nil {
		return nil, ErrLeaseNotFound
	}
	if err := s.checkPutPrev(req); err != nil {
		return nil, err
	}
	tx := s.beginWrite()
	resp := tx.doPut(req)
	tx.commit()
	return resp, nil
}

// checkPutPrev: ignore_value and ignore_lease need the key to exist.
func (s *Store) checkPutPrev(req *pb.PutRequest) error {
	if !req.IgnoreValue && !req.IgnoreLease {
		return nil
	}
	if h := s.keys[string(req.Key)]; h == nil || h.last() == nil || h.last().tomb {
		return ErrKeyNotFound
	}
	return nil
}

// doPut performs a checked put inside tx.
func (tx *wtx) doPut(req *pb.PutRequest) *pb.PutResponse {
	key := string(req.Key)
	var prev *rec
	if h := tx.s.keys[key]; h != nil {
		if r := h.at(tx.readRev()); r != nil && !r.tomb {
			prev = r
		}
	}
	val, leaseID := req.Value, req.Lease
	// prev is nil here only when a "\x00" delete earlier in the same txn
	// removed the key (checkIntervals lets that through, as etcd's does;
	// etcd then panics). Keep going deterministically with nothing kept.
	if req.IgnoreValue {
		val = nil
		if prev != nil {
			val = prev.value
		}
	}
	if req.IgnoreLease {
		leaseID = 0
		if prev != nil {
			leaseID = prev.lease
		}
	}
	resp := &pb.PutResponse{}
	if req.PrevKv && prev != nil {
		resp.PrevKv = prev.kv()
	}
	tx.put(key, val, leaseID)
	resp.Header = &pb.ResponseHeader{Revision: tx.rev}
	return resp
}

func (s *Store) applyDeleteRange(req *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if len(req.Key) == 0 {
		return nil, ErrEmptyKey
	}
	tx := s.beginWrite()
	resp := tx.doDeleteRange(req)
	tx.commit()
	return resp, nil
}

func (tx *wtx) doDeleteRange(req *pb.DeleteRangeRequest) *pb.DeleteRangeResponse {
	prevs := tx.deleteRange(mkSpan(req.Key, req.RangeEnd))
	resp := &pb.DeleteRangeResponse{Deleted: int64(len(prevs))}
	if req.PrevKv {
		for _, p := range prevs {
			resp.PrevKvs = append(resp.PrevKvs, p.kv())
		}
	}
	// As etcd: the txn's revision once anything in it changed, else the
	// current one.
	resp.Header = &pb.ResponseHeader{Revision: tx.readRev()}
	return resp
}

func (s *Store) applyCompact(req *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	switch {
	case req.Revision <= s.compactRev:
		return nil, ErrCompacted
	case req.Revision > s.rev:
		return nil, ErrFutureRev
	}
	s.compactLocked(req.Revision)
	s.hub.compacted(s)
	return &pb.CompactionResponse{Header: s.header()}, nil
}

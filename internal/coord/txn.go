package coord

import (
	"bytes"
	"cmp"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// checkTxn validates a txn as etcd's API layer does (checkTxnRequest and
// checkIntervals), before it touches any state.
func (s *Store) checkTxn(req *pb.TxnRequest) error {
	if err := checkTxnReq(req, s.cfg.MaxTxnOps); err != nil {
		return err
	}
	_, _, err := checkIntervals(req.Success)
	if err != nil {
		return err
	}
	_, _, err = checkIntervals(req.Failure)
	return err
}

func checkTxnReq(req *pb.TxnRequest, maxOps int) error {
	opc := max(len(req.Compare), len(req.Success), len(req.Failure))
	if opc > maxOps {
		return ErrTooManyOps
	}
	for _, c := range req.Compare {
		if len(c.GetKey()) == 0 {
			return ErrEmptyKey
		}
	}
	for _, ops := range [][]*pb.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			if err := checkOp(op, maxOps-opc); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkOp(op *pb.RequestOp, maxOps int) error {
	switch r := op.GetRequest().(type) {
	case *pb.RequestOp_RequestRange:
		if len(r.RequestRange.GetKey()) == 0 {
			return ErrEmptyKey
		}
	case *pb.RequestOp_RequestPut:
		if r.RequestPut == nil {
			return ErrEmptyKey
		}
		return checkPut(r.RequestPut)
	case *pb.RequestOp_RequestDeleteRange:
		if len(r.RequestDeleteRange.GetKey()) == 0 {
			return ErrEmptyKey
		}
	case *pb.RequestOp_RequestTxn:
		if r.RequestTxn == nil {
			return nil
		}
		return checkTxnReq(r.RequestTxn, maxOps)
	}
	return nil
}

// interval is a deleted range, compared as etcd's string intervals: a
// single key is [key, key+"\x00"); a range_end of "\x00" gives an empty
// interval, so etcd (and this store) let such a delete and a put of a key
// in it share a txn.
type interval struct{ begin, end string }

func (iv interval) has(k string) bool { return k >= iv.begin && k < iv.end }

func anyHas(ivs []interval, k string) bool {
	for _, iv := range ivs {
		if iv.has(k) {
			return true
		}
	}
	return false
}

// checkIntervals enforces that a txn puts a key at most once and never both
// puts and deletes it, across nested txns; the two branches of one nested
// txn may put the same key since only one of them runs.
func checkIntervals(ops []*pb.RequestOp) (map[string]struct{}, []interval, error) {
	var dels []interval
	for _, op := range ops {
		d, ok := op.GetRequest().(*pb.RequestOp_RequestDeleteRange)
		if !ok || d.RequestDeleteRange == nil {
			continue
		}
		key := string(d.RequestDeleteRange.Key)
		if end := d.RequestDeleteRange.RangeEnd; len(end) != 0 {
			dels = append(dels, interval{key, string(end)})
		} else {
			dels = append(dels, interval{key, key + "\x00"})
		}
	}
	puts := map[string]struct{}{}
	for _, op := range ops {
		t, ok := op.GetRequest().(*pb.RequestOp_RequestTxn)
		if !ok || t.RequestTxn == nil {
			continue
		}
		putsThen, delsThen, err := checkIntervals(t.RequestTxn.Success)
		if err != nil {
			return nil, nil, err
		}
		putsElse, delsElse, err := checkIntervals(t.RequestTxn.Failure)
		if err != nil {
			return nil, nil, err
		}
		for k := range putsThen {
			if _, dup := puts[k]; dup || anyHas(dels, k) {
				return nil, nil, ErrDuplicateKey
			}
			puts[k] = struct{}{}
		}
		for k := range putsElse {
			if _, dup := puts[k]; dup {
				if _, safe := putsThen[k]; !safe {
					return nil, nil, ErrDuplicateKey
				}
			}
			if anyHas(dels, k) {
				return nil, nil, ErrDuplicateKey
			}
			puts[k] = struct{}{}
		}
		dels = append(dels, delsThen...)
		dels = append(dels, delsElse...)
	}
	for _, op := range ops {
		p, ok := op.GetRequest().(*pb.RequestOp_RequestPut)
		if !ok || p.RequestPut == nil {
			continue
		}
		k := string(p.RequestPut.Key)
		if _, dup := puts[k]; dup || anyHas(dels, k) {
			return nil, nil, ErrDuplicateKey
		}
		puts[k] = struct{}{}
	}
	return puts, dels, nil
}

// txnPath records which branch each txn takes, nested txns included. All
// compares are evaluated against the state before the txn, as in etcd.
type txnPath struct {
	ok     bool
	nested []*txnPath // one per nested txn in the branch taken, in order
}

func (s *Store) evalPath(req *pb.TxnRequest) *txnPath {
	p := &txnPath{ok: true}
	for _, c := range req.Compare {
		if !s.compare(c) {
			p.ok = false
			break
		}
	}
	for _, op := range branch(req, p.ok) {
		if t, ok := op.GetRequest().(*pb.RequestOp_RequestTxn); ok && t.RequestTxn != nil {
			p.nested = append(p.nested, s.evalPath(t.RequestTxn))
		}
	}
	return p
}

func branch(req *pb.TxnRequest, ok bool) []*pb.RequestOp {
	if ok {
		return req.Success
	}
	return req.Failure
}

// compare evaluates one compare at the current revision: every key in its
// range must satisfy it; a value compare on no key fails; other targets on
// no key compare against zero.
func (s *Store) compare(c *pb.Compare) bool {
	var recs []*rec
	s.visit(mkSpan(c.Key, c.RangeEnd), s.rev, func(r *rec) { recs = append(recs, r) })
	if len(recs) == 0 {
		if c.Target == pb.Compare_VALUE {
			return false
		}
		return compareRec(c, &rec{})
	}
	for _, r := range recs {
		if !compareRec(c, r) {
			return false
		}
	}
	return true
}

func compareRec(c *pb.Compare, r *rec) bool {
	var res int
	switch c.Target {
	case pb.Compare_VALUE:
		v := c.GetValue()
		if v == nil {
			v = []byte{}
		}
		res = bytes.Compare(r.value, v)
	case pb.Compare_CREATE:
		res = cmp.Compare(r.create, c.GetCreateRevision())
	case pb.Compare_MOD:
		res = cmp.Compare(r.main, c.GetModRevision())
	case pb.Compare_VERSION:
		res = cmp.Compare(r.version, c.GetVersion())
	case pb.Compare_LEASE:
		res = cmp.Compare(r.lease, c.GetLease())
	}
	switch c.Result {
	case pb.Compare_EQUAL:
		return res == 0
	case pb.Compare_NOT_EQUAL:
		return res != 0
	case pb.Compare_GREATER:
		return res > 0
	case pb.Compare_LESS:
		return res < 0
	}
	return true
}

func isReadOnly(req *pb.TxnRequest) bool {
	for _, ops := range [][]*pb.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			switch r := op.GetRequest().(type) {
			case *pb.RequestOp_RequestPut, *pb.RequestOp_RequestDeleteRange:
				return false
			case *pb.RequestOp_RequestTxn:
				if r.RequestTxn != nil && !isReadOnly(r.RequestTxn) {
					return false
				}
			}
		}
	}
	return true
}

// checkPath checks, on the branches the txn takes and before any write,
// what etcd's checkRequests checks: puts whose lease must exist or whose
// key must exist (ignore_value, ignore_lease), and ranges at revisions
// that must be available.
func (s *Store) checkPath(req *pb.TxnRequest, p *txnPath, writes bool) error {
	n := 0
	for _, op := range branch(req, p.ok) {
		switch r := op.GetRequest().(type) {
		case *pb.RequestOp_RequestTxn:
			if r.RequestTxn == nil {
				continue
			}
			if err := s.checkPath(r.RequestTxn, p.nested[n], writes); err != nil {
				return err
			}
			n++
		case *pb.RequestOp_RequestPut:
			if !writes {
				continue
			}
			if err := s.checkPutPrev(r.RequestPut); err != nil {
				return err
			}
			if l := r.RequestPut.Lease; l != 0 && s.leases[l] == nil {
				return ErrLeaseNotFound
			}
		case *pb.RequestOp_RequestRange:
			switch rev := r.RequestRange.GetRevision(); {
			case rev == 0:
			case rev > s.rev:
				return ErrFutureRev
			case rev < s.compactRev:
				return ErrCompacted
			}
		}
	}
	return nil
}

// Txn serves a read-only txn at applied state; a txn that may write must
// go through the log (ErrNotReadOnly).
func (s *Store) Txn(req *pb.TxnRequest) (*pb.TxnResponse, error) {
	if !isReadOnly(req) {
		return nil, ErrNotReadOnly
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkTxn(req); err != nil {
		return nil, err
	}
	p := s.evalPath(req)
	if err := s.checkPath(req, p, false); err != nil {
		return nil, err
	}
	// A read-only txn never changes anything, so running it in a write txn
	// that is never committed is safe and keeps one code path.
	tx := s.beginWrite()
	resp := tx.doTxn(req, p)
	resp.Header = s.header()
	return resp, nil
}

func (s *Store) applyTxn(req *pb.TxnRequest) (*pb.TxnResponse, error) {
	if err := s.checkTxn(req); err != nil {
		return nil, err
	}
	p := s.evalPath(req)
	if err := s.checkPath(req, p, !isReadOnly(req)); err != nil {
		return nil, err
	}
	tx := s.beginWrite()
	resp := tx.doTxn(req, p)
	tx.commit()
	resp.Header = s.header()
	return resp, nil
}

// doTxn runs the branch p chose; every check has passed, so nothing fails.
// Nested txn responses carry an empty header, as etcd's.
func (tx *wtx) doTxn(req *pb.TxnRequest, p *txnPath) *pb.TxnResponse {
	ops := branch(req, p.ok)
	resp := &pb.TxnResponse{Header: &pb.ResponseHeader{}, Succeeded: p.ok, Responses: make([]*pb.ResponseOp, 0, len(ops))}
	n := 0
	for _, op := range ops {
		out := &pb.ResponseOp{}
		switch r := op.GetRequest().(type) {
		case *pb.RequestOp_RequestRange:
			rr, err := tx.s.rangeAt(r.RequestRange, tx.readRev())
			if err != nil { // unreachable: checkPath checked the revision
				rr = &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: tx.readRev()}}
			}
			out.Response = &pb.ResponseOp_ResponseRange{ResponseRange: rr}
		case *pb.RequestOp_RequestPut:
			out.Response = &pb.ResponseOp_ResponsePut{ResponsePut: tx.doPut(r.RequestPut)}
		case *pb.RequestOp_RequestDeleteRange:
			out.Response = &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: tx.doDeleteRange(r.RequestDeleteRange)}
		case *pb.RequestOp_RequestTxn:
			if r.RequestTxn == nil {
				continue
			}
			out.Response = &pb.ResponseOp_ResponseTxn{ResponseTxn: tx.doTxn(r.RequestTxn, p.nested[n])}
			n++
		default:
			continue
		}
		resp.Responses = append(resp.Responses, out)
	}
	return resp
}

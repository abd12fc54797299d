package coord

import (
	"encoding/binary"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// Kind says which etcdserverpb request a log entry carries.
type Kind uint8

// Entry kinds. The values are part of the on-disk format: never renumber.
const (
	KindPut          Kind = 1 // *pb.PutRequest
	KindDeleteRange  Kind = 2 // *pb.DeleteRangeRequest
	KindTxn          Kind = 3 // *pb.TxnRequest
	KindCompact      Kind = 4 // *pb.CompactionRequest
	KindLeaseGrant   Kind = 5 // *pb.LeaseGrantRequest
	KindLeaseRevoke  Kind = 6 // *pb.LeaseRevokeRequest
	KindLeaseRefresh Kind = 7 // *pb.LeaseKeepAliveRequest
	KindMember       Kind = 8 // *pb.Member: a member's published attributes
)

const (
	entryVersion   = 1
	entryHeaderLen = 2 + 8 + 8
)

// Entry is a decoded log entry.
type Entry struct {
	Kind Kind
	// ID identifies the proposal: the proposer completes its waiting request
	// by this ID (never by raft index). It also seeds lease IDs chosen at
	// apply when a LeaseGrantRequest carries ID 0.
	ID uint64
	// Time is the proposer's clock in Unix milliseconds, kept monotonic
	// across leader changes by the proposer. It is the only "now" Apply uses.
	Time int64
	// Request is the etcdserverpb request, of the type Kind names.
	Request proto.Message
}

// Encode builds the log entry for req, one of *pb.PutRequest,
// *pb.DeleteRangeRequest, *pb.TxnRequest, *pb.CompactionRequest,
// *pb.LeaseGrantRequest, *pb.LeaseRevokeRequest, *pb.LeaseKeepAliveRequest
// (a keep-alive is logged as a lease refresh) or *pb.Member (a member
// publishing its attributes). id is the proposal's ID and
// unixMilli the proposer's timestamp. The format is described in doc.go.
func Encode(id uint64, unixMilli int64, req proto.Message) ([]byte, error) {
	var k Kind
	switch req.(type) {
	case *pb.PutRequest:
		k = KindPut
	case *pb.DeleteRangeRequest:
		k = KindDeleteRange
	case *pb.TxnRequest:
		k = KindTxn
	case *pb.CompactionRequest:
		k = KindCompact
	case *pb.LeaseGrantRequest:
		k = KindLeaseGrant
	case *pb.LeaseRevokeRequest:
		k = KindLeaseRevoke
	case *pb.LeaseKeepAliveRequest:
		k = KindLeaseRefresh
	case *pb.Member:
		k = KindMember
	default:
		return nil, fmt.Errorf("coord: cannot encode %T", req)
	}
	buf := make([]byte, entryHeaderLen, entryHeaderLen+proto.Size(req))
	buf[0] = entryVersion
	buf[1] = byte(k)
	binary.BigEndian.PutUint64(buf[2:], id)
	binary.BigEndian.PutUint64(buf[10:], uint64(unixMilli))
	buf, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, req)
	if err != nil {
		return nil, fmt.Errorf("coord: encode %T: %w", req, err)
	}
	return buf, nil
}

// Decode parses a log entry built by Encode. It never panics; any malformed
// input yields an error wrapping ErrBadEntry.
func Decode(data []byte) (Entry, error) {
	if len(data) < entryHeaderLen {
		return Entry{}, fmt.Errorf("%w: %d bytes", ErrBadEntry, len(data))
	}
	if data[0] != entryVersion {
		return Entry{}, fmt.Errorf("%w: version %d", ErrBadEntry, data[0])
	}
	e := Entry{
		Kind: Kind(data[1]),
		ID:   binary.BigEndian.Uint64(data[2:]),
		Time: int64(binary.BigEndian.Uint64(data[10:])),
	}
	switch e.Kind {
	case KindPut:
		e.Request = &pb.PutRequest{}
	case KindDeleteRange:
		e.Request = &pb.DeleteRangeRequest{}
	case KindTxn:
		e.Request = &pb.TxnRequest{}
	case KindCompact:
		e.Request = &pb.CompactionRequest{}
	case KindLeaseGrant:
		e.Request = &pb.LeaseGrantRequest{}
	case KindLeaseRevoke:
		e.Request = &pb.LeaseRevokeRequest{}
	case KindLeaseRefresh:
		e.Request = &pb.LeaseKeepAliveRequest{}
	case KindMember:
		e.Request = &pb.Member{}
	default:
		return Entry{}, fmt.Errorf("%w: kind %d", ErrBadEntry, data[1])
	}
	if err := proto.Unmarshal(data[entryHeaderLen:], e.Request); err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrBadEntry, err)
	}
	return e, nil
}

package group

import "time"

// This file is the coordinator's vocabulary: what the Kafka front-end
// passes in (decoded from kmsg requests) and gets back.

// State is a group's state in the classic protocol.
type State int8

// Group states (Kafka's GroupState).
const (
	Empty State = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

// String returns Kafka's name of the state, as DescribeGroups and
// ListGroups report it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// Protocol is one assignment protocol a member supports, with its
// metadata (for the "consumer" protocol type: the subscription).
type Protocol struct {
	Name     string
	Metadata []byte
}

// JoinRequest is a JoinGroup request (v0–v9).
type JoinRequest struct {
	Group          string
	MemberID       string // "": a new member
	InstanceID     string // group.instance.id (v5+); "": a dynamic member
	ClientID       string
	ClientHost     string
	SessionTimeout time.Duration
	// RebalanceTimeout (v1+); for v0 pass the session timeout. Zero means
	// the session timeout.
	RebalanceTimeout time.Duration
	ProtocolType     string
	Protocols        []Protocol
	// RequireKnownMemberID is true for v4+: a new dynamic member first gets
	// ErrMemberIDRequired with its id in MemberID (KIP-394).
	RequireKnownMemberID bool
	// SkipAssignmentSupported is true for v9+: a static leader replaced in
	// a stable group is told it leads, with SkipAssignment set (KIP-814).
	SkipAssignmentSupported bool
	Reason                  string // v8+, logged only
}

// JoinResponse answers a JoinRequest. On error MemberID is the id the
// client should use next ("" to reset; the new id for
// ErrMemberIDRequired) and Generation is -1.
type JoinResponse struct {
	Err            error
	Generation     int32
	ProtocolType   string
	Protocol       string
	Leader         string
	SkipAssignment bool
	MemberID       string
	Members        []JoinMember // the leader's copy of every member's metadata; empty for followers
}

// JoinMember is one member as the leader sees it in JoinResponse.
type JoinMember struct {
	MemberID   string
	InstanceID string
	Metadata   []byte
}

// SyncRequest is a SyncGroup request (v0–v5).
type SyncRequest struct {
	Group        string
	Generation   int32
	MemberID     string
	InstanceID   string
	ProtocolType string             // v5+; "" when not sent
	Protocol     string             // v5+; "" when not sent
	Assignments  []MemberAssignment // from the leader only
}

// MemberAssignment is the leader's assignment for one member.
type MemberAssignment struct {
	MemberID   string
	Assignment []byte
}

// SyncResponse answers a SyncRequest.
type SyncResponse struct {
	Err          error
	ProtocolType string
	Protocol     string
	Assignment   []byte
}

// HeartbeatRequest is a Heartbeat request (v0–v4).
type HeartbeatRequest struct {
	Group      string
	Generation int32
	MemberID   string
	InstanceID string
}

// LeaveMember is one member leaving in a LeaveGroup request: v0–v2 carry a
// single MemberID; v3+ a batch, where an empty MemberID with an InstanceID
// removes that static member (an administrative removal).
type LeaveMember struct {
	MemberID   string
	InstanceID string
	Reason     string
}

// GroupDescription is one group for DescribeGroups. Protocol, member
// metadata and assignments are filled only for a Stable group, as Kafka
// does. An unknown group is described as Dead with no members.
type GroupDescription struct {
	Group        string
	State        State
	ProtocolType string
	Protocol     string
	Members      []MemberDescription
}

// MemberDescription is one member in a GroupDescription.
type MemberDescription struct {
	MemberID   string
	InstanceID string
	ClientID   string
	ClientHost string
	Metadata   []byte
	Assignment []byte
}

// GroupListing is one group for ListGroups.
type GroupListing struct {
	Group        string
	ProtocolType string
	State        State
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// CommitRequest is an OffsetCommit request. Generation -1 with no member
// id is a "simple" commit (by a consumer outside group management, or an
// admin tool), allowed only while the group has no members.
type CommitRequest struct {
	Group      string
	Generation int32
	MemberID   string
	InstanceID string
	Offsets    []CommitOffset
}

// CommitOffset is one partition's offset in a CommitRequest.
type CommitOffset struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32 // -1: unknown
	Metadata    string
}

// CommittedOffset is a committed offset as stored. FetchOffsets reports
// Offset -1 (and LeaderEpoch -1) for a partition with no commit.
type CommittedOffset struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32
	Metadata    string
	CommitTime  time.Time
}

// PartitionError is the outcome for one partition of an offset request.
type PartitionError struct {
	Topic     string
	Partition int32
	Err       error
}

// GroupState is what Config.Persist stores and Load installs: the group
// as Kafka keeps it in __consumer_offsets (GroupMetadataValue v3+).
// State is Empty or Stable, or Dead for a deleted group (a tombstone).
// Each member's Metadata is its metadata for the selected Protocol only.
type GroupState struct {
	Group        string
	State        State
	ProtocolType string
	Protocol     string
	Generation   int32
	Leader       string
	StateTime    time.Time
	Members      []MemberState
}

// MemberState is one member of a GroupState.
type MemberState struct {
	MemberID         string
	InstanceID       string
	ClientID         string
	ClientHost       string
	RebalanceTimeout time.Duration
	SessionTimeout   time.Duration
	Metadata         []byte
	Assignment       []byte
}

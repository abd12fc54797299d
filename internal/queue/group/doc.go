// Package group is the queue's consumer group coordinator: Kafka's classic
// (pre-KIP-848) group membership protocol, modelled on Kafka 3.x's
// GroupCoordinator and GroupMetadata, in memory. The Kafka front-end
// decodes JoinGroup, SyncGroup, Heartbeat, LeaveGroup, DescribeGroups,
// ListGroups, DeleteGroups, OffsetCommit, OffsetFetch and OffsetDelete,
// calls the Coordinator and maps its errors through the table below.
// Durability is the embedder's: Config.Persist and Config.PersistOffsets
// are called before the coordinator acknowledges what they store, and
// Load installs that state again on the node that becomes coordinator.
//
// # Contract
//
//   - New builds a Coordinator; it owns no goroutine. Timers come from
//     Config.Clock (ManualClock in tests) and run their work on the
//     clock's goroutine. Close answers every waiting call with
//     ErrNotCoordinator.
//   - The caller routes a group's requests to this node only while it
//     coordinates the group (leads its offsets partition), calls Load for
//     every stored group when it becomes coordinator and Unload when it
//     stops; the coordinator itself does not check ownership.
//   - JoinGroup and SyncGroup block as Kafka's do: JoinGroup until the
//     rebalance's join phase ends, SyncGroup until the leader's assignment
//     is stored. They return early when ctx ends; the member stays joined
//     (a Kafka request cannot be withdrawn), and a member whose JoinGroup
//     or SyncGroup is superseded by a retry gets ErrRebalanceInProgress on
//     the old call.
//   - Version differences are the front-end's: v0 JoinGroup passes the
//     session timeout as rebalance timeout, v4+ sets RequireKnownMemberID,
//     v9+ SkipAssignmentSupported; a nil group.instance.id is "".
//
// # States
//
//	Empty ──join──► PreparingRebalance ──all rejoined / timeout──► CompletingRebalance
//	  ▲                    ▲  │                                          │ leader's SyncGroup,
//	  │                    │  └──no members left──► Empty                │ persisted
//	  │ DeleteGroup: Dead  └──── join, leave, expiry, metadata change ◄── Stable
//
// A rebalance's join phase ends when every member has rejoined and no
// member id handed out with ErrMemberIDRequired is outstanding, or when
// the longest rebalance timeout of the members passes; dynamic members
// that did not rejoin are then removed, static ones stay until their
// session expires. The first rebalance of an empty group waits
// InitialRebalanceDelay, extended by another delay while new members keep
// arriving, up to the rebalance timeout. The protocol is the one every
// member supports that most members list first (ties: by name). The
// leader's JoinGroup answer carries every member's metadata for it; the
// leader is kept across generations if it rejoins. After the join phase,
// members that send no SyncGroup within the rebalance timeout are removed
// and the group rebalances. Missing members in the leader's assignment get
// an empty one.
//
// Sessions: each member's session is rearmed by Heartbeat, SyncGroup,
// OffsetCommit and each answered rebalance; when it lapses the member is
// removed and the group rebalances, except while the member is waiting in
// a JoinGroup or SyncGroup (a new member's first JoinGroup is instead
// bounded by five minutes). Heartbeat answers ErrRebalanceInProgress while
// the group prepares a rebalance.
//
// Static membership (group.instance.id, KIP-345): a static member that
// joins with no member id while its instance id is registered takes over
// the registration under a new member id; any call the old id was waiting
// on gets ErrFencedInstanceID, and so does every later request with the
// old id. In a Stable group, when the replacement leaves the group's
// selected protocol unchanged, there is no rebalance: the group is
// persisted with the new id and the member gets the current generation
// (with the old leader id before v9, so a replaced leader does not run
// the assignor; from v9 the leader is told it leads with SkipAssignment).
// Its assignment stays as it was. This follows Kafka, which compares the
// selected protocol and not the member's metadata: sticky assignors put
// the owned partitions in the metadata, so a restarted member's metadata
// always differs and comparing it would rebalance on every restart. A
// changed protocol, or a replacement during CompletingRebalance, starts a
// rebalance. If persisting fails the old member id is restored and the
// joiner gets the error.
//
// Offsets: a commit from a member must carry its member id and the current
// generation; generation -1 with no member and instance id is a simple
// commit (consumers with manual assignment, admin tools), allowed only
// while the group has no members, and it creates the group if needed.
// Commits are refused with ErrRebalanceInProgress in CompletingRebalance
// and accepted while preparing a rebalance. Offset retention is not
// implemented.
//
// # Persistence
//
// Persist receives the group as Kafka's GroupMetadataValue holds it: on
// the leader's SyncGroup (with the new assignment, before any member gets
// it; a failure answers every waiting SyncGroup with the error and starts
// a rebalance), on a static replacement without rebalance, when the group
// becomes Empty, and a Dead tombstone on DeleteGroup (which also drops the
// group's offsets). A failed Empty write fails the LeaveGroup that caused
// it (the member is gone from memory all the same, as in Kafka) and is
// retried with the next change. Writes for one group are ordered by
// group.persistMu and always carry the latest state.
//
// # Errors
//
// The Kafka code each error maps to:
//
//	ErrOffsetMetadataTooLarge     12 OFFSET_METADATA_TOO_LARGE
//	ErrCoordinatorNotAvailable    15 COORDINATOR_NOT_AVAILABLE
//	ErrNotCoordinator             16 NOT_COORDINATOR
//	ErrIllegalGeneration          22 ILLEGAL_GENERATION
//	ErrInconsistentGroupProtocol  23 INCONSISTENT_GROUP_PROTOCOL
//	ErrInvalidGroupID             24 INVALID_GROUP_ID
//	ErrUnknownMemberID            25 UNKNOWN_MEMBER_ID
//	ErrInvalidSessionTimeout      26 INVALID_SESSION_TIMEOUT
//	ErrRebalanceInProgress        27 REBALANCE_IN_PROGRESS
//	ErrNonEmptyGroup              68 NON_EMPTY_GROUP
//	ErrGroupIDNotFound            69 GROUP_ID_NOT_FOUND
//	ErrMemberIDRequired           79 MEMBER_ID_REQUIRED
//	ErrGroupMaxSizeReached        81 GROUP_MAX_SIZE_REACHED
//	ErrFencedInstanceID           82 FENCED_INSTANCE_ID
//	ErrGroupSubscribedToTopic     86 GROUP_SUBSCRIBED_TO_TOPIC
//	context errors               (the call was abandoned: send nothing)
//
// Test with errors.Is in this order: ErrNotCoordinator before
// ErrCoordinatorNotAvailable (a Persist error wrapping ErrNotCoordinator
// comes back wrapped once more). The membership APIs refuse an empty group
// id (INVALID_GROUP_ID); OffsetCommit, OffsetFetch, DescribeGroups and
// DeleteGroups accept it, as Kafka does.
//
// # Locking
//
// Coordinator.mu guards every group. group.persistMu (one per group)
// serialises that group's writes and is taken before Coordinator.mu, never
// while holding it; Persist and PersistOffsets run with persistMu held and
// Coordinator.mu released, so a slow store delays only its own group's
// writes. Timer callbacks take Coordinator.mu and check that the group and
// the timer's sequence number are still current.
package group

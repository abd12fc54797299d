package kafka

import "strconv"

// Kafka's error codes (https://kafka.apache.org/protocol#protocol_error_codes), as
// franz-go's kerr lists them (v1.22.2), named after Kafka's own constants. Code 6 carries
// its current name, NOT_LEADER_OR_FOLLOWER (KIP-392), which kerr still calls
// NOT_LEADER_FOR_PARTITION. Responses carry these codes as int16, so the constants are
// untyped; the domain errors that map onto them are in errmap.go.
const (
	CodeNone                                   int16 = 0   // NONE
	CodeUnknownServerError                     int16 = -1  // UNKNOWN_SERVER_ERROR
	CodeOffsetOutOfRange                       int16 = 1   // OFFSET_OUT_OF_RANGE
	CodeCorruptMessage                         int16 = 2   // CORRUPT_MESSAGE
	CodeUnknownTopicOrPartition                int16 = 3   // UNKNOWN_TOPIC_OR_PARTITION
	CodeInvalidFetchSize                       int16 = 4   // INVALID_FETCH_SIZE
	CodeLeaderNotAvailable                     int16 = 5   // LEADER_NOT_AVAILABLE
	CodeNotLeaderOrFollower                    int16 = 6   // NOT_LEADER_OR_FOLLOWER
	CodeRequestTimedOut                        int16 = 7   // REQUEST_TIMED_OUT
	CodeBrokerNotAvailable                     int16 = 8   // BROKER_NOT_AVAILABLE
	CodeReplicaNotAvailable                    int16 = 9   // REPLICA_NOT_AVAILABLE
	CodeMessageTooLarge                        int16 = 10  // MESSAGE_TOO_LARGE
	CodeStaleControllerEpoch                   int16 = 11  // STALE_CONTROLLER_EPOCH
	CodeOffsetMetadataTooLarge                 int16 = 12  // OFFSET_METADATA_TOO_LARGE
	CodeNetworkException                       int16 = 13  // NETWORK_EXCEPTION
	CodeCoordinatorLoadInProgress              int16 = 14  // COORDINATOR_LOAD_IN_PROGRESS
	CodeCoordinatorNotAvailable                int16 = 15  // COORDINATOR_NOT_AVAILABLE
	CodeNotCoordinator                         int16 = 16  // NOT_COORDINATOR
	CodeInvalidTopicException                  int16 = 17  // INVALID_TOPIC_EXCEPTION
	CodeRecordListTooLarge                     int16 = 18  // RECORD_LIST_TOO_LARGE
	CodeNotEnoughReplicas                      int16 = 19  // NOT_ENOUGH_REPLICAS
	CodeNotEnoughReplicasAfterAppend           int16 = 20  // NOT_ENOUGH_REPLICAS_AFTER_APPEND
	CodeInvalidRequiredAcks                    int16 = 21  // INVALID_REQUIRED_ACKS
	CodeIllegalGeneration                      int16 = 22  // ILLEGAL_GENERATION
	CodeInconsistentGroupProtocol              int16 = 23  // INCONSISTENT_GROUP_PROTOCOL
	CodeInvalidGroupID                         int16 = 24  // INVALID_GROUP_ID
	CodeUnknownMemberID                        int16 = 25  // UNKNOWN_MEMBER_ID
	CodeInvalidSessionTimeout                  int16 = 26  // INVALID_SESSION_TIMEOUT
	CodeRebalanceInProgress                    int16 = 27  // REBALANCE_IN_PROGRESS
	CodeInvalidCommitOffsetSize                int16 = 28  // INVALID_COMMIT_OFFSET_SIZE
	CodeTopicAuthorizationFailed               int16 = 29  // TOPIC_AUTHORIZATION_FAILED
	CodeGroupAuthorizationFailed               int16 = 30  // GROUP_AUTHORIZATION_FAILED
	CodeClusterAuthorizationFailed             int16 = 31  // CLUSTER_AUTHORIZATION_FAILED
	CodeInvalidTimestamp                       int16 = 32  // INVALID_TIMESTAMP
	CodeUnsupportedSaslMechanism               int16 = 33  // UNSUPPORTED_SASL_MECHANISM
	CodeIllegalSaslState                       int16 = 34  // ILLEGAL_SASL_STATE
	CodeUnsupportedVersion                     int16 = 35  // UNSUPPORTED_VERSION
	CodeTopicAlreadyExists                     int16 = 36  // TOPIC_ALREADY_EXISTS
	CodeInvalidPartitions                      int16 = 37  // INVALID_PARTITIONS
	CodeInvalidReplicationFactor               int16 = 38  // INVALID_REPLICATION_FACTOR
	CodeInvalidReplicaAssignment               int16 = 39  // INVALID_REPLICA_ASSIGNMENT
	CodeInvalidConfig                          int16 = 40  // INVALID_CONFIG
	CodeNotController                          int16 = 41  // NOT_CONTROLLER
	CodeInvalidRequest                         int16 = 42  // INVALID_REQUEST
	CodeUnsupportedForMessageFormat            int16 = 43  // UNSUPPORTED_FOR_MESSAGE_FORMAT
	CodePolicyViolation                        int16 = 44  // POLICY_VIOLATION
	CodeOutOfOrderSequenceNumber               int16 = 45  // OUT_OF_ORDER_SEQUENCE_NUMBER
	CodeDuplicateSequenceNumber                int16 = 46  // DUPLICATE_SEQUENCE_NUMBER
	CodeInvalidProducerEpoch                   int16 = 47  // INVALID_PRODUCER_EPOCH
	CodeInvalidTxnState                        int16 = 48  // INVALID_TXN_STATE
	CodeInvalidProducerIDMapping               int16 = 49  // INVALID_PRODUCER_ID_MAPPING
	CodeInvalidTransactionTimeout              int16 = 50  // INVALID_TRANSACTION_TIMEOUT
	CodeConcurrentTransactions                 int16 = 51  // CONCURRENT_TRANSACTIONS
	CodeTransactionCoordinatorFenced           int16 = 52  // TRANSACTION_COORDINATOR_FENCED
	CodeTransactionalIDAuthorizationFailed     int16 = 53  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
	CodeSecurityDisabled                       int16 = 54  // SECURITY_DISABLED
	CodeOperationNotAttempted                  int16 = 55  // OPERATION_NOT_ATTEMPTED
	CodeKafkaStorageError                      int16 = 56  // KAFKA_STORAGE_ERROR
	CodeLogDirNotFound                         int16 = 57  // LOG_DIR_NOT_FOUND
	CodeSaslAuthenticationFailed               int16 = 58  // SASL_AUTHENTICATION_FAILED
	CodeUnknownProducerID                      int16 = 59  // UNKNOWN_PRODUCER_ID
	CodeReassignmentInProgress                 int16 = 60  // REASSIGNMENT_IN_PROGRESS
	CodeDelegationTokenAuthDisabled            int16 = 61  // DELEGATION_TOKEN_AUTH_DISABLED
	CodeDelegationTokenNotFound                int16 = 62  // DELEGATION_TOKEN_NOT_FOUND
	CodeDelegationTokenOwnerMismatch           int16 = 63  // DELEGATION_TOKEN_OWNER_MISMATCH
	CodeDelegationTokenRequestNotAllowed       int16 = 64  // DELEGATION_TOKEN_REQUEST_NOT_ALLOWED
	CodeDelegationTokenAuthorizationFailed     int16 = 65  // DELEGATION_TOKEN_AUTHORIZATION_FAILED
	CodeDelegationTokenExpired                 int16 = 66  // DELEGATION_TOKEN_EXPIRED
	CodeInvalidPrincipalType                   int16 = 67  // INVALID_PRINCIPAL_TYPE
	CodeNonEmptyGroup                          int16 = 68  // NON_EMPTY_GROUP
	CodeGroupIDNotFound                        int16 = 69  // GROUP_ID_NOT_FOUND
	CodeFetchSessionIDNotFound                 int16 = 70  // FETCH_SESSION_ID_NOT_FOUND
	CodeInvalidFetchSessionEpoch               int16 = 71  // INVALID_FETCH_SESSION_EPOCH
	CodeListenerNotFound                       int16 = 72  // LISTENER_NOT_FOUND
	CodeTopicDeletionDisabled                  int16 = 73  // TOPIC_DELETION_DISABLED
	CodeFencedLeaderEpoch                      int16 = 74  // FENCED_LEADER_EPOCH
	CodeUnknownLeaderEpoch                     int16 = 75  // UNKNOWN_LEADER_EPOCH
	CodeUnsupportedCompressionType             int16 = 76  // UNSUPPORTED_COMPRESSION_TYPE
	CodeStaleBrokerEpoch                       int16 = 77  // STALE_BROKER_EPOCH
	CodeOffsetNotAvailable                     int16 = 78  // OFFSET_NOT_AVAILABLE
	CodeMemberIDRequired                       int16 = 79  // MEMBER_ID_REQUIRED
	CodePreferredLeaderNotAvailable            int16 = 80  // PREFERRED_LEADER_NOT_AVAILABLE
	CodeGroupMaxSizeReached                    int16 = 81  // GROUP_MAX_SIZE_REACHED
	CodeFencedInstanceID                       int16 = 82  // FENCED_INSTANCE_ID
	CodeEligibleLeadersNotAvailable            int16 = 83  // ELIGIBLE_LEADERS_NOT_AVAILABLE
	CodeElectionNotNeeded                      int16 = 84  // ELECTION_NOT_NEEDED
	CodeNoReassignmentInProgress               int16 = 85  // NO_REASSIGNMENT_IN_PROGRESS
	CodeGroupSubscribedToTopic                 int16 = 86  // GROUP_SUBSCRIBED_TO_TOPIC
	CodeInvalidRecord                          int16 = 87  // INVALID_RECORD
	CodeUnstableOffsetCommit                   int16 = 88  // UNSTABLE_OFFSET_COMMIT
	CodeThrottlingQuotaExceeded                int16 = 89  // THROTTLING_QUOTA_EXCEEDED
	CodeProducerFenced                         int16 = 90  // PRODUCER_FENCED
	CodeResourceNotFound                       int16 = 91  // RESOURCE_NOT_FOUND
	CodeDuplicateResource                      int16 = 92  // DUPLICATE_RESOURCE
	CodeUnacceptableCredential                 int16 = 93  // UNACCEPTABLE_CREDENTIAL
	CodeInconsistentVoterSet                   int16 = 94  // INCONSISTENT_VOTER_SET
	CodeInvalidUpdateVersion                   int16 = 95  // INVALID_UPDATE_VERSION
	CodeFeatureUpdateFailed                    int16 = 96  // FEATURE_UPDATE_FAILED
	CodePrincipalDeserializationFailure        int16 = 97  // PRINCIPAL_DESERIALIZATION_FAILURE
	CodeSnapshotNotFound                       int16 = 98  // SNAPSHOT_NOT_FOUND
	CodePositionOutOfRange                     int16 = 99  // POSITION_OUT_OF_RANGE
	CodeUnknownTopicID                         int16 = 100 // UNKNOWN_TOPIC_ID
	CodeDuplicateBrokerRegistration            int16 = 101 // DUPLICATE_BROKER_REGISTRATION
	CodeBrokerIDNotRegistered                  int16 = 102 // BROKER_ID_NOT_REGISTERED
	CodeInconsistentTopicID                    int16 = 103 // INCONSISTENT_TOPIC_ID
	CodeInconsistentClusterID                  int16 = 104 // INCONSISTENT_CLUSTER_ID
	CodeTransactionalIDNotFound                int16 = 105 // TRANSACTIONAL_ID_NOT_FOUND
	CodeFetchSessionTopicIDError               int16 = 106 // FETCH_SESSION_TOPIC_ID_ERROR
	CodeIneligibleReplica                      int16 = 107 // INELIGIBLE_REPLICA
	CodeNewLeaderElected                       int16 = 108 // NEW_LEADER_ELECTED
	CodeOffsetMovedToTieredStorage             int16 = 109 // OFFSET_MOVED_TO_TIERED_STORAGE
	CodeFencedMemberEpoch                      int16 = 110 // FENCED_MEMBER_EPOCH
	CodeUnreleasedInstanceID                   int16 = 111 // UNRELEASED_INSTANCE_ID
	CodeUnsupportedAssignor                    int16 = 112 // UNSUPPORTED_ASSIGNOR
	CodeStaleMemberEpoch                       int16 = 113 // STALE_MEMBER_EPOCH
	CodeMismatchedEndpointType                 int16 = 114 // MISMATCHED_ENDPOINT_TYPE
	CodeUnsupportedEndpointType                int16 = 115 // UNSUPPORTED_ENDPOINT_TYPE
	CodeUnknownControllerID                    int16 = 116 // UNKNOWN_CONTROLLER_ID
	CodeUnknownSubscriptionID                  int16 = 117 // UNKNOWN_SUBSCRIPTION_ID
	CodeTelemetryTooLarge                      int16 = 118 // TELEMETRY_TOO_LARGE
	CodeInvalidRegistration                    int16 = 119 // INVALID_REGISTRATION
	CodeTransactionAbortable                   int16 = 120 // TRANSACTION_ABORTABLE
	CodeInvalidRecordState                     int16 = 121 // INVALID_RECORD_STATE
	CodeShareSessionNotFound                   int16 = 122 // SHARE_SESSION_NOT_FOUND
	CodeInvalidShareSessionEpoch               int16 = 123 // INVALID_SHARE_SESSION_EPOCH
	CodeFencedStateEpoch                       int16 = 124 // FENCED_STATE_EPOCH
	CodeInvalidVoterKey                        int16 = 125 // INVALID_VOTER_KEY
	CodeDuplicateVoter                         int16 = 126 // DUPLICATE_VOTER
	CodeVoterNotFound                          int16 = 127 // VOTER_NOT_FOUND
	CodeInvalidRegularExpression               int16 = 128 // INVALID_REGULAR_EXPRESSION
	CodeRebootstrapRequired                    int16 = 129 // REBOOTSTRAP_REQUIRED
	CodeStreamsInvalidTopology                 int16 = 130 // STREAMS_INVALID_TOPOLOGY
	CodeStreamsInvalidTopologyEpoch            int16 = 131 // STREAMS_INVALID_TOPOLOGY_EPOCH
	CodeStreamsTopologyFenced                  int16 = 132 // STREAMS_TOPOLOGY_FENCED
	CodeShareSessionLimitReached               int16 = 133 // SHARE_SESSION_LIMIT_REACHED
	CodeGroupDeletionFailed                    int16 = 134 // GROUP_DELETION_FAILED
	CodeStreamsTopologyDescriptionUpdateFailed int16 = 135 // STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED
	CodeControllerIDNotRegistered              int16 = 136 // CONTROLLER_ID_NOT_REGISTERED
)

// codeInfo describes an error code: its Kafka name, whether Kafka's clients
// retry on it, and Kafka's description.
type codeInfo struct {
	name      string
	retriable bool
	desc      string
}

var codeInfos = map[int16]codeInfo{
	CodeNone:                                   {"NONE", false, ""},
	CodeUnknownServerError:                     {"UNKNOWN_SERVER_ERROR", false, "The server experienced an unexpected error when processing the request."},
	CodeOffsetOutOfRange:                       {"OFFSET_OUT_OF_RANGE", false, "The requested offset is not within the range of offsets maintained by the server."},
	CodeCorruptMessage:                         {"CORRUPT_MESSAGE", true, "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."},
	CodeUnknownTopicOrPartition:                {"UNKNOWN_TOPIC_OR_PARTITION", true, "This server does not host this topic-partition."},
	CodeInvalidFetchSize:                       {"INVALID_FETCH_SIZE", false, "The requested fetch size is invalid."},
	CodeLeaderNotAvailable:                     {"LEADER_NOT_AVAILABLE", true, "There is no leader for this topic-partition as we are in the middle of a leadership election."},
	CodeNotLeaderOrFollower:                    {"NOT_LEADER_OR_FOLLOWER", true, "This server is not the leader for that topic-partition."},
	CodeRequestTimedOut:                        {"REQUEST_TIMED_OUT", true, "The request timed out."},
	CodeBrokerNotAvailable:                     {"BROKER_NOT_AVAILABLE", true, "The broker is not available."},
	CodeReplicaNotAvailable:                    {"REPLICA_NOT_AVAILABLE", true, "The replica is not available for the requested topic-partition."},
	CodeMessageTooLarge:                        {"MESSAGE_TOO_LARGE", false, "The request included a message larger than the max message size the server will accept"},
	CodeStaleControllerEpoch:                   {"STALE_CONTROLLER_EPOCH", false, "The controller moved to another broker."},
	CodeOffsetMetadataTooLarge:                 {"OFFSET_METADATA_TOO_LARGE", false, "The metadata field of the offset request was too large."},
	CodeNetworkException:                       {"NETWORK_EXCEPTION", true, "The server disconnected before a response was received."},
	CodeCoordinatorLoadInProgress:              {"COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is loading and hence can't process requests."},
	CodeCoordinatorNotAvailable:                {"COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available."},
	CodeNotCoordinator:                         {"NOT_COORDINATOR", true, "This is not the correct coordinator."},
	CodeInvalidTopicException:                  {"INVALID_TOPIC_EXCEPTION", false, "The request attempted to perform an operation on an invalid topic."},
	CodeRecordListTooLarge:                     {"RECORD_LIST_TOO_LARGE", false, "The request included message batch larger than the configured segment size on the server."},
	CodeNotEnoughReplicas:                      {"NOT_ENOUGH_REPLICAS", true, "Messages are rejected since there are fewer in-sync replicas than required."},
	CodeNotEnoughReplicasAfterAppend:           {"NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "Messages are written to the log, but to fewer in-sync replicas than required."},
	CodeInvalidRequiredAcks:                    {"INVALID_REQUIRED_ACKS", false, "Produce request specified an invalid value for required acks."},
	CodeIllegalGeneration:                      {"ILLEGAL_GENERATION", false, "Specified group generation id is not valid."},
	CodeInconsistentGroupProtocol:              {"INCONSISTENT_GROUP_PROTOCOL", false, "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list."},
	CodeInvalidGroupID:                         {"INVALID_GROUP_ID", false, "The configured groupID is invalid."},
	CodeUnknownMemberID:                        {"UNKNOWN_MEMBER_ID", false, "The coordinator is not aware of this member."},
	CodeInvalidSessionTimeout:                  {"INVALID_SESSION_TIMEOUT", false, "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."},
	CodeRebalanceInProgress:                    {"REBALANCE_IN_PROGRESS", false, "The group is rebalancing, so a rejoin is needed."},
	CodeInvalidCommitOffsetSize:                {"INVALID_COMMIT_OFFSET_SIZE", false, "The committing offset data size is not valid."},
	CodeTopicAuthorizationFailed:               {"TOPIC_AUTHORIZATION_FAILED", false, "Not authorized to access topics: [Topic authorization failed.]"},
	CodeGroupAuthorizationFailed:               {"GROUP_AUTHORIZATION_FAILED", false, "Not authorized to access group: Group authorization failed."},
	CodeClusterAuthorizationFailed:             {"CLUSTER_AUTHORIZATION_FAILED", false, "Cluster authorization failed."},
	CodeInvalidTimestamp:                       {"INVALID_TIMESTAMP", false, "The timestamp of the message is out of acceptable range."},
	CodeUnsupportedSaslMechanism:               {"UNSUPPORTED_SASL_MECHANISM", false, "The broker does not support the requested SASL mechanism."},
	CodeIllegalSaslState:                       {"ILLEGAL_SASL_STATE", false, "Request is not valid given the current SASL state."},
	CodeUnsupportedVersion:                     {"UNSUPPORTED_VERSION", false, "The version of API is not supported."},
	CodeTopicAlreadyExists:                     {"TOPIC_ALREADY_EXISTS", false, "Topic with this name already exists."},
	CodeInvalidPartitions:                      {"INVALID_PARTITIONS", false, "Number of partitions is below 1."},
	CodeInvalidReplicationFactor:               {"INVALID_REPLICATION_FACTOR", false, "Replication factor is below 1 or larger than the number of available brokers."},
	CodeInvalidReplicaAssignment:               {"INVALID_REPLICA_ASSIGNMENT", false, "Replica assignment is invalid."},
	CodeInvalidConfig:                          {"INVALID_CONFIG", false, "Configuration is invalid."},
	CodeNotController:                          {"NOT_CONTROLLER", true, "This is not the correct controller for this cluster."},
	CodeInvalidRequest:                         {"INVALID_REQUEST", false, "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."},
	CodeUnsupportedForMessageFormat:            {"UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The message format version on the broker does not support the request."},
	CodePolicyViolation:                        {"POLICY_VIOLATION", false, "Request parameters do not satisfy the configured policy."},
	CodeOutOfOrderSequenceNumber:               {"OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The broker received an out of order sequence number."},
	CodeDuplicateSequenceNumber:                {"DUPLICATE_SEQUENCE_NUMBER", false, "The broker received a duplicate sequence number."},
	CodeInvalidProducerEpoch:                   {"INVALID_PRODUCER_EPOCH", false, "Producer attempted an operation with an old epoch."},
	CodeInvalidTxnState:                        {"INVALID_TXN_STATE", false, "The producer attempted a transactional operation in an invalid state."},
	CodeInvalidProducerIDMapping:               {"INVALID_PRODUCER_ID_MAPPING", false, "The producer attempted to use a producer id which is not currently assigned to its transactional id."},
	CodeInvalidTransactionTimeout:              {"INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)."},
	CodeConcurrentTransactions:                 {"CONCURRENT_TRANSACTIONS", false, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."},
	CodeTransactionCoordinatorFenced:           {"TRANSACTION_COORDINATOR_FENCED", false, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."},
	CodeTransactionalIDAuthorizationFailed:     {"TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "Transactional ID authorization failed."},
	CodeSecurityDisabled:                       {"SECURITY_DISABLED", false, "Security features are disabled."},
	CodeOperationNotAttempted:                  {"OPERATION_NOT_ATTEMPTED", false, "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest."},
	CodeKafkaStorageError:                      {"KAFKA_STORAGE_ERROR", true, "Disk error when trying to access log file on the disk."},
	CodeLogDirNotFound:                         {"LOG_DIR_NOT_FOUND", false, "The user-specified log directory is not found in the broker config."},
	CodeSaslAuthenticationFailed:               {"SASL_AUTHENTICATION_FAILED", false, "SASL Authentication failed."},
	CodeUnknownProducerID:                      {"UNKNOWN_PRODUCER_ID", false, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerID in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerID are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception."},
	CodeReassignmentInProgress:                 {"REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is in progress."},
	CodeDelegationTokenAuthDisabled:            {"DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation Token feature is not enabled."},
	CodeDelegationTokenNotFound:                {"DELEGATION_TOKEN_NOT_FOUND", false, "Delegation Token is not found on server."},
	CodeDelegationTokenOwnerMismatch:           {"DELEGATION_TOKEN_OWNER_MISMATCH", false, "Specified Principal is not valid Owner/Renewer."},
	CodeDelegationTokenRequestNotAllowed:       {"DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."},
	CodeDelegationTokenAuthorizationFailed:     {"DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "Delegation Token authorization failed."},
	CodeDelegationTokenExpired:                 {"DELEGATION_TOKEN_EXPIRED", false, "Delegation Token is expired."},
	CodeInvalidPrincipalType:                   {"INVALID_PRINCIPAL_TYPE", false, "Supplied principalType is not supported."},
	CodeNonEmptyGroup:                          {"NON_EMPTY_GROUP", false, "The group is not empty."},
	CodeGroupIDNotFound:                        {"GROUP_ID_NOT_FOUND", false, "The group id does not exist."},
	CodeFetchSessionIDNotFound:                 {"FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session ID was not found."},
	CodeInvalidFetchSessionEpoch:               {"INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch is invalid."},
	CodeListenerNotFound:                       {"LISTENER_NOT_FOUND", true, "There is no listener on the leader broker that matches the listener on which metadata request was processed."},
	CodeTopicDeletionDisabled:                  {"TOPIC_DELETION_DISABLED", false, "Topic deletion is disabled."},
	CodeFencedLeaderEpoch:                      {"FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the epoch on the broker"},
	CodeUnknownLeaderEpoch:                     {"UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the epoch on the broker"},
	CodeUnsupportedCompressionType:             {"UNSUPPORTED_COMPRESSION_TYPE", false, "The requesting client does not support the compression type of given partition."},
	CodeStaleBrokerEpoch:                       {"STALE_BROKER_EPOCH", false, "Broker epoch has changed"},
	CodeOffsetNotAvailable:                     {"OFFSET_NOT_AVAILABLE", true, "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing"},
	CodeMemberIDRequired:                       {"MEMBER_ID_REQUIRED", false, "The group member needs to have a valid member id before actually entering a consumer group"},
	CodePreferredLeaderNotAvailable:            {"PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred leader was not available"},
	CodeGroupMaxSizeReached:                    {"GROUP_MAX_SIZE_REACHED", false, "The consumer group has reached its max size"},
	CodeFencedInstanceID:                       {"FENCED_INSTANCE_ID", false, "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."},
	CodeEligibleLeadersNotAvailable:            {"ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "Eligible topic partition leaders are not available"},
	CodeElectionNotNeeded:                      {"ELECTION_NOT_NEEDED", true, "Leader election not needed for topic partition"},
	CodeNoReassignmentInProgress:               {"NO_REASSIGNMENT_IN_PROGRESS", false, "No partition reassignment is in progress."},
	CodeGroupSubscribedToTopic:                 {"GROUP_SUBSCRIBED_TO_TOPIC", false, "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."},
	CodeInvalidRecord:                          {"INVALID_RECORD", false, "This record has failed the validation on the broker and hence been rejected."},
	CodeUnstableOffsetCommit:                   {"UNSTABLE_OFFSET_COMMIT", true, "There are unstable offsets that need to be cleared."},
	CodeThrottlingQuotaExceeded:                {"THROTTLING_QUOTA_EXCEEDED", true, "The throttling quota has been exceeded."},
	CodeProducerFenced:                         {"PRODUCER_FENCED", false, "There is a newer producer with the same transactionalId which fences the current one."},
	CodeResourceNotFound:                       {"RESOURCE_NOT_FOUND", false, "A request illegally referred to a resource that does not exist."},
	CodeDuplicateResource:                      {"DUPLICATE_RESOURCE", false, "A request illegally referred to the same resource twice."},
	CodeUnacceptableCredential:                 {"UNACCEPTABLE_CREDENTIAL", false, "Requested credential would not meet criteria for acceptability."},
	CodeInconsistentVoterSet:                   {"INCONSISTENT_VOTER_SET", false, "Indicates that either the sender or recipient of a voter-only request is not one of the expected voters."},
	CodeInvalidUpdateVersion:                   {"INVALID_UPDATE_VERSION", false, "The given update version was invalid."},
	CodeFeatureUpdateFailed:                    {"FEATURE_UPDATE_FAILED", false, "Unable to update finalized features due to an unexpected server error."},
	CodePrincipalDeserializationFailure:        {"PRINCIPAL_DESERIALIZATION_FAILURE", false, "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup."},
	CodeSnapshotNotFound:                       {"SNAPSHOT_NOT_FOUND", false, "Requested snapshot was not found."},
	CodePositionOutOfRange:                     {"POSITION_OUT_OF_RANGE", false, "Requested position is not greater than or equal to zero, and less than the size of the snapshot."},
	CodeUnknownTopicID:                         {"UNKNOWN_TOPIC_ID", true, "This server does not host this topic ID."},
	CodeDuplicateBrokerRegistration:            {"DUPLICATE_BROKER_REGISTRATION", false, "This broker ID is already in use."},
	CodeBrokerIDNotRegistered:                  {"BROKER_ID_NOT_REGISTERED", false, "The given broker ID was not registered."},
	CodeInconsistentTopicID:                    {"INCONSISTENT_TOPIC_ID", true, "The log's topic ID did not match the topic ID in the request."},
	CodeInconsistentClusterID:                  {"INCONSISTENT_CLUSTER_ID", false, "The clusterId in the request does not match that found on the server."},
	CodeTransactionalIDNotFound:                {"TRANSACTIONAL_ID_NOT_FOUND", false, "The transactionalId could not be found."},
	CodeFetchSessionTopicIDError:               {"FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session encountered inconsistent topic ID usage."},
	CodeIneligibleReplica:                      {"INELIGIBLE_REPLICA", false, "The new ISR contains at least one ineligible replica."},
	CodeNewLeaderElected:                       {"NEW_LEADER_ELECTED", false, "The AlterPartition request successfully updated the partition state but the leader has changed."},
	CodeOffsetMovedToTieredStorage:             {"OFFSET_MOVED_TO_TIERED_STORAGE", false, "The requested offset is moved to tiered storage."},
	CodeFencedMemberEpoch:                      {"FENCED_MEMBER_EPOCH", false, "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin."},
	CodeUnreleasedInstanceID:                   {"UNRELEASED_INSTANCE_ID", false, "The instance ID is still used by another member in the consumer group. That member must leave first."},
	CodeUnsupportedAssignor:                    {"UNSUPPORTED_ASSIGNOR", false, "The assignor or its version range is not supported by the consumer group."},
	CodeStaleMemberEpoch:                       {"STALE_MEMBER_EPOCH", false, "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API."},
	CodeMismatchedEndpointType:                 {"MISMATCHED_ENDPOINT_TYPE", false, "The request was sent to an endpoint of the wrong type."},
	CodeUnsupportedEndpointType:                {"UNSUPPORTED_ENDPOINT_TYPE", false, "This endpoint type is not supported yet."},
	CodeUnknownControllerID:                    {"UNKNOWN_CONTROLLER_ID", false, "This controller ID is not known"},
	CodeUnknownSubscriptionID:                  {"UNKNOWN_SUBSCRIPTION_ID", false, "Client sent a push telemetry request with an invalid or outdated subscription ID."},
	CodeTelemetryTooLarge:                      {"TELEMETRY_TOO_LARGE", false, "Client sent a push telemetry request larger than the maximum size the broker will accept."},
	CodeInvalidRegistration:                    {"INVALID_REGISTRATION", false, "The controller has considered the broker registration to be invalid."},
	CodeTransactionAbortable:                   {"TRANSACTION_ABORTABLE", false, "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID."},
	CodeInvalidRecordState:                     {"INVALID_RECORD_STATE", false, "The record state is invalid. The acknowledgement of delivery could not be completed."},
	CodeShareSessionNotFound:                   {"SHARE_SESSION_NOT_FOUND", false, "The share session was not found."},
	CodeInvalidShareSessionEpoch:               {"INVALID_SHARE_SESSION_EPOCH", false, "The share session epoch is invalid."},
	CodeFencedStateEpoch:                       {"FENCED_STATE_EPOCH", false, "The coordinator rejected the request because the state epoch did not match."},
	CodeInvalidVoterKey:                        {"INVALID_VOTER_KEY", false, "The voter key doesn't match the receiving replica's key."},
	CodeDuplicateVoter:                         {"DUPLICATE_VOTER", false, "The voter is already part of the set of voters."},
	CodeVoterNotFound:                          {"VOTER_NOT_FOUND", false, "The voter is not part of the set of voters."},
	CodeInvalidRegularExpression:               {"INVALID_REGULAR_EXPRESSION", false, "The regular expression is not valid."},
	CodeRebootstrapRequired:                    {"REBOOTSTRAP_REQUIRED", false, "Client metadata is stale. The client should rebootstrap to obtain new metadata."},
	CodeStreamsInvalidTopology:                 {"STREAMS_INVALID_TOPOLOGY", false, "The supplied topology is invalid."},
	CodeStreamsInvalidTopologyEpoch:            {"STREAMS_INVALID_TOPOLOGY_EPOCH", false, "The supplied topology epoch is invalid."},
	CodeStreamsTopologyFenced:                  {"STREAMS_TOPOLOGY_FENCED", false, "The supplied topology epoch is outdated."},
	CodeShareSessionLimitReached:               {"SHARE_SESSION_LIMIT_REACHED", true, "The limit of share sessions has been reached."},
	CodeGroupDeletionFailed:                    {"GROUP_DELETION_FAILED", false, "DeleteGroups could not complete; see the error message on the per-group result for details."},
	CodeStreamsTopologyDescriptionUpdateFailed: {"STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false, "The broker could not process the topology description update; see the error message for details."},
	CodeControllerIDNotRegistered:              {"CONTROLLER_ID_NOT_REGISTERED", false, "The given controller ID was not registered."},
}

// CodeName returns Kafka's name for an error code ("UNKNOWN_TOPIC_OR_PARTITION"),
// or "UNKNOWN_ERROR_CODE(n)" for a code Kafka does not define.
func CodeName(code int16) string {
	if ci, ok := codeInfos[code]; ok {
		return ci.name
	}
	return "UNKNOWN_ERROR_CODE(" + strconv.Itoa(int(code)) + ")"
}

// CodeRetriable reports whether Kafka's clients retry a request that failed
// with code.
func CodeRetriable(code int16) bool { return codeInfos[code].retriable }

// CodeDescription is Kafka's description of an error code ("" if unknown).
func CodeDescription(code int16) string { return codeInfos[code].desc }

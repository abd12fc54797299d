// Package producer is the idempotent-producer state of one queue partition:
// a pure state machine, fed by the partition's log in order, that decides
// whether a batch from an idempotent producer is appended, answered as a
// duplicate, or rejected. It follows Kafka 3.x's ProducerStateManager and
// ProducerAppendInfo.
//
// # Contract
//
// For each batch with a producer id (>= 0) that passes the batch package's
// checks, in log order, the partition's apply step calls Check. On Append it
// appends the batch at the next offset and calls Record with that offset,
// the batch's max timestamp and the log entry's time. On Duplicate it
// appends nothing and answers with the cached batch's offsets. Otherwise it
// rejects the batch with Result.Err. Since the state and the inputs come
// from the log only, the leader (deciding, for acks=1, before commit) and
// every replica (re-deciding on apply) agree. Snapshot and Restore carry
// the state across raft snapshots; Expire, called with log-entry time,
// forgets idle producers identically everywhere.
//
// # Rules (Kafka's, in Kafka's order)
//
//  1. Duplicate: the producer's epoch equals the batch's and one of its
//     last WindowSize (5) batches has the same first and last sequence.
//  2. InvalidProducerEpoch (47): the batch's epoch is older than the
//     producer's.
//  3. A newer epoch must start at sequence 0, else OutOfOrderSequence (45);
//     appending it clears the cached batches.
//  4. Same epoch: the first sequence must follow the last appended one
//     (last+1, or 0 after math.MaxInt32), else OutOfOrderSequence (45).
//     A batch's last sequence is its first plus recordCount-1, wrapping.
//  5. A producer with no state here is accepted at any sequence, as Kafka
//     brokers since 2.5 (KIP-360) do: its state may be gone through
//     retention or expiry. Config.RejectUnknown restores the older answer,
//     UnknownProducerID (59), for a first sequence other than 0.
//
// Differences from Kafka: expiry uses the log entry's time of the
// producer's last append rather than the batch's client-set max timestamp,
// so a producer's clock can neither keep its state alive forever nor get it
// expired at once. Transactions (markers, ongoing-transaction offsets) are
// not modelled.
package producer

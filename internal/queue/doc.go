// Package queue is Triad's Kafka-compatible queue service: topics of
// partitions, each partition a raft group on the node's multi-raft host
// whose retained log is the partition's data (package partition), the
// topic catalog in the coordination store, producer IDs, retention. The
// Kafka front-end (internal/kafka) calls it in the vocabulary of api.go;
// internal/server wires it to the host and the catalog.
//
// # Catalog
//
// Topics live in the coordination store (Catalog; internal/server keeps
// them under /triad/queue/topics/<name>) as JSON:
//
//	{"name": "orders",
//	 "partitions": [{"group": 1000, "replicas": [<raft node id>…]}, …],
//	 "configs": {"retention.ms": "86400000"}}
//
// A partition's raft group ID and its replicas are fixed when it is
// created; IDs come from counters in the store (/triad/queue/ids/group,
// /triad/queue/ids/producer, compare-and-swap, in blocks for producer
// IDs). On start a node loads every topic and starts the groups of the
// partitions it holds (requests wait for the load); a group whose only
// voter is this node campaigns at once.
//
// # Produce and durability
//
// A produce reaches the partition's leader, which validates the batch
// (CRC, size, codec, producer sequence), stamps its offset and proposes
// it. acks=all is answered once the entry is committed — on a quorum's
// disks: raft voters fsync before acknowledging — and applied: nothing
// so acknowledged can be lost to a crash of a minority of the replicas
// (with one node, to nothing but the disk). acks=1 is answered once the
// entry is fsynced on the leader (raft.GroupConfig.Persisted), as Kafka's
// leader append: a failover before it commits can lose it. acks=0 is not
// answered.
// min.insync.replicas counts the voters the leader heard from within an
// election timeout and refuses acks=all produces below it.
//
// # Reads
//
// Fetch, ListOffsets and OffsetForLeaderEpoch are served by the leader
// (a follower answers NOT_LEADER_OR_FOLLOWER), up to the high watermark,
// which is the partition's applied, hence committed, log end. Fetch
// long-polls on the partitions' change signals until min_bytes or
// max_wait. The batches a fetch returns are not read: they are regions of
// the raft log's segment files (storage.Regions, pinned open until the
// response is written), and the Kafka front-end hands them to the socket
// with sendfile(2); regions under 16 KiB are gathered with one pread per
// run of neighbours instead, which costs fewer system calls. Nothing is
// checksummed on the way out (Kafka does not either): the client checks
// each batch's CRC.
//
// # Retention
//
// Every RetentionCheck the leader of each partition computes the log
// start that retention.ms and retention.bytes ask for and logs it; every
// replica applies it and lets its raft log drop whole segments below.
//
// # Clusters
//
// Replicas are placed over the coordination cluster's voting members when
// a topic is created. Each node publishes its broker id and Kafka address
// (/triad/queue/brokers/<node>), each partition leader its leadership
// (/triad/queue/leaders/<group>), and every node follows the catalog
// through a watch: it starts its replicas of topics created elsewhere,
// removes deleted ones, and answers Metadata with every partition's
// leader. Catalog writes go through the etcd front-end in-process, so a
// follower's are forwarded to the coordination leader.
//
// # Consumer groups
//
// Groups' state and committed offsets are records of __consumer_offsets
// (Kafka's key and value formats), a topic whose partitions are raft
// groups like any other; a group's coordinator is the leader of partition
// abs(hash(group)) mod 10 (groups.go). On becoming leader of an offsets
// partition a node reads it from the start into its coordinator (requests
// meanwhile get COORDINATOR_LOAD_IN_PROGRESS); on losing it, it unloads
// those groups.
//
// # Compaction
//
// cleanup.policy=compact: every RetentionCheck each replica rewrites the
// sealed segments of its log that lie below its latest snapshot
// (partition.Compact, storage.Log.Rewrite), keeping each key's latest
// record at its offset; batches keep their base offset and last offset
// delta, and one whose records all go stays empty (KAFKA-5443). Records
// without a key stay. A tombstone (null value) that is its key's latest
// record goes once its timestamp is older than delete.retention.ms
// (default 24 h), and the key with it. Segments are rewritten oldest
// first, so a crash midway never leaves a key's older value without the
// tombstone that hid it. Replicas compact on their own schedules; the
// latest value of every key is the same everywhere.
//
// # Not yet
//
// Transactions, moving replicas off a node that is gone for good,
// fetch sessions, and one
// log shared by a node's partitions (each partition fsyncs its own files,
// so a cycle with many busy partitions costs as many fsyncs).
package queue

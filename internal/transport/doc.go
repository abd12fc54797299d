// Package transport carries raft messages between Triad nodes for the
// multi-raft host (ARCHITECTURE.md, decision 2): messages are addressed to
// (node, group), batched per destination, and snapshots are streamed on
// connections of their own. Package memnet is an in-memory fake with the
// same interface, for in-process cluster tests.
//
// # Delivery contract
//
//   - Send never blocks the caller: it appends to the destination's
//     bounded queue (Config.QueueSize envelopes) and returns. One goroutine
//     per peer drains everything queued into one write.
//   - At most once: a message is delivered once or not at all. Nothing is
//     retransmitted; raft retries on its own.
//   - Ordered per connection: messages from one node to another arrive in
//     the order Send was called, except across a reconnect, where messages
//     in flight may be lost.
//   - Lossy under pressure: a full queue, a failed dial, a peer in its
//     reconnect backoff, a broken connection or a message larger than
//     MaxFrameSize drops messages, and each (node, group) that lost
//     messages is reported through Reporter.Unreachable so the host can
//     call RawNode.ReportUnreachable. Reporter methods run on one transport
//     goroutine, never inside Send, never concurrently.
//   - Snapshots: SendSnapshot streams the MsgSnap (whose Snapshot.Data is
//     the host's descriptor) and then the body in chunks, on a new
//     connection, so a large snapshot never delays heartbeats. The sender
//     learns the receiver's HandleSnapshot result through
//     Reporter.SnapshotStatus (for RawNode.ReportSnapshot).
//
// # Connections
//
// Each direction of a peer pair has its own connection: node A dials B to
// send to B, and B dials A to send to A. A message connection is written
// only by its dialer after the handshake (the dialer reads it only to
// notice a hang-up). Messages are accepted from any node of the cluster,
// known as a peer or not. When a node dials again, the receiver closes its
// older inbound message connection from that node. Each snapshot uses its
// own connection, closed after the receiver's answer.
//
// Reconnects back off exponentially from MinBackoff (20ms) to MaxBackoff
// (1s), each delay jittered into [d/2, d), reset by a successful
// handshake. Dials happen only when there is something to send.
//
// TLS: with Config.ServerTLS every accepted connection is TLS (mutual when
// ClientAuth requires client certificates); Config.ClientTLS dials with
// TLS. Frames run inside the TLS stream unchanged.
//
// # Frame format
//
// Everything on a connection is a frame; integers are big-endian:
//
//	type    u8       one of the frame types below
//	length  u32      payload length, at most Config.MaxFrameSize (default 64 MiB)
//	payload length bytes
//	crc     u32      CRC-32C (Castagnoli) of type, length and payload
//
// A frame that is too large (refused before allocating), fails its
// checksum, has an unexpected type or a malformed payload closes that
// connection only; the peer redials.
//
// Frame types and payloads:
//
//	'H' hello        (dialer, first frame, exactly 32 bytes) magic "TRDT",
//	                 version u16 (1), kind u8 (1 messages, 2 snapshot),
//	                 reserved u8, cluster ID u64, from-node ID u64,
//	                 to-node ID u64
//	'A' hello ack    (acceptor) status u8 (0 accepted, 1 refused), then
//	                 the reason as text. The acceptor refuses a different
//	                 cluster ID or a to-node ID that is not its own, logs
//	                 the reason and closes; a bad magic or version is
//	                 logged and closed without an answer.
//	'M' batch        records back to back: group uvarint, length uvarint,
//	                 raftpb.Message (protobuf) of that length
//	'S' snapshot     one record as in a batch: the MsgSnap
//	'C' chunk        the next bytes of the snapshot body (up to
//	                 SnapshotChunkSize, default 1 MiB)
//	'E' end          total body bytes u64, checked by the receiver
//	'R' snapshot ack (receiver, after HandleSnapshot returns) status u8,
//	                 then the handler's error as text
//
// A message connection is hello, ack, then batches. A snapshot connection
// is hello, ack, 'S', any number of 'C', 'E', then the receiver's 'R'.
//
// # Concurrency
//
// Lock order: notifier.mu before TCP.mu; peer.mu is never held with
// either. Every goroutine is started through TCP.spawn (or by a tracked
// goroutine) and counted in TCP.wg, which Close waits for after closing
// listeners and connections and stopping the peers.
package transport

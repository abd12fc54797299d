// Package etcdapi serves etcd's v3 gRPC API (go.etcd.io/etcd/api/v3
// etcdserverpb) over a Backend — the coordination service — so that
// etcdctl and clientv3 (with its concurrency package) work unchanged. It is
// a thin adapter (ARCHITECTURE.md, decision 5): decode, call the Backend,
// map the error in one table (errors.go). Behaviour follows etcd 3.5.
//
// # What is served
//
//   - KV: Range, Put, DeleteRange, Txn, Compact.
//   - Watch: the bidirectional stream, served from this node's applied
//     state (never forwarded).
//   - Lease: LeaseGrant, LeaseRevoke, LeaseTimeToLive, LeaseLeases and the
//     LeaseKeepAlive stream. An unknown lease's time-to-live is TTL -1 and
//     its keep-alive TTL 0, as etcd answers, not errors.
//   - Cluster: MemberList (honouring linearizable), MemberAdd, MemberRemove,
//     MemberUpdate, MemberPromote.
//   - Maintenance: Status; Alarm GET answers an empty list and DEACTIVATE
//     succeeds (Triad raises no alarms), ACTIVATE is Unimplemented;
//     Defragment succeeds and does nothing (there is no database file to
//     defragment, and routine defrag scripts keep working). Hash, HashKV,
//     Snapshot, MoveLeader and Downgrade answer codes.Unimplemented,
//     "etcdserver: <name> is not supported by triad".
//   - Auth: Triad's etcd API has no authentication yet. AuthStatus says
//     disabled, AuthDisable is a no-op success (as in etcd), and every
//     other Auth call, Authenticate included, answers etcd's
//     "authentication is not enabled". Anyone who can reach the port can
//     read and write everything.
//   - grpc.health.v1 reports SERVING for "" (as etcd), NOT_SERVING once
//     stopping.
//
// Every response carries a full header: what the Backend gave is completed
// from Backend.Header() (cluster ID, member ID, raft term; the revision
// only if the Backend gave none). Nested txn responses keep their empty
// headers, as etcd's.
//
// # Errors
//
// toStatus is the one translation from Backend errors to gRPC statuses:
// coord's sentinels and the context errors map to rpctypes' ErrGRPC*
// values (errTable); a status error (from a forwarded call) passes
// through; an error whose text is one of etcd's server texts gets that
// status (so coord sentinels added later with etcd's texts map without a
// change here); anything else is codes.Unknown with its text.
//
// # Forwarding
//
// When the Backend answers *coord.NotLeaderError naming a leader with
// client URLs, the same RPC is sent to the first of those URLs over gRPC
// (one lazily dialed connection per URL, closed on Stop), with the
// caller's context (so its deadline) and the metadata "triad-forwarded:
// <hops>". A forwarded request that meets NotLeaderError again (leadership
// just moved) is passed on once more; after two hops, or on a
// NotLeaderError without a leader, it answers ErrGRPCNoLeader
// (codes.Unavailable), which clientv3 retries where that is safe. This
// applies to every unary call whose Backend method may say so — writes,
// lease calls and membership changes by the Backend's contract. A
// keep-alive is forwarded on a leader stream opened for that one request
// (see forwardKeepAlive). Only http:// URLs are forwarded to until the etcd
// API has TLS.
//
// # Limits
//
// A Put, DeleteRange or writing Txn whose encoded size exceeds
// Config.MaxRequestBytes (default 1.5 MiB, etcd's --max-request-bytes)
// answers ErrGRPCRequestTooLarge before reaching the Backend; gRPC itself
// accepts messages up to that plus 512 KiB, and sends any size. Txn
// operation counts are checked by the Backend (ErrTooManyOps). Clients may
// ping no more often than every 5 s (keep-alive enforcement, streams or
// not); the server pings idle connections every 2 h, with a 20 s timeout.
//
// # Watch streams
//
// Requests on a stream are handled in order. A create request without a
// watch ID gets the lowest free ID of the stream, counting from 0; a
// client-chosen ID already in use, a negative start revision (reason:
// compacted) or an empty range answers Created and Canceled with watch ID
// -1 and the reason, as etcd does. Created is sent before any event of the
// watcher; each coord.WatchResponse is then sent as it arrives on the
// watcher's channel (one goroutine per watcher; sends on a stream are
// serialized), its header's revision being the response's revision. A
// compaction cancel carries CompactRevision and no reason, as etcd's. A
// cancel request is answered Canceled after the watcher's last response;
// an unknown ID gets no answer. A WatchProgressRequest is answered, as in
// etcd 3.5, by one response with watch ID -1 at a revision every watcher
// on the stream has delivered everything up to, once all have caught up;
// a stream without watchers gets nothing. (A watcher that was catching up
// when asked is asked again after each batch it delivers; one whose
// catch-up turns out to hold no events for it answers only when asked
// again.) Progress notifications the Backend sends by itself
// (progress_notify) carry the watcher's own ID. The fragment flag is
// ignored: responses are never fragmented (the send limit is 2 GiB).
// All watchers of a stream end with it. A client that half-closes keeps its
// watches until it cancels the stream, as in etcd.
//
// # Shutdown
//
// Stop and GracefulStop first end the watch and keep-alive streams (with
// "server stopped", which clientv3 retries elsewhere), which a graceful
// stop would otherwise wait for forever, then stop gRPC and close the
// leader connections. GracefulStop still waits for a watch forwarder
// blocked on a client that stopped reading; Stop does not.
//
// # Concurrency
//
// In a watch stream, watchStream.mu guards the watchers and the progress
// round, and sendMu serializes sends; mu is never held while sending or
// while calling into the Backend's watchers, so there is no lock order to
// keep.
package etcdapi

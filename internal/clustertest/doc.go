// Package clustertest runs in-process Triad clusters for tests: N complete
// nodes (server.Node with every service and real client listeners on
// loopback port 0), each with its own data directory, joined by the
// in-memory peer network of transport/memnet so that a test can isolate a
// node, cut one link, heal, stop a node and restart it from its data.
//
// The tests in this package drive the clusters with real clients (clientv3
// and its concurrency recipes) while faults happen, then check:
//
//   - linearizability of the recorded history with porcupine, partitioned
//     by key and bounded in time (History, KVModel): a put whose outcome
//     the client could not learn may have happened at any later point;
//   - that nodes restart from their own data with every acknowledged write;
//   - for the etcd lock recipe, replaying the server's history revision by
//     revision, that every write fenced with the lock key's create revision
//     (the fencing token) landed while that key held the lock, and that a
//     holder that stalled past its lease is refused when it writes with its
//     stale token.
//
// Failover timing (a new leader within 2 s) is measured by the end-to-end
// run and the benchmark, not asserted here: these tests run under -race on
// shared machines.
package clustertest

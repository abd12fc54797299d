// Package benchcoord is the load generator behind `make bench-coord`: it
// drives any etcd v3 endpoint (etcd itself or Triad's etcd API) with the
// real client, go.etcd.io/etcd/client/v3 and its concurrency package, so
// that both systems are measured by the same code, one row at a time.
//
// Every row is a closed loop: a fixed set of workers issue one request
// after another for Config.Warmup (not counted) and then Config.Duration
// (counted). A row reports operations per second over the counted window
// and the p50 and p99 of the per-operation latency, computed from every
// sample sorted (no histogram approximation). The rows (see Rows):
//
//	put-1      one client, sequential 256-byte Puts on keys spread over Config.Keyspace
//	put-100    Config.Conns clients × Config.PerConn goroutines doing the same
//	get-lin    linearizable Gets of Config.ReadKeys keys written before the row
//	get-ser    the same Gets with clientv3.WithSerializable()
//	keepalive  KeepAliveOnce in a loop, one lease per goroutine
//	watch      a prefix watcher on one connection, a writer putting at
//	           Config.WatchRate/s with its send time in the value; latency is
//	           receive − send (so it includes the Put's own commit)
//	lock       Config.LockWorkers sessions contending for one
//	           concurrency.Mutex; ops are handoffs, latency is the wait in Lock
//
// Connections are spread over the endpoints round-robin (connection i talks
// to endpoint i mod n only), so a three-node cluster gets load on every
// node and followers forward writes as they would in production.
package benchcoord

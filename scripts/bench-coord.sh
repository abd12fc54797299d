#!/usr/bin/env bash
# bench-coord.sh: Triad's coordination service against etcd, side by side, with triad-bench coord.
#
# Both systems are driven by the same load generator (internal/benchcoord, on etcd's own client
# library): sequential and concurrent puts, linearizable and serializable gets, lease keep-alives,
# watch event latency and contended lock handoffs. Both fsync before acknowledging a write (etcd by
# default, Triad always). For each topology (1 node, then 3 nodes) etcd runs every row, then Triad
# does — never both at once — each cluster on free loopback ports with fresh data dirs, wiped after.
# The table at the end gives ops/s and p99 for each, the ratio Triad/etcd and the targets.
#
# Environment (defaults in brackets):
#   DURATION [10s]         counted time per row (a Go duration: 2s, 500ms)
#   WARMUP [1s]            warm-up per row before counting
#   ROWS ["put-1 put-100 get-lin get-ser keepalive watch lock"]  rows to run (spaces or commas)
#   TOPOLOGIES ["1 3"]     cluster sizes
#   SYSTEMS ["etcd triad"] systems, in the order they run within a topology
#   TRIAD_BIN [bin/triad], BENCH_BIN [bin/triad-bench, built here], ETCD_BIN [etcd],
#   ETCDCTL_BIN [etcdctl]: the executables
#   TRIAD_FLAGS, ETCD_FLAGS  extra flags for every node
#   OUT: also write the final table to this file
#   KEEP_WORK=1            keep the temp dir (data dirs, logs, JSON results)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib-servers.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
ROWS=${ROWS:-"put-1 put-100 get-lin get-ser keepalive watch lock"}
TOPOLOGIES=${TOPOLOGIES:-"1 3"}
SYSTEMS=${SYSTEMS:-"etcd triad"}
BENCH_BIN=${BENCH_BIN:-$ROOT/bin/triad-bench}
ETCD_BIN=${ETCD_BIN:-etcd}
ETCDCTL_BIN=${ETCDCTL_BIN:-etcdctl}
export ETCDCTL_API=3

ROWS_CSV=$(tr -s ' ,' ',' <<<"$ROWS" | sed 's/^,//; s/,$//')
for sys in $SYSTEMS; do
	case $sys in
	etcd) need_bin "$ETCD_BIN" "apt-get install etcd-server, or set ETCD_BIN" ;;
	triad) need_bin "$TRIAD_BIN" "run 'make build' or set TRIAD_BIN" ;;
	*) die "unknown system $sys (etcd, triad)" ;;
	esac
done
need_bin "$ETCDCTL_BIN" "apt-get install etcd-client, or set ETCDCTL_BIN"

log "building $BENCH_BIN"
(cd "$ROOT" && "${GO:-go}" build -o "$BENCH_BIN" ./cmd/triad-bench)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-coord.XXXXXX")
CL_PIDS=()   # the nodes of the one cluster running now (never two at once)
CL_DIR=""    # its data dirs and logs
ENDPOINTS="" # its client URLs, comma-separated

# stop_cluster stops every node (SIGTERM, then SIGKILL after 30s), waits for them and wipes the
# cluster's data dirs (logs stay with KEEP_WORK=1).
stop_cluster() {
	local pid i
	for pid in "${CL_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${CL_PIDS[@]}"; do
		for i in $(seq 1 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CL_PIDS=()
	if [[ -n $CL_DIR ]]; then
		if [[ -n ${KEEP_WORK:-} ]]; then
			find "$CL_DIR" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
		else
			rm -rf "$CL_DIR"
		fi
	fi
	CL_DIR=""
}

cleanup_coord() {
	if [[ -n $CHILD_PID ]]; then
		kill -TERM "$CHILD_PID" 2>/dev/null || true
		wait "$CHILD_PID" 2>/dev/null || true
		CHILD_PID=""
	fi
	stop_cluster
	cleanup
}
trap cleanup_coord EXIT
trap 'exit 130' INT TERM

# free_ports N prints N distinct free loopback ports, one a line.
free_ports() {
	local -A seen=()
	local p
	while ((${#seen[@]} < $1)); do
		p=$(free_port)
		[[ -n ${seen[$p]:-} ]] || { seen[$p]=1; echo "$p"; }
	done
}

# start_node SYSTEM I INITIAL_CLUSTER CLIENT_PORT PEER_PORT starts node nI in the background.
start_node() {
	local sys=$1 i=$2 ic=$3 cp=$4 pp=$5 dir=$CL_DIR/n$2
	case $sys in
	etcd)
		# Default durability: etcd fsyncs its WAL before acknowledging. The quota only keeps a long
		# run from hitting etcd's 2 GiB default (no compaction runs during the benchmark).
		# shellcheck disable=SC2086 # ETCD_FLAGS is split on purpose
		"$ETCD_BIN" --name "n$i" --data-dir "$dir" \
			--listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
			--listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
			--initial-cluster "$ic" --initial-cluster-state new --initial-cluster-token "bench-coord-$$" \
			--quota-backend-bytes $((8 * 1024 * 1024 * 1024)) --logger zap --log-outputs stderr \
			${ETCD_FLAGS:-} >"$CL_DIR/n$i.log" 2>&1 &
		;;
	triad)
		# shellcheck disable=SC2086 # TRIAD_FLAGS is split on purpose
		"$TRIAD_BIN" server --data-dir "$dir" --name "n$i" --cache-addr 127.0.0.1:0 --http-addr "" \
			--etcd-addr "127.0.0.1:$cp" --peer-addr "127.0.0.1:$pp" --kafka-addr 127.0.0.1:0 --initial-cluster "$ic" \
			--log-level warn ${TRIAD_FLAGS:-} >"$CL_DIR/n$i.log" 2>&1 &
		;;
	esac
	CL_PIDS+=("$!")
}

# cluster_alive reports whether every node of the cluster still runs.
cluster_alive() {
	local pid
	for pid in "${CL_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
}

# start_cluster SYSTEM N starts an N-node cluster of SYSTEM on free loopback ports in fresh data dirs
# and waits until every node answers `etcdctl endpoint health`; sets CL_PIDS, CL_DIR, ENDPOINTS.
start_cluster() {
	local sys=$1 n=$2 attempt i ports ic scheme
	((${#CL_PIDS[@]} == 0)) || die "start_cluster: a cluster is already running"
	# etcd wants URLs in --initial-cluster, Triad host:port.
	scheme=""
	[[ $sys == etcd ]] && scheme=http://
	for attempt in 1 2 3 4 5; do
		CL_DIR=$(mktemp -d "$WORK/$sys-$n.XXXXXX")
		mapfile -t ports < <(free_ports $((2 * n))) # client ports, then peer ports
		ic="" ENDPOINTS=""
		for ((i = 1; i <= n; i++)); do
			ic+="${ic:+,}n$i=${scheme}127.0.0.1:${ports[n + i - 1]}"
			ENDPOINTS+="${ENDPOINTS:+,}http://127.0.0.1:${ports[i - 1]}"
		done
		for ((i = 1; i <= n; i++)); do
			start_node "$sys" "$i" "$ic" "${ports[i - 1]}" "${ports[n + i - 1]}"
		done
		for i in $(seq 1 600); do
			cluster_alive || break
			if "$ETCDCTL_BIN" --endpoints="$ENDPOINTS" --dial-timeout=1s --command-timeout=2s \
				endpoint health >/dev/null 2>&1; then
				return 0
			fi
			sleep 0.1
		done
		log "$sys ($n nodes) did not become healthy on $ENDPOINTS (attempt $attempt); its logs:"
		tail -n 10 "$CL_DIR"/*.log >&2 || true
		# A node that exited may have lost a race for its port: try others. A cluster that runs
		# but stays unhealthy for a minute will not do better on other ports.
		if cluster_alive; then
			stop_cluster
			return 1
		fi
		stop_cluster
	done
	return 1
}

RESULTS=$WORK/results.tsv # nodes, row, system, ops/s, p99 ms, error
: >"$RESULTS"

# record NODES SYSTEM FILE appends the JSON lines of FILE to RESULTS as TSV.
record() {
	awk -v nodes="$1" -v sys="$2" '
	function field(name,   v) {
		if (!match($0, "\"" name "\":(\"[^\"]*\"|[^,}]*)")) return ""
		v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		gsub(/^"|"$/, "", v)
		return v
	}
	/^{/ {
		err = field("error")
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", nodes, field("row"), sys, err == "" ? field("ops_per_sec") : "ERR", err == "" ? field("p99_ms") : "ERR", err
	}' "$3" >>"$RESULTS"
}

# run_system SYSTEM NODES runs every row against a fresh cluster of SYSTEM, then stops it. A system
# that cannot start or fails rows leaves those rows out (ERR in the table); the run goes on.
run_system() {
	local sys=$1 n=$2 out=$WORK/$1-$2.jsonl
	if ! start_cluster "$sys" "$n"; then
		log "could not start $sys with $n nodes; its rows are left out"
		return 0
	fi
	log "$sys  $n node(s)  $ENDPOINTS  rows=$ROWS_CSV duration=$DURATION warmup=$WARMUP"
	if ! run_child "$BENCH_BIN" coord --endpoints "$ENDPOINTS" --system "$sys" --rows "$ROWS_CSV" \
		--duration "$DURATION" --warmup "$WARMUP" --json >"$out" 2>"$out.err"; then
		log "  triad-bench failed on $sys: $(tail -n 1 "$out.err" | cut -c1-300)"
	fi
	record "$n" "$sys" "$out"
	awk -F'\t' -v n="$n" -v s="$sys" '$1 == n && $3 == s {
		if ($6 != "") printf "  %-9s failed: %s\n", $2, $6
		else printf "  %-9s %10.1f ops/s  p99 %8.2f ms\n", $2, $4, $5 }' "$RESULTS" >&2
	if ! cluster_alive; then
		log "a $sys node exited during the benchmark; its logs:"
		tail -n 20 "$CL_DIR"/*.log >&2 || true
	fi
	stop_cluster
}

versions="etcd $("$ETCD_BIN" --version 2>/dev/null | head -1 | awk '{print $3}')"
[[ " $SYSTEMS " == *" triad "* ]] && versions="$("$TRIAD_BIN" version 2>/dev/null | head -1) vs $versions"
log "$versions"
log "topologies=[$TOPOLOGIES] systems=[$SYSTEMS] rows=$ROWS_CSV duration=$DURATION warmup=$WARMUP"
for n in $TOPOLOGIES; do
	for sys in $SYSTEMS; do
		run_system "$sys" "$n"
	done
done

table() {
	echo "# triad-bench coord: $DURATION per row after $WARMUP warm-up; both fsync before acknowledging; triad flags: ${TRIAD_FLAGS:-none}; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "# targets: puts ops >= 2x etcd, gets >= 1.5x, lock handoffs >= 10x, watch p99 <= etcd's"
	awk -F'\t' '
	{ key = $1 "\t" $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	  ops[key, $3] = $4; p99[key, $3] = $5 }
	function num(v) { return v != "" && v != "ERR" }
	function show(v, fmt) { return v == "" ? "-" : (v == "ERR" ? v : sprintf(fmt, v)) }
	END {
		printf "%-5s %-10s %12s %12s %7s %11s %11s  %s\n", "nodes", "row", "etcd_ops/s", "triad_ops/s", "ratio", "etcd_p99ms", "triad_p99ms", "target"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, "\t"); row = f[2]
			e = ops[k, "etcd"]; t = ops[k, "triad"]; ep = p99[k, "etcd"]; tp = p99[k, "triad"]
			ratio = (num(e) && num(t) && e + 0 > 0) ? sprintf("%.2f", t / e) : "-"
			target = "-"
			if (row ~ /^put/) want = 2; else if (row ~ /^get/) want = 1.5; else if (row == "lock") want = 10; else want = 0
			if (want > 0) target = sprintf("ops >= %gx", want) (ratio == "-" ? "" : (t / e >= want ? " met" : " MISSED"))
			if (row == "watch") target = "p99 <= etcd" ((num(ep) && num(tp)) ? (tp + 0 <= ep + 0 ? " met" : " MISSED") : "")
			printf "%-5s %-10s %12s %12s %7s %11s %11s  %s\n", f[1], row, show(e, "%.0f"), show(t, "%.0f"), ratio, show(ep, "%.2f"), show(tp, "%.2f"), target
		}
	}' "$RESULTS"
}
echo
table
[[ -z ${OUT:-} ]] || table >"$OUT"

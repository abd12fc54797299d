#!/usr/bin/env bash
# bench-cache.sh: Triad against redis-server, side by side, with redis-benchmark.
#
# Both systems persist every write to an append-only log (Redis: appendonly yes; Triad: its log),
# first with appendfsync everysec, then always. Each row group (one redis-benchmark invocation) runs
# on a freshly started Redis, then on a freshly started Triad — one system at a time, each on a free
# loopback port with its own temp data dir — so machine noise spreads over both. The table at the
# end gives throughput and p99 for each and the ratio Triad/Redis.
#
# Environment (defaults in brackets):
#   N [2000000]            requests per test (N=200000 for a quick run)
#   CLIENTS [50]           parallel connections (-c)
#   KEYSPACE [100000]      random key/member range (-r)
#   PIPELINES ["1 16"]     pipeline depths (-P)
#   FSYNC_MODES ["everysec always"]
#   GROUPS_RUN ["basic zadd 1k"]  row groups: basic = -t set,get,incr,lpush,lpop,hset;
#                          zadd = custom ZADD; 1k = -d 1024 -t set,get
#   TRIAD_BIN [bin/triad], REDIS_SERVER, REDIS_CLI, REDIS_BENCHMARK: the executables
#   TRIAD_FLAGS            extra flags for Triad (e.g. "--procs 1")
#   OUT: also write the final table to this file
#   KEEP_WORK=1            keep the temp dir (data dirs, logs, CSVs)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib-servers.sh"

N=${N:-2000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
PIPELINES=${PIPELINES:-"1 16"}
FSYNC_MODES=${FSYNC_MODES:-"everysec always"}
GROUPS_RUN=${GROUPS_RUN:-"basic zadd 1k"}

check_bins
need_bin "$REDIS_BENCHMARK" "apt-get install redis-tools, or set REDIS_BENCHMARK"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-cache.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results.tsv # fsync, pipeline, test, system, rps, p99
: >"$RESULTS"

# group_tests GROUP prints the group's tests, one redis-benchmark invocation each (all on the same
# server, in this order, so LPOP pops what LPUSH pushed and GET finds what SET stored); a test that
# one system does not support then fails alone instead of aborting the group.
group_tests() {
	case $1 in
	basic) echo "set get incr lpush lpop hset" ;;
	zadd) echo "zadd" ;;
	1k) echo "set get" ;;
	*) die "unknown group $1" ;;
	esac
}

# test_args GROUP TEST prints the redis-benchmark arguments of one test after the common ones.
test_args() {
	case $1:$2 in
	zadd:zadd) echo "zadd myzset __rand_int__ element:__rand_int__" ;;
	1k:*) echo "-d 1024 -t $2" ;;
	*) echo "-t $2" ;;
	esac
}

# label GROUP TEST names a row of the table.
label() {
	case $1 in
	1k) echo "${2^^}_1KiB" ;;
	*) echo "${2^^}" ;;
	esac
}

# run_group SYSTEM FSYNC PIPELINE GROUP starts SYSTEM, runs the group's tests, records the rows
# (rps "ERR" when redis-benchmark failed, e.g. an unknown command), stops SYSTEM.
run_group() {
	local sys=$1 fsync=$2 p=$3 group=$4 t csv row rps p99 lbl
	start_server "$sys" "$fsync"
	log "$sys  fsync=$fsync -P $p  $group  (port $SRV_PORT, n=$N)"
	for t in $(group_tests "$group"); do
		csv=$WORK/$fsync-P$p-$group-$t-$sys.csv
		lbl=$(label "$group" "$t")
		# shellcheck disable=SC2046 # test_args is split on purpose
		if run_child "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$SRV_PORT" -c "$CLIENTS" -n "$N" -P "$p" \
			-r "$KEYSPACE" --csv $(test_args "$group" "$t") >"$csv" 2>"$csv.err" &&
			row=$(grep -v '^"test"' "$csv" | head -1) && [[ -n $row ]]; then
			# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
			IFS=, read -r _ rps _ _ _ _ p99 _ <<<"${row//\"/}"
		else
			rps=ERR p99=ERR
			log "  $lbl failed on $sys: $(head -n 1 "$csv.err" | cut -c1-200)"
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$fsync" "$p" "$lbl" "$sys" "$rps" "$p99" >>"$RESULTS"
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			tail -n 20 "$SRV_DIR/server.log" >&2 || true
			die "$sys exited during the benchmark"
		fi
	done
	stop_server
}

log "Triad $("$TRIAD_BIN" version 2>/dev/null | head -1) vs $("$REDIS_SERVER" --version | head -1)"
log "requests/test=$N clients=$CLIENTS keyspace=$KEYSPACE pipelines=[$PIPELINES] fsync=[$FSYNC_MODES] groups=[$GROUPS_RUN]"
for fsync in $FSYNC_MODES; do
	for p in $PIPELINES; do
		for group in $GROUPS_RUN; do
			run_group redis "$fsync" "$p" "$group"
			run_group triad "$fsync" "$p" "$group"
		done
	done
done

table() {
	echo "# redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE; appendonly on both; triad flags: ${TRIAD_FLAGS:-none}; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
	awk -F'\t' '
	{ key = $1 "\t" $2 "\t" $3; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
	  rps[key, $4] = $5; p99[key, $4] = $6 }
	END {
		printf "%-9s %3s %-10s %12s %12s %7s %9s %9s\n", "fsync", "P", "test", "redis_rps", "triad_rps", "ratio", "redis_p99", "triad_p99"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, "\t")
			r = rps[k, "redis"]; t = rps[k, "triad"]
			ratio = (r + 0 > 0 && t + 0 > 0) ? sprintf("%.2f", t / r) : "-"
			printf "%-9s %3s %-10s %12s %12s %7s %9s %9s\n", f[1], f[2], f[3], r, t, ratio, p99[k, "redis"], p99[k, "triad"]
		}
	}' "$RESULTS"
}
echo
table
[[ -z ${OUT:-} ]] || table >"$OUT"

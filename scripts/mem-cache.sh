#!/usr/bin/env bash
# mem-cache.sh: memory used by the same data set in redis-server and in Triad.
#
# Loads KEYS (default 1,000,000) SETs with 16-byte keys and 32-byte values — generated once as RESP
# and loaded with `redis-cli --pipe` — into redis-server (appendonly yes, everysec) and then into
# Triad (appendfsync everysec, default Go GC settings: GOGC and GOMEMLIMIT are removed from its
# environment), one at a time, each on a free loopback port with its own temp data dir. After the
# load it waits for the RSS to settle, then reads VmRSS/VmHWM from /proc/PID/status and INFO memory,
# and prints both and the ratio Triad/Redis (target: ≤ TARGET, default 1.5).
#
# Environment: KEYS [1000000], TARGET [1.5], SETTLE_MAX [120] seconds, MEM_STRICT=1 to exit 1 when
# the ratio misses the target, TRIAD_BIN [bin/triad], REDIS_SERVER, REDIS_CLI, KEEP_WORK=1.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib-servers.sh"

KEYS=${KEYS:-1000000}
TARGET=${TARGET:-1.5}
SETTLE_MAX=${SETTLE_MAX:-120}

check_bins
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mem-cache.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM
unset GOGC GOMEMLIMIT GODEBUG

# The data set: key:%012d is 16 bytes, val:%028d is 32 bytes.
LOAD=$WORK/load.resp
awk -v n="$KEYS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\nval:%028d\r\n", i, i
}' >"$LOAD"

status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
info_field() { cli info memory | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'; }

# settle waits until VmRSS has moved less than 1% over the last 5 one-second samples.
settle() {
	local -a s=() i lo hi v
	for ((i = 0; i < SETTLE_MAX; i++)); do
		s+=("$(status_kb "$SRV_PID" VmRSS)")
		if ((${#s[@]} >= 5)); then
			lo=${s[-1]} hi=${s[-1]}
			for v in "${s[@]: -5}"; do ((v < lo)) && lo=$v; ((v > hi)) && hi=$v; done
			((hi - lo <= hi / 100)) && return 0
		fi
		sleep 1
	done
	log "RSS did not settle within ${SETTLE_MAX}s; using the last sample"
}

declare -A R # R[sys.field]
measure() {
	local sys=$1 t0 t1 n
	start_server "$sys" everysec
	R[$sys.rss0]=$(status_kb "$SRV_PID" VmRSS)
	log "$sys: loading $KEYS keys (port $SRV_PORT)"
	t0=$(date +%s.%N)
	run_child "$REDIS_CLI" -h 127.0.0.1 -p "$SRV_PORT" --pipe <"$LOAD" >"$WORK/$sys.pipe" 2>&1 || { cat "$WORK/$sys.pipe" >&2; die "redis-cli --pipe into $sys failed"; }
	t1=$(date +%s.%N)
	n=$(cli dbsize)
	[[ $n == "$KEYS" ]] || die "$sys holds $n keys after the load, want $KEYS: $(tail -n 3 "$WORK/$sys.pipe")"
	R[$sys.load_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	settle
	R[$sys.rss]=$(status_kb "$SRV_PID" VmRSS)
	R[$sys.hwm]=$(status_kb "$SRV_PID" VmHWM)
	R[$sys.used]=$(info_field used_memory)
	R[$sys.info_rss]=$(info_field used_memory_rss)
	{ echo "== $sys INFO memory"; cli info memory | tr -d '\r' | grep -E '^(used_memory|used_memory_rss|used_memory_peak|used_memory_dataset|used_memory_overhead|used_memory_runtime|mem_fragmentation_ratio|mem_allocator):' || true; } >>"$WORK/info.txt"
	stop_server
}

measure redis
measure triad

cat "$WORK/info.txt"
echo
echo "# $KEYS SETs, 16-byte keys, 32-byte values; appendonly/appendfsync everysec on both; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-8s %12s %12s %12s %14s %14s %8s\n' system rss_empty_MiB rss_MiB peak_rss_MiB used_memory_MiB info_rss_MiB load_s
for sys in redis triad; do
	awk -v s="$sys" -v a="${R[$sys.rss0]}" -v b="${R[$sys.rss]}" -v c="${R[$sys.hwm]}" -v d="${R[$sys.used]:-0}" -v e="${R[$sys.info_rss]:-0}" -v l="${R[$sys.load_s]}" \
		'BEGIN { printf "%-8s %12.1f %12.1f %12.1f %14.1f %14.1f %8s\n", s, a/1024, b/1024, c/1024, d/1048576, e/1048576, l }'
done
ratio=$(awk -v t="${R[triad.rss]}" -v r="${R[redis.rss]}" 'BEGIN { printf "%.2f", t / r }')
peak=$(awk -v t="${R[triad.hwm]}" -v r="${R[redis.hwm]}" 'BEGIN { printf "%.2f", t / r }')
if awk -v x="$ratio" -v y="$TARGET" 'BEGIN { exit !(x <= y) }'; then verdict=meets; else verdict=MISSES; fi
echo "RSS ratio Triad/Redis: $ratio (peak $peak); target <= $TARGET: $verdict"
[[ $verdict == meets || -z ${MEM_STRICT:-} ]] || exit 1

#!/usr/bin/env bash
# bench-queue.sh: Triad's queue (its Kafka API) against NATS JetStream, side by side, with
# triad-bench queue.
#
# Both systems are driven by the same load generator (internal/benchqueue): franz-go for Triad
# (acks=all, idempotent, no compression, linger 0), nats.go for JetStream (async publish, every ack
# awaited), with the same in-flight window. Rows: produce throughput with 100 B and 1 KiB records on
# 1 and 12 partitions, consume throughput reading those back from the start, and end-to-end latency
# at a fixed 20 MB/s. Triad fsyncs each batch before it acknowledges; nats-server runs `-js` with its
# default configuration (file storage), which does not fsync each message. First the machine's own
# limits are measured (sequential 1 MiB writes each followed by fdatasync in the work dir's
# filesystem, where both systems keep their data; loopback TCP), then each system runs every row on a
# free loopback port with a fresh data dir, one system at a time, stopped and wiped after. The table
# at the end gives both results per row, the ratio Triad/NATS, the limits and the targets of issue 4.
#
# Environment (defaults in brackets):
#   DURATION [10s]      counted time per row (a Go duration: 3s, 500ms); also the disk and loopback runs
#   WARMUP [1s]         warm-up per row before counting
#   ROWS ["produce-100b-1p produce-100b-12p produce-1k-1p produce-1k-12p consume-100b-1p
#         consume-100b-12p consume-1k-1p consume-1k-12p e2e-1k-1p"]  rows (spaces or commas)
#   SYSTEMS ["nats triad"]  systems, in the order they run
#   WINDOW [4096]       records in flight per producer
#   TRIAD_BIN [bin/triad], BENCH_BIN [bin/triad-bench, built here], NATS_BIN [nats-server]
#   TRIAD_FLAGS, NATS_FLAGS  extra server flags
#   OUT: also write the final table to this file
#   KEEP_WORK=1         keep the temp dir (logs, JSON results; data dirs are wiped regardless)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib-servers.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
ROWS=${ROWS:-"produce-100b-1p produce-100b-12p produce-1k-1p produce-1k-12p consume-100b-1p consume-100b-12p consume-1k-1p consume-1k-12p e2e-1k-1p"}
SYSTEMS=${SYSTEMS:-"nats triad"}
WINDOW=${WINDOW:-4096}
BENCH_BIN=${BENCH_BIN:-$ROOT/bin/triad-bench}
NATS_BIN=${NATS_BIN:-nats-server}

ROWS_CSV=$(tr -s ' ,' ',' <<<"$ROWS" | sed 's/^,//; s/,$//')
for sys in $SYSTEMS; do
	case $sys in
	nats) need_bin "$NATS_BIN" "apt-get install nats-server, or set NATS_BIN" ;;
	triad) need_bin "$TRIAD_BIN" "run 'make build' or set TRIAD_BIN" ;;
	*) die "unknown system $sys (nats, triad)" ;;
	esac
done

log "building $BENCH_BIN"
(cd "$ROOT" && "${GO:-go}" build -o "$BENCH_BIN" ./cmd/triad-bench)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-queue.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_queue_server SYSTEM starts SYSTEM on a free loopback port with a fresh data dir under $WORK
# and waits until the port accepts connections; sets SRV_PID, SRV_PORT, SRV_DIR.
start_queue_server() {
	local sys=$1 attempt i
	[[ -z $SRV_PID ]] || die "start_queue_server: a server is already running (pid $SRV_PID)"
	for attempt in 1 2 3 4 5; do
		SRV_PORT=$(free_port)
		SRV_DIR=$WORK/$sys-data
		rm -rf "$SRV_DIR" && mkdir -p "$SRV_DIR"
		case $sys in
		triad)
			# Only the Kafka port matters; the others take any free port. Triad fsyncs always.
			# shellcheck disable=SC2086 # TRIAD_FLAGS is split on purpose
			"$TRIAD_BIN" server --data-dir "$SRV_DIR" --kafka-addr "127.0.0.1:$SRV_PORT" \
				--cache-addr 127.0.0.1:0 --etcd-addr 127.0.0.1:0 --peer-addr 127.0.0.1:0 --http-addr "" \
				--log-level warn ${TRIAD_FLAGS:-} >>"$WORK/$sys.log" 2>&1 &
			;;
		nats)
			# Its default configuration (no -c): file storage, no fsync per message.
			# shellcheck disable=SC2086 # NATS_FLAGS is split on purpose
			"$NATS_BIN" -js -a 127.0.0.1 -p "$SRV_PORT" -sd "$SRV_DIR" ${NATS_FLAGS:-} >>"$WORK/$sys.log" 2>&1 &
			;;
		esac
		SRV_PID=$!
		for i in $(seq 1 300); do
			kill -0 "$SRV_PID" 2>/dev/null || break
			if (exec 3<>"/dev/tcp/127.0.0.1/$SRV_PORT") 2>/dev/null; then
				return 0
			fi
			sleep 0.05
		done
		log "$sys did not start on port $SRV_PORT (attempt $attempt); its log:"
		tail -n 10 "$WORK/$sys.log" >&2 || true
		stop_server
	done
	return 1
}

RESULTS=$WORK/results.tsv # row, system, MB/s, records/s, p50 ms, p99 ms, errors, error
: >"$RESULTS"

# record SYSTEM FILE appends the JSON lines of FILE to RESULTS as TSV.
record() {
	awk -v sys="$1" '
	function field(name,   v) {
		if (!match($0, "\"" name "\":(\"([^\"\\\\]|\\\\.)*\"|[^,}]*)")) return ""
		v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		gsub(/^"|"$/, "", v)
		gsub(/\t/, " ", v)
		return v
	}
	/^{/ {
		err = field("error")
		if (err != "") { printf "%s\t%s\tERR\tERR\tERR\tERR\t0\t%s\n", field("row"), sys, err; next }
		e = field("errors") + 0
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", field("row"), sys, field("mb_per_sec"), field("records_per_sec"),
			field("p50_ms"), field("p99_ms"), e, (e > 0 ? e " errors, first: " field("first_error") : "")
	}' "$2" >>"$RESULTS"
}

# bench SYSTEM OUT ARGS... runs triad-bench queue with the common flags, JSON lines to OUT.
bench() {
	local sys=$1 out=$2
	shift 2
	if ! run_child "$BENCH_BIN" queue --system "$sys" --duration "$DURATION" --warmup "$WARMUP" \
		--window "$WINDOW" --json "$@" >"$out" 2>"$out.err"; then
		log "  triad-bench failed on $sys: $(tail -n 1 "$out.err" | cut -c1-300)"
	fi
	record "$sys" "$out"
	awk -F'\t' -v s="$sys" '$2 == s {
		if ($3 == "ERR") printf "  %-16s failed: %s\n", $1, $8
		else printf "  %-16s %9.1f MB/s %11.0f rec/s  p50 %8.2f ms  p99 %8.2f ms%s\n", $1, $3, $4, $5, $6, ($7 > 0 ? "  " $8 : "") }' "$RESULTS" >&2
}

# run_system SYSTEM runs every row against a fresh SYSTEM, then stops it and wipes its data. A
# system that cannot start or fails rows leaves those rows out (ERR in the table); the run goes on.
run_system() {
	local sys=$1 target
	if ! start_queue_server "$sys"; then
		log "could not start $sys; its rows are left out"
		return 0
	fi
	case $sys in
	triad) target=(--brokers "127.0.0.1:$SRV_PORT") ;;
	nats) target=(--nats-url "nats://127.0.0.1:$SRV_PORT") ;;
	esac
	log "$sys on port $SRV_PORT  rows=$ROWS_CSV duration=$DURATION warmup=$WARMUP window=$WINDOW"
	bench "$sys" "$WORK/$sys.jsonl" "${target[@]}" --rows "$ROWS_CSV"
	if ! kill -0 "$SRV_PID" 2>/dev/null; then
		log "$sys exited during the benchmark; its log:"
		tail -n 20 "$WORK/$sys.log" >&2 || true
	fi
	stop_server
	rm -rf "$SRV_DIR"
}

triad_version=$("$TRIAD_BIN" version 2>/dev/null | head -1 || true)
nats_version=$("$NATS_BIN" --version 2>/dev/null | head -1 || true)
log "${triad_version:-triad} vs ${nats_version:-nats-server}; systems=[$SYSTEMS] rows=$ROWS_CSV duration=$DURATION warmup=$WARMUP"

# The machine's limits first, with no server running. The disk row writes in $WORK, the
# filesystem the servers keep their data on.
log "machine limits (disk: 1 MiB writes + fdatasync in $WORK; loopback TCP)"
bench machine "$WORK/machine.jsonl" --rows disk,loopback --data-dir "$WORK"
for sys in $SYSTEMS; do
	run_system "$sys"
done

table() {
	echo "# triad-bench queue: $DURATION per row after $WARMUP warm-up, $WINDOW records in flight per producer; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "# ${triad_version:-triad} (kgo, acks=all, idempotent): fsyncs each batch before acknowledging; triad flags: ${TRIAD_FLAGS:-none}"
	echo "# ${nats_version:-nats-server} -js, default configuration (file storage): does NOT fsync each message before acknowledging"
	awk -F'\t' 'function show(v, fmt) { return v == "ERR" ? v : sprintf(fmt, v) }
		$2 == "machine" && $1 == "disk" { disk = sprintf("disk (1 MiB writes, each + fdatasync) %s MB/s, p99 %s ms per write", show($3, "%.1f"), show($6, "%.2f")) }
		$2 == "machine" && $1 == "loopback" { tcp = sprintf("loopback TCP %s MB/s", show($3, "%.0f")) }
		END { printf "# machine: %s; %s\n", disk == "" ? "disk -" : disk, tcp == "" ? "loopback -" : tcp }' "$RESULTS"
	echo "# targets (issue 4): produce with 1 KiB records >= 3x JetStream and >= 70% of the disk limit; e2e p99 <= 5 ms at 20 MB/s"
	echo "# p50/p99: produce rows ack latency (includes the wait for a window slot), e2e rows send-to-receive latency"
	awk -F'\t' '
	$2 == "machine" { if ($1 == "disk") disk = $3; next }
	{ if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
	  mb[$1, $2] = $3; rec[$1, $2] = $4; p50[$1, $2] = $5; p99[$1, $2] = $6; note[$1, $2] = $8 }
	function num(v) { return v != "" && v != "ERR" }
	function show(v, fmt) { return v == "" ? "-" : (v == "ERR" ? v : sprintf(fmt, v)) }
	function lat(a, b) { return num(a) && num(b) && (a + 0 > 0 || b + 0 > 0) ? sprintf("%.2f/%.2f", a, b) : (a == "ERR" ? "ERR" : "-") }
	END {
		printf "%-16s %10s %10s %6s %11s %11s %15s %15s  %s\n", "row", "nats_MB/s", "triad_MB/s", "ratio", "nats_rec/s", "triad_rec/s", "nats_p50/p99", "triad_p50/p99", "target"
		for (i = 1; i <= n; i++) {
			r = order[i]; nm = mb[r, "nats"]; tm = mb[r, "triad"]
			ratio = (num(nm) && num(tm) && nm + 0 > 0) ? sprintf("%.2f", tm / nm) : "-"
			target = "-"
			if (r ~ /^produce-1k-/) {
				target = ">= 3x" (ratio == "-" ? "" : (tm / nm >= 3 ? " met" : " MISSED"))
				if (num(disk)) target = target sprintf(", >= 70%% disk (%.0f MB/s)", 0.7 * disk) (num(tm) ? (tm >= 0.7 * disk ? " met" : " MISSED") : "")
			} else if (r ~ /^e2e-/) {
				tp = p99[r, "triad"]
				target = "p99 <= 5 ms" (num(tp) ? (tp + 0 <= 5 ? " met" : " MISSED") : "")
			}
			printf "%-16s %10s %10s %6s %11s %11s %15s %15s  %s\n", r, show(nm, "%.1f"), show(tm, "%.1f"), ratio,
				show(rec[r, "nats"], "%.0f"), show(rec[r, "triad"], "%.0f"), lat(p50[r, "nats"], p99[r, "nats"]),
				lat(p50[r, "triad"], p99[r, "triad"]), target
		}
		for (i = 1; i <= n; i++) {
			r = order[i]
			if (note[r, "nats"] != "") printf "# nats %s: %s\n", r, note[r, "nats"]
			if (note[r, "triad"] != "") printf "# triad %s: %s\n", r, note[r, "triad"]
		}
	}' "$RESULTS"
}
echo
table
[[ -z ${OUT:-} ]] || table >"$OUT"

# Shared helpers for the side-by-side scripts (bench-cache.sh, mem-cache.sh): start redis-server or
# Triad on a free loopback port with its own data directory, wait until it answers, stop it by PID.
# Sourced, not run. The caller sets WORK (a temp dir) and installs `trap cleanup EXIT`.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TRIAD_BIN=${TRIAD_BIN:-$ROOT/bin/triad}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}

SRV_PID=""  # the one server running now (never two at once)
SRV_PORT=""
SRV_DIR=""
CHILD_PID="" # the client running against it (see run_child)

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# need_bin NAME HINT fails clearly when an executable is missing.
need_bin() {
	if [[ $1 == */* ]]; then
		[[ -x $1 ]] || die "$1 not found or not executable ($2)"
	else
		command -v "$1" >/dev/null 2>&1 || die "$1 not found in PATH ($2)"
	fi
}

check_bins() {
	need_bin "$TRIAD_BIN" "run 'make build' or set TRIAD_BIN"
	need_bin "$REDIS_SERVER" "apt-get install redis-server, or set REDIS_SERVER"
	need_bin "$REDIS_CLI" "apt-get install redis-tools, or set REDIS_CLI"
}

# free_port prints a loopback TCP port nobody listens on: random in 20000-59999, never a default
# port. The server may still lose a race for it; start_server then retries with another.
free_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free loopback port found"
}

# stop_server stops the running server (SIGTERM, then SIGKILL after 30s) and waits for it.
stop_server() {
	[[ -n $SRV_PID ]] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 300); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
}

# run_child CMD... runs a client in the background and waits for it, so that a signal reaches the
# script's trap at once (bash defers traps until a foreground child exits) and cleanup can stop it.
run_child() {
	# <&0: without job control bash gives a background command /dev/null as its stdin; keep ours
	# (redis-cli --pipe reads the load from it).
	"$@" <&0 &
	CHILD_PID=$!
	local rc=0
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	return "$rc"
}

cleanup() {
	if [[ -n $CHILD_PID ]]; then
		kill -TERM "$CHILD_PID" 2>/dev/null || true
		wait "$CHILD_PID" 2>/dev/null || true
	fi
	stop_server
	[[ -n ${WORK:-} && -z ${KEEP_WORK:-} ]] && rm -rf "$WORK"
	return 0
}

# start_server SYSTEM FSYNC starts SYSTEM (redis or triad) with appendfsync FSYNC on a free port in
# a fresh data dir under $WORK; sets SRV_PID, SRV_PORT, SRV_DIR.
start_server() {
	local sys=$1 fsync=$2 attempt i
	[[ -z $SRV_PID ]] || die "start_server: a server is already running (pid $SRV_PID)"
	for attempt in 1 2 3 4 5; do
		SRV_PORT=$(free_port)
		SRV_DIR=$(mktemp -d "$WORK/$sys.XXXXXX")
		case $sys in
		redis)
			# AOF is the persistence under test (Triad's log + snapshots); RDB saves are off so a
			# background BGSAVE does not land in one system's run only.
			"$REDIS_SERVER" --port "$SRV_PORT" --bind 127.0.0.1 --dir "$SRV_DIR" \
				--appendonly yes --appendfsync "$fsync" --save "" --daemonize no \
				--logfile "$SRV_DIR/server.log" >/dev/null 2>&1 &
			;;
		triad)
			# shellcheck disable=SC2086 # TRIAD_FLAGS is split on purpose
			"$TRIAD_BIN" server --data-dir "$SRV_DIR" --cache-addr "127.0.0.1:$SRV_PORT" \
				--http-addr "" --appendfsync "$fsync" --log-level warn ${TRIAD_FLAGS:-} \
				>"$SRV_DIR/server.log" 2>&1 &
			;;
		*) die "start_server: unknown system $sys" ;;
		esac
		SRV_PID=$!
		for i in $(seq 1 200); do
			if ! kill -0 "$SRV_PID" 2>/dev/null; then
				break
			fi
			if [[ $("$REDIS_CLI" -h 127.0.0.1 -p "$SRV_PORT" ping 2>/dev/null) == PONG ]]; then
				return 0
			fi
			sleep 0.05
		done
		log "$sys did not start on port $SRV_PORT (attempt $attempt); its log:"
		tail -n 20 "$SRV_DIR/server.log" >&2 || true
		stop_server
	done
	die "could not start $sys"
}

# cli runs redis-cli against the running server.
cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$SRV_PORT" "$@"; }

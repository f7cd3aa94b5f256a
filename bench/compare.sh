#!/usr/bin/env bash
# bench/compare.sh — one run that measures the saturation throughput ('load
# --profile max') of a simulated HSM pair reached three ways, all on 127.0.0.1:
#   direct   the load runner's connections spread over the two simulators
#   gateway  through 'payhsm-gw serve' with both simulators in one pair
#   haproxy  through HAProxy (TCP mode, round robin) in front of the same pair
# for several client shapes (numbers of client connections), and prints per
# shape the three rates (medians of interleaved rounds), the ratios
# gateway/HAProxy and gateway/direct, and where the CPU went: each process's
# user+system time per command over the whole search (load runner, both
# simulators, the gateway or HAProxy).
#
# Everything runs on loopback and is bounded in time; every process the script
# starts is stopped on exit. HAProxy comes from the Debian package 'haproxy'
# (installed with apt-get if missing).
#
# With FIXED set (shapes CONNSxCONCURRENCY, e.g. "64x512 256x256"), each
# measurement is instead one step of 'load --profile max --concurrency': a
# closed loop that keeps CONCURRENCY commands in flight over CONNS
# connections for STEP, the same load on every path, which shows a 10%
# difference on this noisy machine in fewer rounds than the search does.
#
# Environment: BASE_PORT (default 27500; uses BASE_PORT..BASE_PORT+5),
# SHAPES (client connection counts, default "8 64 256"), FIXED (see above),
# STEP (duration of each concurrency step of the max search, default 1s),
# MAXC (highest concurrency the search tries, default 4096), ROUNDS (interleaved
# rounds, default 3; the medians are quoted), MIX (default the load runner's),
# OUT (directory for the reports, default a temporary directory), SIMS (2,
# the default: an HA pair of simulators; 1: one simulator behind every path),
# HAPROXY_THREADS (HAProxy's nbthread; default HAProxy's own, one thread per
# CPU), GW_PROCS (GOMAXPROCS of the gateway; default Go's, one per CPU) and
# EVRELAY (1: also measure bench/evrelay, a bare one-thread epoll relay that
# merges as the gateway does and has none of its features: a bound on what
# any relay design could reach here).
set -euo pipefail

BASE_PORT=${BASE_PORT:-27500}
STEP=${STEP:-1s}
MAXC=${MAXC:-4096}
ROUNDS=${ROUNDS:-3}
SHAPES=${SHAPES:-8 64 256}
MIX=${MIX:-CA:30,KQ:30,CY:20,EC:20}
SIMS=${SIMS:-2}
HAPROXY_THREADS=${HAPROXY_THREADS:-}
GW_PROCS=${GW_PROCS:-}
for v in "$HAPROXY_THREADS" "$GW_PROCS"; do
	case $v in '' | [1-9] | [1-9][0-9]) ;; *)
		echo "compare.sh: HAPROXY_THREADS and GW_PROCS take a number from 1 to 99" >&2
		exit 2
		;;
	esac
done
case $SIMS in 1 | 2) ;; *)
	echo "compare.sh: SIMS must be 1 or 2" >&2
	exit 2
	;;
esac
SIM_A=127.0.0.1:$((BASE_PORT))
SIM_B=127.0.0.1:$((BASE_PORT + 1))
GW=127.0.0.1:$((BASE_PORT + 2))
GW_HTTP=127.0.0.1:$((BASE_PORT + 3))
HAP=127.0.0.1:$((BASE_PORT + 4))
EVR=127.0.0.1:$((BASE_PORT + 5))
EVRELAY=${EVRELAY:-}

cd "$(dirname "$0")/.."
work=$(mktemp -d)
OUT=${OUT:-$work}
mkdir -p "$OUT"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work/data"
}
trap cleanup EXIT INT TERM

if ! command -v haproxy >/dev/null; then
	echo "installing haproxy" >&2
	apt-get install -y haproxy >/dev/null
fi

echo "building payhsm-gw" >&2
go build -o "$work/payhsm-gw" ./cmd/payhsm-gw
[ -z "$EVRELAY" ] || go build -o "$work/evrelay" ./bench/evrelay
bin=$work/payhsm-gw

# wait_port ADDR: wait up to 10 s for a TCP listener.
wait_port() {
	local host=${1%:*} port=${1##*:}
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "compare.sh: nothing listens on $1" >&2
	return 1
}

"$bin" sim --listen "$SIM_A" --log-level warn 2>"$work/sim-a.log" &
pids+=($!)
sim_a=$!
wait_port "$SIM_A"
hsms=(--hsm "a=$SIM_A,pair=p")
servers="server a $SIM_A"
direct=$SIM_A
sim_b=
if [ "$SIMS" = 2 ]; then
	"$bin" sim --listen "$SIM_B" --log-level warn 2>"$work/sim-b.log" &
	pids+=($!)
	sim_b=$!
	wait_port "$SIM_B"
	hsms+=(--hsm "b=$SIM_B,pair=p")
	servers+=$'\n'"	server b $SIM_B"
	direct+=,$SIM_B
fi

GOMAXPROCS=$GW_PROCS "$bin" serve --listen "$GW" --http "$GW_HTTP" --data "$work/data" \
	"${hsms[@]}" 2>"$work/gateway.log" &
pids+=($!)
gw_pid=$!
wait_port "$GW"
for _ in $(seq 100); do
	curl -fs "http://$GW_HTTP/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done

hap_threads=
[ -z "$HAPROXY_THREADS" ] || hap_threads=$'\n\t'"nbthread $HAPROXY_THREADS"
cat >"$work/haproxy.cfg" <<EOF
global
	maxconn 4096$hap_threads
defaults
	mode tcp
	timeout connect 2s
	timeout client 60s
	timeout server 60s
frontend hostcmd
	bind $HAP
	default_backend pair
backend pair
	balance roundrobin
	$servers
EOF
haproxy -f "$work/haproxy.cfg" -db 2>"$work/haproxy.log" &
pids+=($!)
hap_pid=$!
wait_port "$HAP"
names="direct gateway haproxy"
if [ -n "$EVRELAY" ]; then
	"$work/evrelay" -listen "$EVR" -backends "$direct" -conns 2 2>"$work/evrelay.log" &
	pids+=($!)
	evr_pid=$!
	wait_port "$EVR"
	names+=" evrelay"
fi

# ticks PID: user+system CPU time of a process so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# simticks: the simulators' ticks so far.
simticks() {
	local t
	t=$(ticks "$sim_a")
	[ -z "$sim_b" ] || t=$((t + $(ticks "$sim_b")))
	echo "$t"
}
hz=$(getconf CLK_TCK)

# measure NAME TARGET MID SHAPE ROUND: the max search (SHAPE is a number of
# connections) or one fixed-concurrency step (SHAPE is CONNSxCONCURRENCY),
# bounded to 3 minutes; appends "rate load-µs sims-µs mid-µs" (CPU per
# command over the run) to $OUT/rates-SHAPE-NAME. MID is the proxy's PID
# (0 for none).
measure() {
	local name=$1 target=$2 mid=$3 shape=$4 round=$5
	local base=$OUT/compare-$shape-$name-$round conns=${shape%x*} how=(--max-concurrency "$MAXC")
	[ "$shape" = "$conns" ] || how=(--concurrency "${shape#*x}")
	echo "$shape, round $round: measuring $name ($target)" >&2
	local s0 m0=0
	s0=$(simticks)
	[ "$mid" = 0 ] || m0=$(ticks "$mid")
	/usr/bin/time -f '%U %S' -o "$base.time" timeout 180 "$bin" load --target "$target" --profile max \
		--duration "$STEP" --warmup 200ms --conns "$conns" "${how[@]}" --mix "$MIX" \
		--json "$base.json" >"$base.txt" || true
	local s1 m1=0
	s1=$(simticks)
	[ "$mid" = 0 ] || m1=$(ticks "$mid")
	awk -v rate="$(jq -r .achievedRate "$base.json")" -v sent="$(jq -r .sent "$base.json")" \
		-v sims=$((s1 - s0)) -v mid=$((m1 - m0)) -v hz="$hz" '
		{ us = 1e6 / sent; printf "%s %.3f %.3f %.3f\n", rate, ($1 + $2) * us, sims / hz * us, mid / hz * us }' \
		"$base.time" >>"$OUT/rates-$shape-$name"
}

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# col FILE N: the median of column N of FILE
col() { awk -v n="$2" '{ print $n }' "$1" | median; }

# The paths are measured in interleaved rounds so that a change in the
# machine's load (it is shared) falls on all three alike, in an order that
# turns each round so that none is always first; medians are quoted, and
# the median of each round's own gateway/HAProxy ratio.
shapes=${FIXED:-$SHAPES}
for shape in $shapes; do
	rm -f "$OUT/rates-$shape-"*
	for round in $(seq "$ROUNDS"); do
		paths=("direct $direct 0" "gateway $GW $gw_pid" "haproxy $HAP $hap_pid")
		[ -z "$EVRELAY" ] || paths+=("evrelay $EVR $evr_pid")
		for i in "${!paths[@]}"; do
			# shellcheck disable=SC2086
			measure ${paths[$(((i + round) % ${#paths[@]}))]} "$shape" "$round"
		done
	done
done

echo
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); $SIMS simulator(s), HAProxy nbthread ${HAPROXY_THREADS:-default}, gateway GOMAXPROCS ${GW_PROCS:-default}; load generator, gateway and simulators share them"
if [ -n "${FIXED:-}" ]; then
	echo "fixed concurrency: closed loop, CONNSxCONCURRENCY in flight, ${STEP} per run, mix ${MIX}; ${ROUNDS} interleaved rounds; medians"
else
	echo "max search: closed loop, concurrency doubling from 1 to ${MAXC}, ${STEP} per step, mix ${MIX}; ${ROUNDS} interleaved rounds; medians"
fi
echo "CPU: user+system µs per command over the run, from /proc (simulators, proxy) and time(1) (load runner)"
printf '%-9s %-8s %12s %9s %9s %9s %9s   %s\n' shape path 'cmd/s' load-µs sims-µs proxy-µs total-µs 'rates of the rounds'
for shape in $shapes; do
	for name in $names; do
		f=$OUT/rates-$shape-$name
		printf '%-9s %-8s %12.0f %9.2f %9.2f %9.2f %9.2f   %s\n' "$shape" "$name" "$(col "$f" 1)" "$(col "$f" 2)" \
			"$(col "$f" 3)" "$(col "$f" 4)" "$(awk '{ print $2 + $3 + $4 }' "$f" | median)" "$(awk '{ printf "%.0f ", $1 }' "$f")"
	done
	# Each round's own ratios: the machine's load changes between rounds
	# more than within one.
	paired() { paste -d' ' "$OUT/rates-$shape-$1" "$OUT/rates-$shape-$2" | awk '{ print $1 / $5 }' | median; }
	awk -v c="$shape" -v g="$(col "$OUT/rates-$shape-gateway" 1)" -v h="$(col "$OUT/rates-$shape-haproxy" 1)" \
		-v d="$(col "$OUT/rates-$shape-direct" 1)" -v pg="$(paired gateway haproxy)" -v pd="$(paired direct haproxy)" 'BEGIN {
		printf "%-9s gateway/haproxy %.2f (per round %.2f)   gateway/direct %.2f   direct/haproxy per round %.2f\n", c, g / h, pg, g / d, pd
	}'
	if [ -n "$EVRELAY" ]; then
		awk -v c="$shape" -v e="$(col "$OUT/rates-$shape-evrelay" 1)" -v h="$(col "$OUT/rates-$shape-haproxy" 1)" \
			-v pe="$(paired evrelay haproxy)" -v pg="$(paired gateway evrelay)" 'BEGIN {
			printf "%-9s evrelay/haproxy %.2f (per round %.2f)   gateway/evrelay per round %.2f\n", c, e / h, pe, pg
		}'
	fi
done
echo "reports: $OUT/compare-*.json" >&2

#!/usr/bin/env bash
# bench/compare.sh — one run that measures the saturation throughput ('load
# --profile max') of a simulated HSM pair reached three ways, all on 127.0.0.1:
#   direct   the load runner's connections spread over the two simulators
#   gateway  through 'payhsm-gw serve' with both simulators in one pair
#   haproxy  through HAProxy (TCP mode, round robin) in front of the same pair
# and prints the three rates (medians of interleaved rounds) and the ratios
# gateway/HAProxy and gateway/direct.
#
# Everything runs on loopback and is bounded in time; every process the script
# starts is stopped on exit. HAProxy comes from the Debian package 'haproxy'
# (installed with apt-get if missing).
#
# Environment: BASE_PORT (default 27500; uses BASE_PORT..BASE_PORT+4),
# STEP (duration of each concurrency step of the max search, default 2s),
# MAXC (highest concurrency the search tries, default 4096), ROUNDS (interleaved
# rounds, default 3; the medians are quoted),
# CONNS (client connections, default 8), MIX (default the load runner's),
# OUT (directory for the JSON reports, default a temporary directory).
set -euo pipefail

BASE_PORT=${BASE_PORT:-27500}
STEP=${STEP:-2s}
MAXC=${MAXC:-4096}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-8}
MIX=${MIX:-CA:30,KQ:30,CY:20,EC:20}
SIM_A=127.0.0.1:$((BASE_PORT))
SIM_B=127.0.0.1:$((BASE_PORT + 1))
GW=127.0.0.1:$((BASE_PORT + 2))
GW_HTTP=127.0.0.1:$((BASE_PORT + 3))
HAP=127.0.0.1:$((BASE_PORT + 4))

cd "$(dirname "$0")/.."
work=$(mktemp -d)
OUT=${OUT:-$work}
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
"$bin" sim --listen "$SIM_B" --log-level warn 2>"$work/sim-b.log" &
pids+=($!)
wait_port "$SIM_A"
wait_port "$SIM_B"

"$bin" serve --listen "$GW" --http "$GW_HTTP" --data "$work/data" \
	--hsm "a=$SIM_A,pair=p" --hsm "b=$SIM_B,pair=p" 2>"$work/gateway.log" &
pids+=($!)
wait_port "$GW"
for _ in $(seq 100); do
	curl -fs "http://$GW_HTTP/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done

cat >"$work/haproxy.cfg" <<EOF
global
	maxconn 4096
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
	server a $SIM_A
	server b $SIM_B
EOF
haproxy -f "$work/haproxy.cfg" -db 2>"$work/haproxy.log" &
pids+=($!)
wait_port "$HAP"

# measure NAME TARGET ROUND: the max search, bounded to 3 minutes; prints the rate.
measure() {
	local name=$1 target=$2 round=$3
	echo "round $round: measuring $name ($target)" >&2
	timeout 180 "$bin" load --target "$target" --profile max --duration "$STEP" --warmup 200ms \
		--conns "$CONNS" --max-concurrency "$MAXC" --mix "$MIX" \
		--json "$OUT/compare-$name-$round.json" >"$OUT/compare-$name-$round.txt" || true
	jq -r '.achievedRate' "$OUT/compare-$name-$round.json"
}

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The paths are measured in interleaved rounds so that a change in the
# machine's load (it is shared) falls on all three alike; medians are quoted.
: >"$OUT/rates"
for round in $(seq "$ROUNDS"); do
	d=$(measure direct "$SIM_A,$SIM_B" "$round")
	g=$(measure gateway "$GW" "$round")
	h=$(measure haproxy "$HAP" "$round")
	echo "$round $d $g $h" >>"$OUT/rates"
done
direct=$(awk '{ print $2 }' "$OUT/rates" | median)
gateway=$(awk '{ print $3 }' "$OUT/rates" | median)
hap=$(awk '{ print $4 }' "$OUT/rates" | median)

echo
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); load generator, gateway and simulators share them"
echo "max search: closed loop, concurrency doubling from 1 to ${MAXC}, ${STEP} per step, ${CONNS} connections, mix ${MIX}; ${ROUNDS} interleaved rounds"
printf '%-6s %12s %12s %12s\n' round direct gateway haproxy
while read -r r d g h; do printf '%-6s %12.0f %12.0f %12.0f\n' "$r" "$d" "$g" "$h"; done <"$OUT/rates"
printf '%-6s %12.0f %12.0f %12.0f\n' median "$direct" "$gateway" "$hap"
awk -v g="$gateway" -v h="$hap" -v d="$direct" 'BEGIN {
	printf "gateway/haproxy %.2f\ngateway/direct  %.2f\n", g / h, g / d
}'
echo "reports: $OUT/compare-*.json" >&2

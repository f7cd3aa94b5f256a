#!/usr/bin/env bash
# bench/reststall.sh — issue 21's REST run as a new user makes it
# (docs/reliability.md, "A REST run like the issue's"): two simulators as an
# HA pair, `payhsm-gw serve` in front, and wrk posting PIN translations to
# /v1/pin/translate closed loop over CONNS keep-alive connections for
# DURATION seconds. STOP_AFTER seconds into the run one simulator is stopped
# with SIGSTOP (connected, never answers) and STOPPED seconds later
# continued. The wrk script checks every answer (status 200 and the
# vector's PIN block).
#
# wrk measures each request from its own send, so its percentiles are
# closed-loop figures; its timeout is 30 s, so that a request stuck behind
# the stopped HSM is a sample and not a wrk error. The chaos suite's
# TestRESTPINTranslationsWithAStoppedHSM is the open-loop check at a fixed
# rate. Run it with nothing else busy.
#
# Environment: OUT (default a new temporary directory), PORT (default 19700;
# PORT+1 and PORT+2 are the simulators, PORT+3 the REST API), CONNS (64),
# DURATION (10), STOP_AFTER (2), STOPPED (5), RUNS (3), HEDGE (on; "off"
# turns the pool's hedging off for a comparison).
set -euo pipefail
OUT=${OUT:-$(mktemp -d)}
PORT=${PORT:-19700}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10}
STOP_AFTER=${STOP_AFTER:-2}
STOPPED=${STOPPED:-5}
RUNS=${RUNS:-3}
HEDGE=${HEDGE:-on}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
go build -o "$OUT/payhsm-gw" ./cmd/payhsm-gw
bin=$OUT/payhsm-gw
api=127.0.0.1:$((PORT + 3))

cat >"$OUT/post.lua" <<'EOF'
-- One PIN translation (the chaos suite's vector), every answer checked.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"incomingKey":"U8463435FC4B4DAA0C49025272C29B12C","incomingKeyType":"TPK",' ..
	'"outgoingKey":"U1EF828AA8F6B80EB83E19FBC373F3A85","incomingFormat":"ISO0","outgoingFormat":"ISO0",' ..
	'"pan":"45500000253210","pinBlock":"6428EB94035AF53B"}'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) answers, wrong = 0, 0 end
function response(status, headers, body)
	answers = answers + 1
	if status ~= 200 or not body:find('"pinBlock":"91DDDA0A7C12CFAA"', 1, true) then
		wrong = wrong + 1
	end
end
function done(summary, latency, requests)
	local n, w = 0, 0
	for _, t in ipairs(threads) do n, w = n + t:get("answers"), w + t:get("wrong") end
	io.write(string.format("RESULT answers=%d wrong=%d errors=%d rate=%.0f p50=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
		n, w, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		n / (summary.duration / 1e6), latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
		latency:percentile(99.9) / 1e3, latency.max / 1e3))
end
EOF

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for i in 1 2; do
	"$bin" sim --listen "127.0.0.1:$((PORT + i))" >"$OUT/sim$i.log" 2>&1 &
	pids+=($!)
done
sim2=${pids[1]}
sleep 1
{
	echo "pools:"
	echo "- name: p"
	echo "  hsms:"
	echo "  - {name: a, addr: \"127.0.0.1:$((PORT + 1))\", pair: p1}"
	echo "  - {name: b, addr: \"127.0.0.1:$((PORT + 2))\", pair: p1}"
	if [ "$HEDGE" = off ]; then echo "  hedge: {disabled: true}"; fi
} >"$OUT/gw.yaml"
"$bin" serve --config "$OUT/gw.yaml" --data "$OUT/data" --listen "127.0.0.1:$PORT" --http "$api" >"$OUT/gw.log" 2>&1 &
pids+=($!)
sleep 2
url=http://$api/v1/pin/translate
wrk -t2 -c"$CONNS" -d2s -s "$OUT/post.lua" "$url" >"$OUT/warmup.txt"
for run in $(seq "$RUNS"); do
	(sleep "$STOP_AFTER"; kill -STOP "$sim2"; sleep "$STOPPED"; kill -CONT "$sim2") &
	l0=$(cut -d' ' -f1 /proc/loadavg)
	wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 30s -s "$OUT/post.lua" "$url" >"$OUT/run$run.txt"
	wait
	echo "run $run $(date -u +%H:%M:%S) load $l0 hedge $HEDGE $(grep '^RESULT' "$OUT/run$run.txt" | cut -d' ' -f2-)"
	sleep 2 # the stopped HSM rejoins before the next run
done | tee "$OUT/runs.txt"
curl -s "http://$api/metrics" | grep '^payhsm_pool_hedges_total' | tee "$OUT/hedges.txt"
echo "reports: $OUT"

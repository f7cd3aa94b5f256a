package pool

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/internal/simtest"
	"github.com/payhsm/payhsm-gw/simulator"
)

func TestLatencyBucketsBoundTheirValues(t *testing.T) {
	prev := -1
	for d := int64(1); d < 1<<36; d = d*9/8 + 1 {
		i := latBucket(d)
		if i < prev {
			t.Fatalf("latBucket(%d) = %d < latBucket of a smaller value %d", d, i, prev)
		}
		prev = i
		if i < latBuckets-1 && latUpper(i) <= d {
			t.Fatalf("latBucket(%d) = %d with upper bound %d: the value is not below it", d, i, latUpper(i))
		}
		if d >= 1<<latMinExp && d < 1<<latMaxExp && float64(latUpper(i)) > 1.25*float64(d)+1 {
			t.Fatalf("latBucket(%d): upper bound %d is more than 25%% above", d, latUpper(i))
		}
	}
}

func TestLatencyWindowQuantileAndRotation(t *testing.T) {
	var w latencyWindow
	// 990 answers of 1ms and 10 of 40ms: the p99 is 1ms, the p99.5 40ms.
	for i := range 1000 {
		d := int64(time.Millisecond)
		if i%100 == 0 {
			d = int64(40 * time.Millisecond)
		}
		w.observe(d)
	}
	for _, tt := range []struct {
		q        float64
		min, max time.Duration
	}{
		{0.5, time.Millisecond, 1250 * time.Microsecond},
		{0.99, time.Millisecond, 1250 * time.Microsecond},
		{0.995, 40 * time.Millisecond, 50 * time.Millisecond},
	} {
		q, n := w.quantile(tt.q)
		if n != 1000 || time.Duration(q) < tt.min || time.Duration(q) > tt.max {
			t.Errorf("quantile(%v) = %v of %d; want %v..%v of 1000", tt.q, time.Duration(q), n, tt.min, tt.max)
		}
	}
	// The window keeps latSlots seconds: after that many rotations the
	// old answers are gone.
	for range latSlots - 1 {
		w.rotate()
	}
	if _, n := w.quantile(0.99); n != 1000 {
		t.Errorf("after %d rotations: %d answers, want all 1000 still in the window", latSlots-1, n)
	}
	w.rotate()
	if _, n := w.quantile(0.99); n != 0 {
		t.Errorf("after %d rotations: %d answers, want none", latSlots, n)
	}
}

func TestHedgeConfigDefaultsAndProblems(t *testing.T) {
	var c HedgeConfig
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	c.withDefaults(bad)
	want := HedgeConfig{Multiplier: 2, MinDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, Budget: 0.05}
	if c != want || len(errs) != 0 {
		t.Errorf("defaults: have %+v %v, want %+v", c, errs, want)
	}
	for _, tt := range []struct {
		c    HedgeConfig
		want string
	}{
		{HedgeConfig{Multiplier: -1}, "multiplier"},
		{HedgeConfig{MinDelay: 50 * time.Millisecond, MaxDelay: 20 * time.Millisecond}, "delays"},
		{HedgeConfig{MinDelay: -time.Millisecond}, "delays"},
		{HedgeConfig{Budget: 1.5}, "budget"},
		{HedgeConfig{Budget: -0.1}, "budget"},
	} {
		errs = nil
		tt.c.withDefaults(bad)
		if len(errs) != 1 || !strings.Contains(errs[0], tt.want) {
			t.Errorf("%+v: have %v, want one problem naming %q", tt.c, errs, tt.want)
		}
	}
}

// hedgePair starts two simulators as one HA pair behind a pool whose
// command timeout is far beyond any hedge delay, so that an answer within
// a second of a stall can only have come from a hedge.
func hedgePair(t *testing.T, reg prometheus.Registerer, log *logBuffer, mod func(*Config)) (*Pool, *simulator.Server, *simulator.Server) {
	t.Helper()
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	cfg := testConfig(HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p"}, HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p"})
	cfg.CommandTimeout = 20 * time.Second
	cfg.QueueTimeout = 5 * time.Second
	cfg.Fails = 1000 // only the stuck suspicion can take an HSM Down quickly
	cfg.Registerer = reg
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	if mod != nil {
		mod(&cfg)
	}
	p := newPool(t, cfg)
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	return p, a, b
}

func TestHedgeAnswersFromThePartnerWhenAnHSMStalls(t *testing.T) {
	reg := prometheus.NewRegistry()
	var log logBuffer
	p, _, b := hedgePair(t, reg, &log, nil)
	l := startEchoLoad(p, 16)
	time.Sleep(300 * time.Millisecond) // latencies for the hedge delay
	b.SetBlackhole(true)               // connected, never answers
	stalled := time.Now()
	waitState(t, p, "b", Down)
	down := time.Since(stalled)
	time.Sleep(200 * time.Millisecond)
	lats, wrong := l.finish()
	for _, w := range wrong {
		t.Error(w)
	}
	if len(lats) == 0 {
		t.Fatal("no answers")
	}
	// Without hedging the commands stuck on b wait out the 20s command
	// timeout; a hedge answers them after at most MaxDelay (100ms). The
	// bound leaves room for a loaded machine under -race.
	if slowest := lats[len(lats)-1]; slowest > 3*time.Second {
		t.Errorf("slowest answer %v; want far below the 20s command timeout", slowest)
	}
	won := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": "won"})
	if won == 0 {
		t.Errorf("payhsm_pool_hedges_total{outcome=won} = 0; the commands stuck on b must have been hedged")
	}
	// Fails is 1000: only the suspicion takes b Down within seconds.
	if down > 5*time.Second {
		t.Errorf("b went Down %v after it stalled; want at the next failed probe (probe timeout 500ms)", down)
	}
	if !strings.Contains(log.String(), "suspected stuck") {
		t.Errorf("no 'suspected stuck' log line")
	}
	t.Logf("%d answers, slowest %v, p99 %v; hedges won %v; b Down after %v",
		len(lats), lats[len(lats)-1], lats[len(lats)*99/100], won, down)
}

func TestHedgeOffWaitsForTheCommandTimeout(t *testing.T) {
	reg := prometheus.NewRegistry()
	p, _, b := hedgePair(t, reg, nil, func(c *Config) {
		c.Hedge.Off = true
		c.CommandTimeout = 400 * time.Millisecond
	})
	b.SetBlackhole(true)
	l := startEchoLoad(p, 4)
	simtest.WaitUntil(5*time.Second, 5*time.Millisecond, func() bool {
		return metricValue(t, reg, "payhsm_pool_retries_total", nil) > 0
	})
	lats, wrong := l.finish()
	for _, w := range wrong {
		t.Error(w)
	}
	if n := metricValue(t, reg, "payhsm_pool_retries_total", nil); n == 0 {
		t.Fatalf("no command was retried after the command timeout")
	}
	if slowest := lats[len(lats)-1]; slowest < 400*time.Millisecond {
		t.Errorf("slowest answer %v: with hedging off a command stuck on b waits the 400ms command timeout", slowest)
	}
	for _, o := range hedgeOutcomeNames {
		if v := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": o}); v != 0 {
			t.Errorf("hedging off: payhsm_pool_hedges_total{outcome=%s} = %v, want 0", o, v)
		}
	}
}

func TestHedgeNeverRepeatsACommandThatIsNotRetrySafe(t *testing.T) {
	unsafe, _ := unsafeAndSafeCodes(t)
	reg := prometheus.NewRegistry()
	p, _, b := hedgePair(t, reg, nil, func(c *Config) { c.CommandTimeout = 500 * time.Millisecond })
	b.SetBlackhole(true)
	// Two commands submitted together go one to each HSM (the second pick
	// sees the first in flight), so one of them is stuck on b.
	s := &doSink{ch: make(chan struct{}, 2)}
	rs := []*Request{{Body: []byte(unsafe)}, {Body: []byte(unsafe)}}
	p.Submit(rs[:1], s)
	p.Submit(rs[1:], s)
	<-s.ch
	<-s.ch
	var onB *Request
	for _, r := range rs {
		if r.Err() != nil {
			onB = r
		}
	}
	if onB == nil {
		t.Fatalf("no command went to b: have %q, %q", rs[0].Resp, rs[1].Resp)
	}
	if !is41(onB.Err()) {
		t.Errorf("command stuck on b: have %v, want error 41", onB.Err())
	}
	if v := metricValue(t, reg, "payhsm_pool_shed_total", map[string]string{"reason": shedNotSafe}); v != 1 {
		t.Errorf("shed{not_retry_safe} = %v, want 1", v)
	}
	for _, o := range hedgeOutcomeNames {
		if v := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": o}); v != 0 {
			t.Errorf("%s is not retry-safe: payhsm_pool_hedges_total{outcome=%s} = %v, want 0", unsafe, o, v)
		}
	}
}

func TestHedgeWaitsWhenTheBudgetIsSpent(t *testing.T) {
	reg := prometheus.NewRegistry()
	// A fresh pool has answered nothing: its budget has earned no hedge.
	p, _, b := hedgePair(t, reg, nil, func(c *Config) { c.CommandTimeout = 600 * time.Millisecond })
	b.SetBlackhole(true)
	s := &doSink{ch: make(chan struct{}, 8)}
	rs := make([]*Request, 8)
	for i := range rs {
		rs[i] = &Request{Body: echo(fmt.Sprint(i))}
		p.Submit(rs[i:i+1], s)
	}
	for range rs {
		<-s.ch
	}
	for i, r := range rs {
		if want := "B300" + fmt.Sprint(i); r.Err() != nil || string(r.Resp) != want {
			t.Errorf("command %d: have %q, %v; want %q", i, r.Resp, r.Err(), want)
		}
	}
	skipped := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": "skipped_budget"})
	won := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": "won"})
	retries := metricValue(t, reg, "payhsm_pool_retries_total", nil)
	if skipped == 0 || won != 0 || retries == 0 {
		t.Errorf("hedges skipped %v, won %v, retries %v; want the commands stuck on b skipped for budget and retried after the command timeout", skipped, won, retries)
	}
	if int(skipped) != int(retries) {
		t.Errorf("skipped_budget %v, retries %v: each stuck command counts as skipped once", skipped, retries)
	}
}

func TestHedgeSpendsTheTargetsLicence(t *testing.T) {
	// a is licensed for 200/s and watched by a spy; b answers all it gets
	// late, so that much of b's traffic is hedged onto a.
	const cps = 200
	a := startSim(t, simulator.Config{})
	b := startSim(t, simulator.Config{Latency: 150 * time.Millisecond})
	sp := startSpy(t, a.Addr(), 4)
	reg := prometheus.NewRegistry()
	cfg := testConfig(HSMConfig{Name: "a", Addr: sp.Addr(), Pair: "p", CPS: cps}, HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p"})
	cfg.CommandTimeout = 5 * time.Second
	cfg.QueueTimeout = 100 * time.Millisecond
	cfg.Hedge = HedgeConfig{MaxDelay: 20 * time.Millisecond, Budget: 1}
	cfg.Registerer = reg
	p := newPool(t, cfg)
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	l := startEchoLoad(p, 32)
	time.Sleep(1500 * time.Millisecond)
	l.finish()
	won := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": "won"})
	skipped := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": "skipped_budget"})
	if won == 0 || skipped == 0 {
		t.Errorf("hedges won %v, skipped %v; want both: a's licence runs out", won, skipped)
	}
	burst := max(1, cps/50)
	// As in TestPoolHoldsEachHSMUnderItsLicence: 10% for probes and jitter.
	if m := sp.maxInWindow("", time.Second); m > cps*11/10+burst {
		t.Errorf("a got %d commands within one second, licence %d (+%d burst): hedges broke the licence", m, cps, burst)
	}
}

func TestHedgeGoesToThePairPartnerFirst(t *testing.T) {
	// Two HA pairs, p1 = {a1, a2} and p2 = {b1, b2}, in configuration
	// order; no network: only states and the pairs matter.
	p := &Pool{}
	for i, pair := range []string{"p1", "p1", "p2", "p2"} {
		p.hsms = append(p.hsms, &hsm{p: p, idx: i, cfg: HSMConfig{Name: fmt.Sprint(i), Pair: pair}, weight: unlimitedWeight})
	}
	for _, h := range p.hsms {
		for _, o := range p.hsms {
			if o.cfg.Pair == h.cfg.Pair {
				h.pair |= 1 << o.idx
			}
		}
	}
	a1 := p.hsms[0]
	for _, tt := range []struct {
		name string
		up   []int  // HSMs Up besides a1
		excl uint64 // HSMs the command was already written to
		want []int  // acceptable targets; none: nil
	}{
		{"partner up", []int{1, 2, 3}, 1, []int{1}},
		{"partner down", []int{2, 3}, 1, []int{2, 3}},
		{"partner tried", []int{1, 2, 3}, 1 | 1<<1, []int{2, 3}},
		{"nothing else up", nil, 1, nil},
		{"other pair tried, partner down", []int{2}, 1 | 1<<2, nil},
	} {
		for _, h := range p.hsms {
			h.state.Store(int32(Down))
		}
		a1.state.Store(int32(Up))
		for _, i := range tt.up {
			p.hsms[i].state.Store(int32(Up))
		}
		for range 8 { // ties go round: try them all
			to := p.hedgeTarget(a1, tt.excl)
			switch {
			case to == nil && tt.want != nil:
				t.Errorf("%s: no target, want one of %v", tt.name, tt.want)
			case to != nil && !slices.Contains(tt.want, to.idx):
				t.Errorf("%s: target %d, want one of %v", tt.name, to.idx, tt.want)
			}
		}
	}
}

func TestHedgedCommandWhoseLegsBothFailGoesOnAsAFailedOne(t *testing.T) {
	// Pair p = {a, b}, and c alone in pair q. The command is written to b,
	// which never answers; its hedge goes to a, b's partner, whose
	// connections drop while it holds the hedge. When b's command timeout
	// fails the first leg too, the command is retried like any failed
	// one: on c, the only HSM it has not been written to.
	a, b, c := startSim(t, simulator.Config{}), startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	reg := prometheus.NewRegistry()
	cfg := testConfig(HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p"}, HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p"},
		HSMConfig{Name: "c", Addr: c.Addr(), Pair: "q"})
	cfg.ProbeTimeout = 2 * time.Second // a answers its probes slowly too
	cfg.CommandTimeout = 3 * time.Second
	cfg.QueueTimeout = 2 * time.Second
	cfg.MaxAttempts = 3
	cfg.Fails = 1000
	cfg.Hedge = HedgeConfig{MinDelay: 20 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	cfg.Registerer = reg
	p := newPool(t, cfg)
	for _, n := range []string{"a", "b", "c"} {
		waitState(t, p, n, Up)
	}
	for range 200 { // 5% of 200 answers: the budget's first hedges
		if _, err := p.Do(context.Background(), echo("x")); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"a", "c"} {
		if err := p.SetDraining(n, true); err != nil {
			t.Fatal(err)
		}
	}
	b.SetBlackhole(true)
	a.SetLatency(400 * time.Millisecond) // it holds the hedge until it drops
	r := &Request{Body: echo("legs")}
	s := &doSink{ch: make(chan struct{}, 1)}
	p.Submit([]*Request{r}, s) // only b is Up: it goes there
	if err := p.SetDraining("a", false); err != nil {
		t.Fatal(err)
	}
	ha := p.hsms[0]
	if !simtest.WaitUntil(5*time.Second, time.Millisecond, func() bool { return hasLeg(ha) }) {
		t.Fatal("the hedge never reached a")
	}
	a.DropConnections()
	if err := p.SetDraining("c", false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	if r.Err() != nil || string(r.Resp) != "B300legs" || r.HSM() != "c" {
		t.Errorf("have %q, %v from %q; want B300legs from c", r.Resp, r.Err(), r.HSM())
	}
	if v := metricValue(t, reg, "payhsm_pool_retries_total", nil); v != 1 {
		t.Errorf("payhsm_pool_retries_total = %v, want 1", v)
	}
	for _, o := range []string{"won", "lost"} {
		if v := metricValue(t, reg, "payhsm_pool_hedges_total", map[string]string{"outcome": o}); v != 0 {
			t.Errorf("payhsm_pool_hedges_total{outcome=%s} = %v, want 0: no leg was answered", o, v)
		}
	}
}

// hasLeg reports whether a hedge leg is pending on one of h's connections.
func hasLeg(h *hsm) bool {
	v := h.view.Load()
	if v == nil {
		return false
	}
	for _, c := range *v {
		c.mu.Lock()
		for _, r := range c.win.All() {
			if r != nil && r.hg != nil {
				c.mu.Unlock()
				return true
			}
		}
		c.mu.Unlock()
	}
	return false
}

// TestSuspectedHSMGetsNoCommandWhileThePartnerIsOutOfLicence runs a closed
// loop that keeps a, licensed for 100/s, out of tokens, and stalls b. Once b
// is suspected stuck the commands wait for a's tokens: none goes to b, where
// it would wait for a hedge or for b to be taken Down.
func TestSuspectedHSMGetsNoCommandWhileThePartnerIsOutOfLicence(t *testing.T) {
	reg := prometheus.NewRegistry()
	var log logBuffer
	p, _, b := hedgePair(t, reg, &log, func(c *Config) {
		c.HSMs[0].CPS = 100
		c.ProbeTimeout = 10 * time.Second // b stays Up, suspected, for the whole test
		c.HealthInterval = time.Hour      // b's probes would count as commands it received
		c.Hedge.Budget = 1
	})
	l := startEchoLoad(p, 16)
	time.Sleep(300 * time.Millisecond)
	b.SetBlackhole(true)
	// a, held to its licence, may be suspected for a moment too: wait for b.
	if !simtest.WaitUntil(5*time.Second, time.Millisecond, func() bool {
		for line := range strings.Lines(log.String()) {
			if strings.Contains(line, "suspected stuck") && strings.Contains(line, "hsm=b ") {
				return true
			}
		}
		return false
	}) {
		l.finish()
		t.Fatalf("b never suspected stuck")
	}
	atSuspicion := b.Stats().Received
	time.Sleep(time.Second)
	after := b.Stats().Received
	lats, wrong := l.finish()
	for _, w := range wrong {
		t.Error(w)
	}
	if st := hsmStatus(p, "b").State; st != Up {
		t.Fatalf("b is %v; the test wants it Up and suspected", st)
	}
	// A command may have been placed on each of b's connections as the
	// suspicion was being set (no probe reaches b: HealthInterval).
	if n := after - atSuspicion; n > 2 {
		t.Errorf("b received %d commands in the second after it was suspected stuck (%d before); want none", n, atSuspicion)
	}
	t.Logf("%d answers, slowest %v; b received %d before its suspicion, %d after", len(lats), lats[len(lats)-1], atSuspicion, after-atSuspicion)
}

// TestStuckHSMTakenDownFailsItsCommandsOver stalls b in a fresh pool, whose
// budget has earned no hedge: the commands stuck on b are retried on a as
// soon as b is taken Down as suspected stuck (probe timeout 500ms), not at
// the command timeout (20s).
func TestStuckHSMTakenDownFailsItsCommandsOver(t *testing.T) {
	reg := prometheus.NewRegistry()
	p, _, b := hedgePair(t, reg, nil, nil)
	b.SetBlackhole(true)
	s := &doSink{ch: make(chan struct{}, 8)}
	rs := make([]*Request, 8)
	start := time.Now()
	for i := range rs {
		rs[i] = &Request{Body: echo(fmt.Sprint(i))}
		p.Submit(rs[i:i+1], s)
	}
	for range rs {
		select {
		case <-s.ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("commands stuck on b unanswered after 10s")
		}
	}
	took := time.Since(start)
	for i, r := range rs {
		if want := "B300" + fmt.Sprint(i); r.Err() != nil || string(r.Resp) != want {
			t.Errorf("command %d: have %q, %v; want %q", i, r.Resp, r.Err(), want)
		}
	}
	retries := metricValue(t, reg, "payhsm_pool_retries_total", nil)
	if retries == 0 || hsmStatus(p, "b").State != Down {
		t.Errorf("retries %v, b %v; want the commands stuck on b retried and b Down", retries, hsmStatus(p, "b").State)
	}
	if took > 5*time.Second {
		t.Errorf("answers took %v; want b's commands failed over when it was taken Down (probe timeout 500ms), far below the 20s command timeout", took)
	}
}

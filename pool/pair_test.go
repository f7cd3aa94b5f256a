package pool

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/simulator"
)

func TestPoolFailsOverToThePartnerOfTheFailedHSM(t *testing.T) {
	// Two HA pairs, p1 = {a1, a2} and p2 = {b1, b2}, under steady load.
	// a1 fails with commands written to it and unanswered; they are
	// retry-safe (B2), so the pool resends them: to a2, a1's partner,
	// while a2 can take them (ours: the pair's standby is sized for its
	// partner's load), and to p2 only when a2 is down as well or has no
	// licence left.
	p1, p2 := map[string]bool{"a2": true}, map[string]bool{"b1": true, "b2": true}
	for _, tt := range []struct {
		name    string
		partner string // "up", "down", or "no licence": Up, licensed 1 command/s, which its probes spend
		fail    func(t *testing.T, a1 *simulator.Server)
		want    map[string]bool // HSMs a failed-over command may end on
	}{
		{"black hole", "up", blackhole, p1},
		{"connections dropped", "up", drop, p1},
		{"black hole, partner down", "down", blackhole, p2},
		{"connections dropped, partner down", "down", drop, p2},
		{"black hole, partner without licence", "no licence", blackhole, p2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A little service time keeps commands in flight on every HSM,
			// so that a1 holds several when it fails.
			sims := map[string]*simulator.Server{}
			var hsms []HSMConfig
			for _, h := range []struct{ name, pair string }{{"a1", "p1"}, {"a2", "p1"}, {"b1", "p2"}, {"b2", "p2"}} {
				sims[h.name] = startSim(t, simulator.Config{Latency: 2 * time.Millisecond})
				hsms = append(hsms, HSMConfig{Name: h.name, Addr: sims[h.name].Addr(), Pair: h.pair})
			}
			if tt.partner == "no licence" {
				hsms[1].CPS = 1
			}
			reg := prometheus.NewRegistry()
			cfg := testConfig(hsms...)
			cfg.Registerer = reg
			cfg.Hedge.Off = true // retries, not hedges: see hedge_test.go
			p := newPool(t, cfg)
			for name := range sims {
				waitState(t, p, name, Up)
			}
			if tt.partner == "down" {
				sims["a2"].DropConnections()
				sims["a2"].Close()
				waitState(t, p, "a2", Down)
			}
			l := startEchoLoad(p, 16)
			// Let every Up HSM carry traffic first.
			l.until(t, "traffic on every HSM", func() bool {
				for name := range sims {
					if (name != "a2" || tt.partner == "up") && hsmStatus(p, name).Commands == 0 {
						return false
					}
				}
				return true
			})
			tt.fail(t, sims["a1"])
			l.until(t, "a failed-over command", func() bool { return l.movedCount() > 0 })
			// halt waits for every command in flight, the resent ones too.
			l.halt()

			if len(l.lost) > 0 {
				t.Fatalf("%d of %d commands not answered right, first: %s", len(l.lost), len(l.lost)+l.answered, l.lost[0])
			}
			a1 := uint64(1) << 0 // configuration order: a1 has index 0
			for tried, n := range l.triedOn {
				if tried != a1 {
					t.Errorf("%d failed-over commands had been written to HSMs %b, want only a1 (%b)", n, tried, a1)
				}
			}
			for hsm, n := range l.moved {
				if !tt.want[hsm] {
					t.Errorf("%d failed-over commands answered by %s, want only by %v", n, hsm, names(tt.want))
				}
			}
			// Every written command the pool resent came back answered.
			retries := metricValue(t, reg, "payhsm_pool_retries_total", nil)
			if moved := l.movedCount(); float64(moved) != retries {
				t.Errorf("failed-over commands answered: have %d, want payhsm_pool_retries_total %v", moved, retries)
			}
			t.Logf("%d commands answered, %d failed over: %v", l.answered, l.movedCount(), l.moved)
		})
	}
}

// blackhole makes a1 swallow every command: the pool times them out.
func blackhole(t *testing.T, a1 *simulator.Server) { a1.SetBlackhole(true) }

// drop closes a1's connections while it holds commands: it serves the
// next ones slowly, so that they are still unanswered when it drops.
func drop(t *testing.T, a1 *simulator.Server) {
	t.Helper()
	a1.SetLatency(time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for a1.Stats().InFlight < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("a1 holds %d commands, want 3", a1.Stats().InFlight)
		}
		time.Sleep(time.Millisecond)
	}
	a1.SetLatency(2 * time.Millisecond)
	a1.DropConnections()
}

// names returns the keys of m in order.
func names(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}

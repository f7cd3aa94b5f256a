package pool

import (
	"log/slog"
	"testing"
)

// newIdlePool builds a pool of one HSM without starting any goroutine, so
// that a test can drive its health state machine probe by probe.
func newIdlePool(t *testing.T, passes, fails int, lmk string) (*Pool, *hsm) {
	t.Helper()
	cfg, err := Config{
		HSMs: []HSMConfig{{Name: "a", Addr: "127.0.0.1:1"}}, Passes: passes, Fails: fails,
		LMKCheckValue: lmk, Logger: slog.New(slog.DiscardHandler),
	}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	p := &Pool{cfg: cfg, log: cfg.Logger, lmk: lmk, ready: make(chan struct{})}
	h := &hsm{p: p, cfg: cfg.HSMs[0], conns: make([]*conn, 1)}
	h.publishConns()
	p.hsms = []*hsm{h}
	if p.m, err = newMetrics(p, nil); err != nil {
		t.Fatal(err)
	}
	return p, h
}

func TestHealthStateMachine(t *testing.T) {
	const good, bad = "0123456789ABCDEF", "FEDCBA9876543210"
	ok := probeResult{ok: true, lmk: good}
	okLower := probeResult{ok: true, lmk: "0123456789abcdef"}
	fail := probeResult{err: "no answer in time"}
	other := probeResult{ok: true, lmk: bad}
	// Passes 2, Fails 2 (thresholds stop flapping).
	steps := []struct {
		name string
		res  probeResult
		want State
	}{
		{"first pass is not enough", ok, Down},
		{"second pass brings it up", ok, Up},
		{"one failure is tolerated", fail, Up},
		{"a pass resets the failures", ok, Up},
		{"failure 1 of 2", fail, Up},
		{"failure 2 of 2 takes it down", fail, Down},
		{"hex case does not matter", okLower, Down},
		{"up again", ok, Up},
		{"another LMK quarantines at once", other, LMKMismatch},
		{"a failure keeps the quarantine", fail, LMKMismatch},
		{"one matching pass is not enough", ok, LMKMismatch},
		{"two matching passes release it", ok, Up},
	}
	p, h := newIdlePool(t, 2, 2, good)
	for _, s := range steps {
		p.applyProbe(h, s.res)
		if have := h.State(); have != s.want {
			t.Fatalf("%s: have %s, want %s", s.name, have, s.want)
		}
	}
}

func TestHealthDrainingIsSticky(t *testing.T) {
	const good = "0123456789ABCDEF"
	p, h := newIdlePool(t, 1, 1, good)
	p.applyProbe(h, probeResult{ok: true, lmk: good})
	if err := p.SetDraining("a", true); err != nil {
		t.Fatal(err)
	}
	for _, res := range []probeResult{{ok: true, lmk: good}, {err: "x"}, {ok: true, lmk: good}} {
		p.applyProbe(h, res)
		if h.State() != Draining {
			t.Fatalf("after probe %+v: have %s, want draining", res, h.State())
		}
	}
}

func TestHealthWaitsForThePoolLMK(t *testing.T) {
	// With no configured value and none adopted yet, a passing probe must
	// not bring an HSM Up: nothing to compare its LMK with.
	p, h := newIdlePool(t, 1, 1, "")
	p.applyProbe(h, probeResult{ok: true, lmk: "0123456789ABCDEF"})
	if h.State() != Down {
		t.Fatalf("have %s before the pool's LMK is known, want down", h.State())
	}
}

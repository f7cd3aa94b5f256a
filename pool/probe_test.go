package pool

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/simulator"
)

// A pool at saturation keeps its connection windows full; that is a busy
// HSM, not a dead one, and the health probes must still get through. (They
// did not: a probe that found the window full failed as "connection lost",
// and a saturated gateway took its healthy HSMs Down and answered 41.)
func TestSaturatedHSMStaysUp(t *testing.T) {
	sim := startSim(t, simulator.Config{Latency: 5 * time.Millisecond})
	cfg := testConfig(HSMConfig{Name: "a", Addr: sim.Addr(), Conns: 1})
	cfg.HealthInterval = 10 * time.Millisecond
	// The probe must get through the full window, however slowly a loaded
	// machine runs it: the timeouts are far from what is tested.
	cfg.ProbeTimeout = 2 * time.Second
	cfg.CommandTimeout = 2 * time.Second
	cfg.QueueTimeout = 5 * time.Second
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	p := newPool(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	// 1024 callers in a closed loop against one connection: its window
	// (256) is full all the time, the rest wait in the queue.
	var sent, bad atomic.Int64
	var full atomic.Bool
	stop := time.Now().Add(600 * time.Millisecond) // about 60 probe rounds
	var wg sync.WaitGroup
	for range 1024 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if hsmStatus(p, "a").InFlight >= maxWindow-probeReserve(maxWindow) {
					full.Store(true)
				}
				resp, err := p.Do(ctx, []byte("B20002ok"))
				sent.Add(1)
				if err != nil || string(resp) != "B300ok" {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if !full.Load() {
		t.Fatal("the connection's window never filled: the test did not test")
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("%d of %d commands failed at saturation", n, sent.Load())
	}
	if n := metricValue(t, reg, "payhsm_hsm_state_transitions_total", map[string]string{"hsm": "a", "state": "down"}); n != 0 {
		t.Errorf("the saturated HSM went Down %v times", n)
	}
	if s := hsmStatus(p, "a").State; s != Up {
		t.Errorf("HSM a is %s after the load", s)
	}
}

func TestProbeReserveLeavesCommandsMostOfTheWindow(t *testing.T) {
	for _, tt := range []struct{ window, reserve int }{{16, 1}, {64, 1}, {128, 2}, {256, 4}} {
		if got := probeReserve(tt.window); got != tt.reserve {
			t.Errorf("probeReserve(%d) = %d, want %d", tt.window, got, tt.reserve)
		}
	}
}

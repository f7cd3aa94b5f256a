package simulator

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRateWindowMaxPerSecond feeds the window timed arrivals and checks the
// most it saw in one second: the window slides, drops what left it, and
// forgets everything after a silence.
func TestRateWindowMaxPerSecond(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0) // on a step boundary
	every := func(w *rateWindow, from time.Time, n int, span time.Duration) {
		for i := range n {
			w.add(from.Add(time.Duration(i) * span / time.Duration(n)))
		}
	}
	tests := []struct {
		name      string
		feed      func(w *rateWindow)
		wantTotal uint64
		wantMax   uint64
	}{
		{"1000 spread over one second", func(w *rateWindow) { every(w, t0, 1000, time.Second) }, 1000, 1000},
		{"1000 in 50ms", func(w *rateWindow) { every(w, t0, 1000, 50*time.Millisecond) }, 1000, 1000},
		{
			// 600 per half second for 1.5 s: 1,200 in any second, not the
			// 1,800 of a window that never drops anything.
			"steady 1200/s for 1.5s",
			func(w *rateWindow) { every(w, t0, 1800, 1500*time.Millisecond) }, 1800, 1200,
		},
		{
			// Two bursts of 700 two seconds apart never share a second.
			"two bursts apart",
			func(w *rateWindow) {
				every(w, t0, 700, 100*time.Millisecond)
				every(w, t0.Add(2*time.Second), 700, 100*time.Millisecond)
			}, 1400, 700,
		},
		{
			// Bursts of 700 at 0 and at 0.9 s share one second.
			"two bursts within a second",
			func(w *rateWindow) {
				every(w, t0, 700, 50*time.Millisecond)
				every(w, t0.Add(900*time.Millisecond), 700, 50*time.Millisecond)
			}, 1400, 1400,
		},
		{
			// A clock stepping back counts in the newest step.
			"clock steps back",
			func(w *rateWindow) {
				every(w, t0.Add(time.Second), 10, time.Millisecond)
				every(w, t0, 10, time.Millisecond)
			}, 20, 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w rateWindow
			tt.feed(&w)
			total, perSec := w.read()
			if total != tt.wantTotal || perSec != tt.wantMax {
				t.Errorf("total %d, max per second %d; want %d, %d", total, perSec, tt.wantTotal, tt.wantMax)
			}
		})
	}
}

// TestServerCountsCommandsAndServesMetrics sends commands to a licensed
// simulator and reads its counters from Stats and from its Prometheus
// collector.
func TestServerCountsCommandsAndServesMetrics(t *testing.T) {
	s := startServer(t, Config{CPS: 200})
	c := dial(t, s.Addr(), 4)
	const n = 30
	for range n {
		c.send("0001", []byte("NC"))
	}
	readAnswers(t, c, n, 5*time.Second)
	st := s.Stats()
	if st.Received != n || st.MaxPerSecond != n {
		t.Errorf("Stats: received %d, max per second %d; want %d, %d", st.Received, st.MaxPerSecond, n, n)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Metrics())
	want := `
# HELP payhsm_sim_commands_max_per_second Most commands received in any one second since start (10 ms steps).
# TYPE payhsm_sim_commands_max_per_second gauge
payhsm_sim_commands_max_per_second 30
# HELP payhsm_sim_commands_total Commands received and executed by the simulator.
# TYPE payhsm_sim_commands_total counter
payhsm_sim_commands_total 30
# HELP payhsm_sim_connections Host connections open now.
# TYPE payhsm_sim_connections gauge
payhsm_sim_connections 1
# HELP payhsm_sim_licence_cps Licensed commands per second; 0 is unlimited.
# TYPE payhsm_sim_licence_cps gauge
payhsm_sim_licence_cps 200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	// Black-holed commands are not executed and not counted.
	s.SetBlackhole(true)
	c.send("0002", []byte("NC"))
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Blackholed == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.Blackholed != 1 || st.Received != n {
		t.Errorf("after a black-holed command: blackholed %d, received %d; want 1, %d", st.Blackholed, st.Received, n)
	}
}

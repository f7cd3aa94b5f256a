package simulator

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rateWindow counts the commands a server receives and the most of them in
// any one second since it started, so that a test can check from the HSM's
// own side that a host never offered it more than its licence. Seconds slide
// in steps of rateStep: the count is over the rateSteps steps ending with the
// current one (ours).
type rateWindow struct {
	mu    sync.Mutex
	steps [rateSteps]uint32 // commands per step, a ring indexed by step number
	at    int64             // step number of the newest step (time / rateStep)
	sum   uint64            // commands in the window ending with step at
	max   uint64
	total uint64
}

const (
	rateStep  = 10 * time.Millisecond
	rateSteps = int64(time.Second / rateStep)
)

// add counts one command received at now.
func (w *rateWindow) add(now time.Time) {
	step := now.UnixNano() / int64(rateStep)
	w.mu.Lock()
	if step > w.at {
		// Steps that left the window take their counts with them; after a
		// second or more of silence that is every step.
		for i := w.at + 1; i <= min(step, w.at+rateSteps); i++ {
			w.sum -= uint64(w.steps[i%rateSteps])
			w.steps[i%rateSteps] = 0
		}
		w.at = step
	}
	// A clock step back lands in the newest step: the count stays exact,
	// only its place in time is approximate.
	w.steps[w.at%rateSteps]++
	w.sum++
	w.max = max(w.max, w.sum)
	w.total++
	w.mu.Unlock()
}

// read returns the commands received since start and the most in one second.
func (w *rateWindow) read() (total, maxPerSecond uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total, w.max
}

// Metrics returns a Prometheus collector of the server's own counters, for
// a metrics endpoint of its own ('payhsm-gw sim --metrics'):
//
//   - payhsm_sim_commands_total: commands received and executed (black-holed
//     ones are not executed and not counted)
//   - payhsm_sim_commands_max_per_second: the most commands received in any
//     one second since start (windows slide in 10 ms steps)
//   - payhsm_sim_licence_cps: the licensed rate (Config.CPS; 0 is unlimited)
//   - payhsm_sim_connections: connections open now
//
// They are the HSM's side of the licence: a host that keeps within it never
// raises the max-per-second gauge above the licence by more than its own
// burst.
func (s *Server) Metrics() prometheus.Collector { return simCollector{s} }

var (
	simCommandsDesc = prometheus.NewDesc("payhsm_sim_commands_total",
		"Commands received and executed by the simulator.", nil, nil)
	simMaxPerSecondDesc = prometheus.NewDesc("payhsm_sim_commands_max_per_second",
		"Most commands received in any one second since start (10 ms steps).", nil, nil)
	simLicenceDesc = prometheus.NewDesc("payhsm_sim_licence_cps",
		"Licensed commands per second; 0 is unlimited.", nil, nil)
	simConnsDesc = prometheus.NewDesc("payhsm_sim_connections",
		"Host connections open now.", nil, nil)
)

type simCollector struct{ s *Server }

func (c simCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- simCommandsDesc
	ch <- simMaxPerSecondDesc
	ch <- simLicenceDesc
	ch <- simConnsDesc
}

func (c simCollector) Collect(ch chan<- prometheus.Metric) {
	total, perSec := c.s.rate.read()
	c.s.mu.Lock()
	conns := len(c.s.conns)
	c.s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(simCommandsDesc, prometheus.CounterValue, float64(total))
	ch <- prometheus.MustNewConstMetric(simMaxPerSecondDesc, prometheus.GaugeValue, float64(perSec))
	ch <- prometheus.MustNewConstMetric(simLicenceDesc, prometheus.GaugeValue, float64(c.s.cfg.CPS))
	ch <- prometheus.MustNewConstMetric(simConnsDesc, prometheus.GaugeValue, float64(conns))
}

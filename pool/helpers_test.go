package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/simtest"
	"github.com/payhsm/payhsm-gw/internal/testlog"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startSim starts a simulated HSM on 127.0.0.1:0 for one test.
func startSim(t testing.TB, cfg simulator.Config) *simulator.Server {
	t.Helper()
	return simtest.StartSim(t, cfg)
}

// otherLMK returns a variant LMK that is not the test LMK (ours).
func otherLMK(t testing.TB) *keys.LMK {
	t.Helper()
	return simtest.OtherLMK(t)
}

// testConfig returns a pool configuration with fast health settings.
func testConfig(hsms ...HSMConfig) Config {
	return Config{
		HSMs:           hsms,
		HealthInterval: 50 * time.Millisecond,
		ProbeTimeout:   500 * time.Millisecond,
		CommandTimeout: 300 * time.Millisecond,
		QueueTimeout:   200 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

// newPool starts a pool for one test, closed at the end.
func newPool(t testing.TB, cfg Config) *Pool {
	t.Helper()
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitState polls Status until the named HSM is in state want.
func waitState(t testing.TB, p *Pool, name string, want State) {
	t.Helper()
	if !simtest.WaitUntil(10*time.Second, 5*time.Millisecond, func() bool { return hsmStatus(p, name).State == want }) {
		t.Fatalf("HSM %s: have state %s, want %s", name, hsmStatus(p, name).State, want)
	}
}

func hsmStatus(p *Pool, name string) HSMStatus {
	for _, pair := range p.Status().Pairs {
		for _, h := range pair.HSMs {
			if h.Name == name {
				return h
			}
		}
	}
	return HSMStatus{}
}

// echo returns a B2 echo command carrying data (hostcmd.md §4 Health).
func echo(data string) []byte {
	return fmt.Appendf(nil, "B2%04X%s", len(data), data)
}

// spy is a TCP relay in front of an HSM that records the code and arrival
// time of every command the HSM receives: an independent witness of what
// the pool sent.
type spy struct{ *simtest.Spy }

func startSpy(t testing.TB, target string, headerLen int) *spy {
	t.Helper()
	return &spy{simtest.StartSpy(t, target, headerLen)}
}

// count returns how many commands with a code outside except the HSM got.
func (s *spy) count(except ...string) int { return s.CountExcept(except...) }

// maxInWindow returns the most commands with code (any code if "") that
// arrived within any window of length w.
func (s *spy) maxInWindow(code string, w time.Duration) int { return s.MaxInWindow(code, w) }

// metricValue reads one counter or gauge from a registry.
func metricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	return simtest.MetricValue(t, g, name, labels)
}

// is41 reports whether err is the pool's error 41.
func is41(err error) bool {
	var he *hostcmd.Error
	return errors.As(err, &he) && he.Code == hostcmd.InternalError
}

// logBuffer is a slog handler target tests can read.
type logBuffer = testlog.Buffer

// licensedPool starts a simulator behind a spy and a pool of it alone,
// licensed for cps commands a second and with a short queue timeout, so
// that load above the licence is shed; it returns once the HSM is Up.
func licensedPool(t testing.TB, cps int) (*Pool, *spy) {
	t.Helper()
	a := startSim(t, simulator.Config{})
	sp := startSpy(t, a.Addr(), 4)
	cfg := testConfig(HSMConfig{Name: "a", Addr: sp.Addr(), CPS: cps})
	cfg.QueueTimeout = 50 * time.Millisecond
	p := newPool(t, cfg)
	waitState(t, p, "a", Up)
	return p, sp
}

// flood sends echo commands through p from workers goroutines, each as
// soon as the last is answered, for d; it counts the commands answered and
// those that failed (shed).
func flood(p *Pool, workers int, d time.Duration) (ok, shed int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var nok, nshed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := p.Do(context.Background(), echo("x")); err != nil {
					nshed.Add(1)
				} else {
					nok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(nok.Load()), int(nshed.Load())
}

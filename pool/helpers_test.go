package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/simtest"
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
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

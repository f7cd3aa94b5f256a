package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startSim starts a simulated HSM on 127.0.0.1:0 for one test.
func startSim(t testing.TB, cfg simulator.Config) *simulator.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := simulator.Start(cfg)
	if err != nil {
		t.Fatalf("simulator.Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// otherLMK returns a variant LMK that is not the test LMK: every byte of
// pair i is derived from i and odd-parity adjusted (ours).
func otherLMK(t testing.TB) *keys.LMK {
	t.Helper()
	var pairs [keys.NumPairs][16]byte
	for i := range pairs {
		for j := range pairs[i] {
			pairs[i][j] = byte(i*16+j)*37 + 11
		}
		keys.AdjustParity(pairs[i][:])
	}
	lmk, err := keys.NewLMK(pairs)
	if err != nil {
		t.Fatalf("NewLMK: %v", err)
	}
	return lmk
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
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if hsmStatus(p, name).State == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("HSM %s: have state %s, want %s", name, hsmStatus(p, name).State, want)
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
type spy struct {
	t      testing.TB
	ln     net.Listener
	target string
	hl     int

	mu    sync.Mutex
	codes []string
	times []time.Time
	wg    sync.WaitGroup
}

func startSpy(t testing.TB, target string, headerLen int) *spy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &spy{t: t, ln: ln, target: target, hl: headerLen}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *spy) Addr() string { return s.ln.Addr().String() }

func (s *spy) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", s.target)
		if err != nil {
			c.Close()
			continue
		}
		s.wg.Add(2)
		go func() {
			defer s.wg.Done()
			io.Copy(c, u)
			c.Close()
		}()
		go func() {
			defer s.wg.Done()
			defer u.Close()
			r := hostcmd.NewReader(c, s.hl)
			var out []byte
			for {
				f, err := r.ReadFrame()
				if err != nil {
					return
				}
				code := f.Code()
				s.mu.Lock()
				s.codes = append(s.codes, string(code[:]))
				s.times = append(s.times, time.Now())
				s.mu.Unlock()
				out = hostcmd.AppendFrame(out[:0], f.Header(), f.Body())
				if _, err := u.Write(out); err != nil {
					return
				}
			}
		}()
	}
}

// count returns how many commands with a code outside except the HSM got.
func (s *spy) count(except ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
outer:
	for _, c := range s.codes {
		for _, e := range except {
			if c == e {
				continue outer
			}
		}
		n++
	}
	return n
}

// maxInWindow returns the most commands with code (any code if "") that
// arrived within any window of length w.
func (s *spy) maxInWindow(code string, w time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []time.Time
	for i, c := range s.codes {
		if code == "" || c == code {
			ts = append(ts, s.times[i])
		}
	}
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// metricValue reads one counter or gauge from a registry.
func metricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func hasLabel(m *dto.Metric, k, v string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == k && l.GetValue() == v {
			return true
		}
	}
	return false
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

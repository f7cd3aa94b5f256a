package gateway

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/simtest"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startSim starts a simulated HSM on 127.0.0.1:0 for one test.
func startSim(t testing.TB, cfg simulator.Config) *simulator.Server {
	t.Helper()
	return simtest.StartSim(t, cfg)
}

// poolConfig returns a pool configuration with fast health settings.
func poolConfig(hsms ...pool.HSMConfig) pool.Config {
	return pool.Config{
		HSMs:           hsms,
		HealthInterval: 50 * time.Millisecond,
		ProbeTimeout:   500 * time.Millisecond,
		CommandTimeout: 500 * time.Millisecond,
		QueueTimeout:   500 * time.Millisecond,
		Logger:         discard(),
	}
}

// startPool starts a pool and waits until the HSMs named in up are Up.
func startPool(t testing.TB, cfg pool.Config, up ...string) *pool.Pool {
	t.Helper()
	p, err := pool.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pool.New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	for _, name := range up {
		waitState(t, p, name, pool.Up)
	}
	return p
}

func waitState(t testing.TB, p *pool.Pool, name string, want pool.State) {
	t.Helper()
	if !simtest.WaitUntil(10*time.Second, 5*time.Millisecond, func() bool { return hsmState(p, name) == want }) {
		t.Fatalf("HSM %s: have state %s, want %s", name, hsmState(p, name), want)
	}
}

func hsmState(p *pool.Pool, name string) pool.State {
	for _, pair := range p.Status().Pairs {
		for _, h := range pair.HSMs {
			if h.Name == name {
				return h.State
			}
		}
	}
	return pool.Down
}

// startGateway starts the front for one test.
func startGateway(t testing.TB, cfg Config, b Backend) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	s, err := Start(cfg, b)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// frame returns LEN + header + body.
func frame(header, body string) []byte {
	return hostcmd.AppendFrame(nil, []byte(header), []byte(body))
}

// dial connects a raw client.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAnswer reads one frame with a 4-character header.
func readAnswer(t testing.TB, r *hostcmd.Reader) (header, body string) {
	t.Helper()
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	return string(f.Header()), string(f.Body())
}

// load drives pipelined B2 echo commands through addr on several
// connections, each with its own headers and payloads, and checks every
// answer: header restored, payload echoed, request order kept.
type load struct {
	t     testing.TB
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	sent  int
	ok    int
	codes map[string]int
	worst time.Duration
	bad   []string
	eofs  int // connections the gateway closed (shutdown)
}

type pendingCmd struct {
	hdr, data string
	at        time.Time
}

func startLoad(t testing.TB, addr string, conns, depth int) *load {
	l := &load{t: t, stop: make(chan struct{}), codes: map[string]int{}}
	for i := range conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		l.wg.Add(1)
		go l.run(i, nc, depth)
	}
	return l
}

func (l *load) run(id int, nc net.Conn, depth int) {
	defer l.wg.Done()
	defer nc.Close()
	queue := make(chan pendingCmd, depth)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer close(queue)
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			p := pendingCmd{hdr: fmt.Sprintf("%04X", i&0xFFFF), data: fmt.Sprintf("c%d-%d", id, i), at: time.Now()}
			select {
			case queue <- p:
			case <-l.stop:
				return
			}
			body := fmt.Sprintf("B2%04X%s", len(p.data), p.data)
			if _, err := nc.Write(frame(p.hdr, body)); err != nil {
				return
			}
			l.mu.Lock()
			l.sent++
			l.mu.Unlock()
		}
	}()
	r := hostcmd.NewReader(nc, 4)
	for p := range queue {
		f, err := r.ReadFrame()
		if err != nil {
			l.mu.Lock()
			if err == io.EOF || strings.Contains(err.Error(), "reset") {
				l.eofs++
			} else {
				l.bad = append(l.bad, fmt.Sprintf("conn %d: %v", id, err))
			}
			l.mu.Unlock()
			nc.Close()
			for range queue {
			}
			<-writerDone
			return
		}
		lat := time.Since(p.at)
		body := string(f.Body())
		l.mu.Lock()
		l.worst = max(l.worst, lat)
		switch {
		case string(f.Header()) != p.hdr:
			l.bad = append(l.bad, fmt.Sprintf("conn %d: header %q, want %q", id, f.Header(), p.hdr))
		case len(body) >= 4 && body[:4] == "B300":
			if body[4:] != p.data {
				l.bad = append(l.bad, fmt.Sprintf("conn %d: answer %q to %q (order lost)", id, body, p.data))
			}
			l.ok++
		case len(body) >= 4:
			l.codes[body[2:4]]++
		default:
			l.bad = append(l.bad, fmt.Sprintf("conn %d: short answer %q", id, body))
		}
		l.mu.Unlock()
	}
	<-writerDone
}

// finish stops sending, waits for every outstanding answer and returns
// the counts.
func (l *load) finish() (sent, ok int) {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bad {
		l.t.Error(b)
	}
	return l.sent, l.ok
}

// waitAnswered waits until at least n commands were answered.
func (l *load) waitAnswered(n int) {
	if !simtest.WaitUntil(20*time.Second, 2*time.Millisecond, func() bool { return l.answered() >= n }) {
		l.t.Fatalf("load: fewer than %d answers after 20s", n)
	}
}

// otherLMK returns a variant LMK that is not the test LMK (ours).
func otherLMK(t testing.TB) *keys.LMK {
	t.Helper()
	return simtest.OtherLMK(t)
}

// spy relays to an HSM and records the code and time of every command it
// receives: an independent witness of what the gateway sent.
type spy struct{ *simtest.Spy }

func startSpy(t testing.TB, target string) *spy {
	t.Helper()
	return &spy{simtest.StartSpy(t, target, 4)}
}

func (s *spy) count(code string) int { return s.Count(code) }

func (s *spy) countExcept(except ...string) int { return s.CountExcept(except...) }

// maxInWindow returns the most commands with code (any code if "")
// within any window w.
func (s *spy) maxInWindow(code string, w time.Duration) int { return s.MaxInWindow(code, w) }

func metricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	return simtest.MetricValue(t, g, name, labels)
}

// rawLen writes a frame with a declared length of n and no body.
func rawLen(n int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(n)) }

func (l *load) answered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

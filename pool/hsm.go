package pool

import (
	"crypto/subtle"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// hsm is one member of the pool: its connections, limiter and health.
type hsm struct {
	p      *Pool
	idx    int
	cfg    HSMConfig
	hl     int
	weight float64 // licensed rate used for spreading
	pair   uint64  // bit idx of every HSM in h's HA pair, h's own included

	state    atomic.Int32
	inflight atomic.Int64
	sent     atomic.Uint64 // commands answered, for licence use
	errRun   atomic.Int32  // consecutive 41/42 answers
	lim      *limiter

	connMu sync.Mutex
	conns  []*conn                 // by slot; nil when not connected
	view   atomic.Pointer[[]*conn] // connected ones, for lock-free picking
	rr     atomic.Uint32

	// Health, guarded by hmu.
	hmu       sync.Mutex
	passes    int
	fails     int
	lmk       string
	lastErr   string
	dialFails int
	nextDial  int64
	lastSent  uint64
	lastAt    int64
	use       float64

	kick    chan struct{}
	roundCh chan chan probeResult

	cmdCount []prometheus.Counter // by command index

	hedge hsmHedge // recent latency, hedge delay, stuck suspicion (hedge.go)
}

// pickConn returns the LMK-verified connection with the fewest commands in
// flight, or nil.
func (h *hsm) pickConn() *conn {
	v := h.view.Load()
	if v == nil || len(*v) == 0 {
		return nil
	}
	cs := *v
	start := int(h.rr.Add(1) % uint32(len(cs)))
	var best *conn
	var bestN int32
	for i := range cs {
		c := cs[(start+i)%len(cs)]
		if !c.lmkOK.Load() {
			continue
		}
		if n := c.infl.Load(); best == nil || n < bestN {
			best, bestN = c, n
		}
	}
	return best
}

func (h *hsm) publishConns() {
	var v []*conn
	for _, c := range h.conns {
		if c != nil {
			v = append(v, c)
		}
	}
	h.view.Store(&v)
}

func (h *hsm) removeConn(c *conn) {
	h.connMu.Lock()
	for i, x := range h.conns {
		if x == c {
			h.conns[i] = nil
		}
	}
	h.publishConns()
	h.connMu.Unlock()
}

func (h *hsm) connCount() int {
	v := h.view.Load()
	if v == nil {
		return 0
	}
	return len(*v)
}

// failAll fails every connection of h (the HSM itself is judged failed).
func (h *hsm) failAll(kind failKind, err error) {
	h.connMu.Lock()
	cs := append([]*conn(nil), h.conns...)
	h.connMu.Unlock()
	for _, c := range cs {
		if c != nil {
			c.fail(kind, err)
		}
	}
}

// markConns sets which connections may carry commands after the pool's
// LMK check value is known or an HSM's value changed.
func (h *hsm) markConns(poolLMK string) {
	h.connMu.Lock()
	for _, c := range h.conns {
		if c != nil {
			c.lmkOK.Store(poolLMK != "" && lmkEqual(c.lmk, poolLMK))
		}
	}
	h.connMu.Unlock()
}

// lmkEqual compares check values in constant time, ignoring hex case.
func lmkEqual(a, b string) bool {
	return subtle.ConstantTimeCompare(upper(a), upper(b)) == 1
}

func upper(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return b
}

// backoff returns the wait before the next dial after n failures in a row:
// 100ms doubling up to 5s, with a fifth of jitter.
func backoff(n int) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 6)
	d = min(d, 5*time.Second)
	return d - time.Duration(rand.Int64N(int64(d/5)+1))
}

func (h *hsm) State() State { return State(h.state.Load()) }

// kickProbe asks h's goroutine for a probe out of round (after a failure).
func (h *hsm) kickProbe() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

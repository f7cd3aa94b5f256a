package pool

import (
	"fmt"
	"sync"
)

// limiter is a token bucket holding an HSM under its licensed rate (ours).
// The bucket holds at most burst tokens, a fiftieth of a second of the
// licence (at least one), so that the rate over any second stays within
// the licence plus that burst. The rate may change while commands flow
// (SetLicenceShare).
type limiter struct {
	unlimited bool // fixed at creation: no licensed rate

	mu     sync.Mutex
	perNs  float64 // tokens per nanosecond
	burst  float64
	tokens float64
	last   int64
	share  float64 // the share last set by SetLicenceShare; 0: as configured
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return &limiter{unlimited: true}
	}
	b := max(1, perSecond/50)
	return &limiter{perNs: perSecond / 1e9, burst: b, tokens: b}
}

// setRate changes the rate to perSecond, the licence times share. Tokens
// above the new burst are dropped, so a lower rate holds at once.
func (l *limiter) setRate(perSecond, share float64) {
	if l.unlimited {
		return
	}
	l.mu.Lock()
	l.perNs = perSecond / 1e9
	l.burst = max(1, perSecond/50)
	l.tokens = min(l.tokens, l.burst)
	l.share = share
	l.mu.Unlock()
}

func (l *limiter) refill(now int64) {
	if now > l.last {
		l.tokens = min(l.burst, l.tokens+float64(now-l.last)*l.perNs)
		l.last = now
	}
}

// take takes up to n tokens and returns how many it took.
func (l *limiter) take(n int, now int64) int {
	if l.unlimited {
		return n
	}
	l.mu.Lock()
	l.refill(now)
	k := max(0, min(n, int(l.tokens)))
	l.tokens -= float64(k)
	l.mu.Unlock()
	return k
}

// force takes n tokens even if the bucket goes negative: probes are
// commands too and count against the licence, but must not wait.
func (l *limiter) force(n int, now int64) {
	if l.unlimited {
		return
	}
	l.mu.Lock()
	l.refill(now)
	l.tokens -= float64(n)
	l.mu.Unlock()
}

// giveBack returns k tokens taken but not used.
func (l *limiter) giveBack(k int) {
	if l.unlimited || k == 0 {
		return
	}
	l.mu.Lock()
	l.tokens = min(l.burst, l.tokens+float64(k))
	l.mu.Unlock()
}

// wait returns the nanoseconds until one token is available (0 if now).
func (l *limiter) wait(now int64) int64 {
	if l.unlimited {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill(now)
	if l.tokens >= 1 {
		return 0
	}
	return int64((1-l.tokens)/l.perNs) + 1
}

// SetLicenceShare sets the share of every HSM's licensed rate this pool
// may use, in (0, 1], replacing Config.LicenceShare while the pool runs:
// replicas that split the licences live call it whenever their number
// changes. A lower share holds at once (tokens above the new burst are
// dropped). HSMs without a licensed rate stay unlimited.
func (p *Pool) SetLicenceShare(share float64) error {
	if !(share > 0 && share <= 1) {
		return fmt.Errorf("pool: licence share %v: want (0, 1]", share)
	}
	for _, h := range p.hsms {
		h.lim.setRate(float64(h.cfg.CPS)*share, share)
	}
	return nil
}

// LicenceShare returns the share of every HSM's licensed rate this pool
// uses: the last SetLicenceShare, else Config.LicenceShare.
func (p *Pool) LicenceShare() float64 {
	for _, h := range p.hsms {
		if h.lim.unlimited {
			continue
		}
		h.lim.mu.Lock()
		s := h.lim.share
		h.lim.mu.Unlock()
		if s > 0 {
			return s
		}
		break
	}
	return p.cfg.LicenceShare
}

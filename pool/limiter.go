package pool

import "sync"

// limiter is a token bucket holding an HSM under its licensed rate (ours).
// The bucket holds at most burst tokens, a fiftieth of a second of the
// licence (at least one), so that the rate over any second stays within
// the licence plus that burst.
type limiter struct {
	mu     sync.Mutex
	perNs  float64 // tokens per nanosecond; 0 means unlimited
	burst  float64
	tokens float64
	last   int64
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return &limiter{}
	}
	b := max(1, perSecond/50)
	return &limiter{perNs: perSecond / 1e9, burst: b, tokens: b}
}

func (l *limiter) refill(now int64) {
	if now > l.last {
		l.tokens = min(l.burst, l.tokens+float64(now-l.last)*l.perNs)
		l.last = now
	}
}

// take takes up to n tokens and returns how many it took.
func (l *limiter) take(n int, now int64) int {
	if l.perNs == 0 {
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
	if l.perNs == 0 {
		return
	}
	l.mu.Lock()
	l.refill(now)
	l.tokens -= float64(n)
	l.mu.Unlock()
}

// giveBack returns k tokens taken but not used.
func (l *limiter) giveBack(k int) {
	if l.perNs == 0 || k == 0 {
		return
	}
	l.mu.Lock()
	l.tokens = min(l.burst, l.tokens+float64(k))
	l.mu.Unlock()
}

// wait returns the nanoseconds until one token is available (0 if now).
func (l *limiter) wait(now int64) int64 {
	if l.perNs == 0 {
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

package simulator

import (
	"sync"
	"time"
)

// throttle models a payment HSM's licensed throughput (its "CPS" licence):
// commands are admitted one after another, at least 1/cps apart, in the
// order they arrive across all connections; a command that arrives while
// the licence is busy waits for its slot in a queue instead of failing
// (ours: payShield licences are described as a throughput, not as a
// refusal policy). Slots are computed on an exact schedule, so timer
// slack delays single answers but never lowers the long-run rate.
type throttle struct {
	cps int64

	mu    sync.Mutex
	base  time.Time // start of the current busy period
	count int64     // slots handed out since base
	next  time.Time // earliest slot of the next command
}

func newThrottle(cps int) *throttle {
	return &throttle{cps: int64(cps)}
}

// admit returns the time at which a command that arrived at now may run.
func (t *throttle) admit(now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !now.Before(t.next) {
		// The licence is idle: a new busy period starts now.
		t.base, t.count = now, 0
	}
	// Slot k of a busy period is base + k/cps, computed from the start of
	// the period so that no rounding error accumulates.
	slot := t.base.Add(time.Duration(t.count * int64(time.Second) / t.cps))
	t.count++
	if t.count == t.cps*3600 {
		// Rebase every hour of busy time (exactly 3600 s) to keep
		// count*1e9 far from overflowing.
		t.base, t.count = t.base.Add(time.Hour), 0
	}
	t.next = t.base.Add(time.Duration(t.count * int64(time.Second) / t.cps))
	return slot
}

//go:build linux && !pacetfd

package conformance

import (
	"context"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK (linux/prctl.h).
const prSetTimerSlack = 29

// pacer waits for due times on the goroutine that made it: it sleeps in
// nanosleep(2) until spinMargin before the due time, then spins on the
// clock. A Go timer cannot do this: the runtime's poller sleeps in whole
// milliseconds, so a timer fires up to a millisecond late (the sender lag
// of docs/performance.md before this pacer).
type pacer struct{}

// newPacer locks the calling goroutine to its OS thread, never to be
// unlocked: the thread ends with the goroutine, and so does the 1 ns timer
// slack set on it (the default 50 µs would make every sleep that late).
func newPacer() *pacer {
	runtime.LockOSThread()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	return &pacer{}
}

// wait returns at due (or at once if due has passed), or false as soon as
// ctx has ended, within maxNap.
func (p *pacer) wait(ctx context.Context, due time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(due) - spinMargin
		if d <= 0 {
			break
		}
		ts := syscall.NsecToTimespec(int64(min(d, maxNap)))
		// syscall.Syscall, not RawSyscall: the runtime may hand this
		// thread's processor to other goroutines while it sleeps.
		_, _, _ = syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
	for time.Now().Before(due) {
	}
	return true
}

// preciseSleep says whether this system's pacer sleeps with sub-millisecond
// precision.
const preciseSleep = true

package conformance

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// pacer waits for due times: it sleeps on a timerfd(2) until a margin
// before a due time, then spins on the clock. A Go timer cannot do this:
// the runtime's poller sleeps in whole milliseconds, so a timer fires up to
// a millisecond late (the sender lag of docs/performance.md before this
// pacer). A timerfd is an hrtimer without timer slack, and its expiry
// reaches the goroutine as a readable descriptor through the same poller,
// at once: no thread is locked and no thread sleeps in a system call.
type pacer struct {
	spin time.Duration
	f    *os.File // nil if no timerfd could be made: then time.Sleep
	its  itimerspec
	tick [8]byte // a timerfd read: the number of expiries
}

// itimerspec is struct itimerspec of timerfd_settime(2).
type itimerspec struct{ interval, value syscall.Timespec }

const clockMonotonic = 1 // CLOCK_MONOTONIC, the clock of Go's monotonic time

// newPacer returns a pacer that spins for the last spin of each wait.
func newPacer(spin time.Duration) *pacer {
	p := &pacer{spin: spin}
	fd, _, e := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e == 0 {
		p.f = os.NewFile(fd, "timerfd")
	}
	return p
}

// wait returns at due (or at once if due has passed), or false as soon as
// ctx has ended, checked at least every maxNap.
func (p *pacer) wait(ctx context.Context, due time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(due) - p.spin
		if d <= 0 {
			break
		}
		p.sleep(min(d, maxNap))
	}
	for time.Now().Before(due) {
	}
	return true
}

// sleep sleeps for d.
func (p *pacer) sleep(d time.Duration) {
	if p.f != nil {
		p.its.value = syscall.NsecToTimespec(int64(d))
		_, _, e := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, p.f.Fd(), 0, uintptr(unsafe.Pointer(&p.its)), 0, 0, 0)
		if e == 0 {
			if _, err := p.f.Read(p.tick[:]); err == nil {
				return
			}
		}
		p.f.Close()
		p.f = nil
	}
	time.Sleep(d)
}

func (p *pacer) close() {
	if p.f != nil {
		p.f.Close()
	}
}

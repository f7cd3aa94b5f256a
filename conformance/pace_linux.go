package conformance

import (
	"syscall"
	"time"
)

// nap sleeps for d in clock_nanosleep(2) on the calling thread, which the
// sender has locked: the kernel's hrtimer wakes this very thread, without
// the runtime's poller (which rounds its waits to whole milliseconds) or
// a hand-off to another thread.
func nap(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: the caller's loop sleeps again
}

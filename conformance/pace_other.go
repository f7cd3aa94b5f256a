//go:build !linux

package conformance

import "time"

// nap sleeps for d with a Go timer: the precision is the runtime's (about
// a millisecond on most systems), which the pacer's spin margin covers.
func nap(d time.Duration) { time.Sleep(d) }

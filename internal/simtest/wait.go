package simtest

import "time"

// WaitUntil calls cond every interval until it returns true or timeout has
// passed, and reports whether it returned true (ours). Tests use it to wait
// for a state that other goroutines reach, never to measure time.
func WaitUntil(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(interval)
	}
	return false
}

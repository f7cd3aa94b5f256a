//go:build !linux

package conformance

import (
	"context"
	"time"
)

// pacer waits for due times with a Go timer: the precision is the
// runtime's (about a millisecond on most systems), which the report's
// sender lag then shows; the precise pacer is Linux's.
type pacer struct{}

func newPacer(time.Duration) *pacer { return &pacer{} }

// wait returns at due or later (at once if due has passed), or false as
// soon as ctx has ended, checked at least every maxNap.
func (p *pacer) wait(ctx context.Context, due time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(due)
		if d <= 0 {
			return true
		}
		time.Sleep(min(d, maxNap))
	}
}

func (p *pacer) close() {}

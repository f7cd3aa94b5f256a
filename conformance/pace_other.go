//go:build !linux

package conformance

import (
	"context"
	"time"
)

// pacer waits for due times with a Go timer: the precision is the
// runtime's (about a millisecond on most systems), which the report's
// sender lag then shows; the precise pacer is Linux's.
type pacer struct{ t *time.Timer }

func newPacer() *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{t: t}
}

// wait returns at due or later (at once if due has passed), or false as
// soon as ctx has ended.
func (p *pacer) wait(ctx context.Context, due time.Time) bool {
	if d := time.Until(due); d > 0 {
		p.t.Reset(d)
		select {
		case <-p.t.C:
		case <-ctx.Done():
			p.t.Stop()
			return false
		}
	}
	return ctx.Err() == nil
}

const preciseSleep = false

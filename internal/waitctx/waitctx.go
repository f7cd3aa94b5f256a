// Package waitctx waits for a sync.WaitGroup no longer than a context
// allows: the graceful shutdowns of the gateway front and the simulator.
package waitctx

import (
	"context"
	"sync"
)

// Wait returns nil once wg's count reaches zero, or ctx's error if ctx ends
// first. In that case a goroutine goes on waiting for wg; the caller is
// expected to end what wg counts (close its connections) at once.
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

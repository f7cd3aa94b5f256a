package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RoundTripCloser is a RoundTripper over a connection that can be closed;
// *hostcmd.Client is one.
type RoundTripCloser interface {
	RoundTripper
	Close() error
}

// Redialer is a RoundTripper that survives a lost connection: after a
// failed round trip (no answer, a broken connection, a case that timed
// out and so may have left an answer in flight) it closes the connection,
// and the next round trip dials a new one. Only the case whose round trip
// failed fails; the suite goes on (ours). It is safe for concurrent use,
// but one Redialer per worker keeps cases from sharing a failure.
type Redialer struct {
	// Dial opens a connection to the target.
	Dial func(ctx context.Context) (RoundTripCloser, error)

	mu      sync.Mutex
	c       RoundTripCloser
	redials int
}

// Connect dials a connection now unless one is open, so that an
// unreachable target is known before the first case.
func (r *Redialer) Connect(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := r.conn(ctx)
	return err
}

// conn returns the open connection or dials one; r.mu is held.
func (r *Redialer) conn(ctx context.Context) (RoundTripCloser, error) {
	if r.c == nil {
		c, err := r.Dial(ctx)
		if err != nil {
			return nil, fmt.Errorf("connecting: %w", err)
		}
		r.c = c
	}
	return r.c, nil
}

// RoundTrip sends body on the current connection, dialling one first if
// there is none.
func (r *Redialer) RoundTrip(ctx context.Context, body []byte) ([]byte, error) {
	r.mu.Lock()
	c, err := r.conn(ctx)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	resp, err := c.RoundTrip(ctx, body)
	if err != nil {
		r.mu.Lock()
		if r.c == c {
			r.c = nil
			r.redials++
			c.Close()
		}
		r.mu.Unlock()
	}
	return resp, err
}

// Drops returns how many connections a failed round trip closed.
func (r *Redialer) Drops() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.redials
}

// Close closes the current connection, if any.
func (r *Redialer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c == nil {
		return nil
	}
	err := r.c.Close()
	r.c = nil
	return err
}

// Select keeps only the cases of the commands in only (all when only is
// empty), less those in skip. Each code is two letters or digits.
func (s *Suite) Select(only, skip []string) error {
	set := func(codes []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, c := range codes {
			if len(c) != 2 || !isCodeChar(c[0]) || !isCodeChar(c[1]) {
				return nil, fmt.Errorf("conformance: command code %q: want two letters or digits", c)
			}
			m[c] = true
		}
		return m, nil
	}
	o, err := set(only)
	if err != nil {
		return err
	}
	k, err := set(skip)
	if err != nil {
		return err
	}
	kept := s.Cases[:0:0]
	for _, c := range s.Cases {
		if (len(o) == 0 || o[c.Command]) && !k[c.Command] {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		return errors.New("conformance: no case left after --only and --skip")
	}
	s.Cases = kept
	return nil
}

func isCodeChar(b byte) bool { return b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' }

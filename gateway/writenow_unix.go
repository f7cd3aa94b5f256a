//go:build unix

package gateway

import (
	"syscall"

	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// nbWrite is the state of one non-blocking write, kept in the client so
// that the callback given to RawConn.Write is made once per connection and
// the hot path does not allocate a closure. Guarded by the client's wmu.
type nbWrite struct {
	buf []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

// writeNow writes what the socket accepts without waiting (the descriptor
// is non-blocking; the callback never asks to wait for writability).
// Called with wmu held.
func (c *client) writeNow(b []byte) (int, error) {
	w := &c.nb
	if w.fn == nil {
		w.fn = w.write
	}
	w.buf, w.n, w.err = b, 0, nil
	err := c.raw.Write(w.fn)
	if err == nil {
		err = w.err
	}
	n := w.n
	w.buf = nil
	return n, err
}

func (w *nbWrite) write(fd uintptr) bool {
	for w.n < len(w.buf) {
		m, e := rawio.Write(fd, w.buf[w.n:])
		if m > 0 {
			w.n += m
		}
		if e == syscall.EINTR {
			continue
		}
		if e != nil && e != syscall.EAGAIN {
			w.err = e
		}
		if e != nil || m <= 0 {
			break
		}
	}
	return true // never wait: what is left goes to the writer goroutine
}

//go:build unix

package gateway

import "syscall"

// writeNow writes what the socket accepts without waiting (the descriptor
// is non-blocking; the callback never asks to wait for writability).
func (c *client) writeNow(b []byte) (int, error) {
	n := 0
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e != nil && e != syscall.EAGAIN {
				werr = e
			}
			if e != nil || m <= 0 {
				break
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}

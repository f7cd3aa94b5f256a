//go:build unix && !linux

package rawio

import "syscall"

// Write is write(2) on a non-blocking descriptor; the error is a
// syscall.Errno (EAGAIN when nothing could be written).
func Write(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := syscall.Write(int(fd), p)
	if n < 0 {
		n = 0
	}
	return n, err
}

package rawio

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Conn reads and writes one TCP connection's descriptor with raw system
// calls, waiting for readiness through the net poller.
type Conn struct {
	rc syscall.RawConn

	// Per-call state, kept here so that the callbacks given to the
	// RawConn are made once and a call does not allocate.
	rbuf []byte
	rn   int
	rerr error
	rfn  func(uintptr) bool

	wbuf []byte
	wn   int
	werr error
	wfn  func(uintptr) bool
}

// New returns a Conn for nc, or nil when nc is not a *net.TCPConn (a TLS
// connection, say) or the raw path is switched off (Enabled).
func New(nc net.Conn) *Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok || !Enabled {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &Conn{rc: rc}
	c.rfn, c.wfn = c.read, c.write
	return c
}

// Read reads into p as the connection's Read does, deadlines included. It
// must not be called concurrently with itself; it may run alongside Write.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rbuf, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.rfn)
	c.rbuf = nil
	if err != nil {
		return 0, err
	}
	return c.rn, c.rerr
}

func (c *Conn) read(fd uintptr) bool {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return false // wait for readability
		case e != 0:
			c.rerr = os.NewSyscallError("read", e)
		case r == 0:
			c.rerr = io.EOF
		default:
			c.rn = int(r)
		}
		return true
	}
}

// Write writes all of p as the connection's Write does, deadlines
// included: it returns early only with an error. It must not be called
// concurrently with itself; it may run alongside Read.
func (c *Conn) Write(p []byte) (int, error) {
	c.wbuf, c.wn, c.werr = p, 0, nil
	err := c.rc.Write(c.wfn)
	n := c.wn
	c.wbuf = nil
	if err == nil {
		err = c.werr
	}
	return n, err
}

func (c *Conn) write(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, err := Write(fd, c.wbuf[c.wn:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false // wait for writability
		case err != nil:
			c.werr = os.NewSyscallError("write", err)
			return true
		}
		c.wn += n
	}
	return true
}

// Write is write(2) on a non-blocking descriptor, as a raw call; the error
// is a syscall.Errno (EAGAIN when nothing could be written).
func Write(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// Recvmsg is recvmsg(2) with one buffer and no flags on a non-blocking
// descriptor, as a raw call; it returns the bytes read into p and oob. The
// error is a syscall.Errno.
func Recvmsg(fd uintptr, p, oob []byte) (n, oobn int, err error) {
	var iov syscall.Iovec
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	var msg syscall.Msghdr
	msg.Iov = &iov
	msg.Iovlen = 1
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), 0)
	if e != 0 {
		return 0, 0, e
	}
	return int(r), int(msg.Controllen), nil
}

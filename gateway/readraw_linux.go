//go:build linux

package gateway

import (
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// tcpInq is Linux's TCP_INQ socket option (tcp(7), since 4.18): with it
// set, each recvmsg carries a control message with the bytes left to
// read after it, and a non-zero count once the peer's FIN has been read.
const tcpInq = 36

// readRaw is the read loop on the raw descriptor; it returns false, having
// read nothing, where TCP_INQ cannot be set, for readConn to take over.
//
// A net.Conn read that returns data is followed by another that finds
// nothing before the goroutine parks: one wasted system call per command
// for a client that waits for each answer, about a third of the front's
// system calls. Here TCP_INQ says when a read has emptied the socket, FIN
// included, and the loop then waits for the poller's next readiness edge
// instead of reading again. That is sound only within one RawConn.Read
// call, which clears the readiness state once, on entry; so each call's
// first callback reads before it may wait. The callback never blocks
// (Close waits for it to return): for the client's backlog or a full
// pipeline it returns, and the loop waits outside. The reads are raw
// calls (package rawio says why).
func (c *client) readRaw(r *reading) bool {
	var serr error
	err := c.raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpInq, 1)
	})
	if err != nil || serr != nil {
		return false
	}
	oob := make([]byte, syscall.CmsgSpace(4))
	var next readStep
	backlog := false
	fn := func(fd uintptr) bool {
		for {
			if c.backlogged() {
				backlog = true
				return true
			}
			if !c.armRead(false) {
				next = readStop
				return true
			}
			m, oobn, err := rawio.Recvmsg(fd, r.buf[r.end:], oob)
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				return false
			}
			var rerr error
			switch {
			case err != nil:
				m, oobn, rerr = 0, 0, os.NewSyscallError("recvmsg", err)
			case m == 0:
				rerr = io.EOF
			}
			if next = c.afterRead(r, m, rerr, false); next != readMore {
				return true
			}
			if c.isStopped() {
				// afterRead may have armed a frame deadline over the
				// past one of stopReading.
				next = readStop
				return true
			}
			if inq(oob[:oobn]) == 0 {
				return false // empty, no FIN: wait for the next edge
			}
		}
	}
	for {
		next, backlog = readMore, false
		err := c.raw.Read(fn)
		switch {
		case backlog:
			if !c.beforeRead() {
				return true
			}
		case next == readStop:
			return true
		case next == readFull:
			if !c.waitSpace() {
				return true
			}
			c.readArmed = time.Time{} // re-arm after the pause
			if c.afterRead(r, 0, nil, true) == readStop {
				return true
			}
		case err != nil:
			// A deadline passed, or the connection closed, while waiting.
			if c.afterRead(r, 0, err, true) == readStop {
				return true
			}
		}
	}
}

// inq returns the TCP_INQ count of a recvmsg's control messages, or -1
// if they carry none. oob is a buffer from make, so aligned for the
// headers the kernel wrote into it.
func inq(oob []byte) int {
	hdr := syscall.CmsgLen(0)
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		n := int(h.Len)
		if n < hdr || n > len(oob) {
			return -1
		}
		if h.Level == syscall.SOL_TCP && h.Type == tcpInq && n >= hdr+4 {
			return int(*(*int32)(unsafe.Pointer(&oob[hdr])))
		}
		oob = oob[min(len(oob), syscall.CmsgSpace(n-hdr)):]
	}
	return -1
}

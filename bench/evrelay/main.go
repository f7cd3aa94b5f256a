//go:build linux

// Command evrelay is a measuring instrument, not part of the gateway: the
// least a relay can do for host commands, to bound what any design could
// gain over HAProxy on a given machine. One thread runs one epoll loop over
// every socket. It forwards all the frames of one client read to the
// backend connection with the fewest commands pending, merges into one
// write per backend connection what a round of the loop read, and answers
// each client with one write per round. It has no header rewriting, no
// health, no failover, no licence limit, no audit and no metrics; backends
// must answer in order on each connection (the simulator does), and a
// backend's failure ends the process.
//
//	evrelay -listen 127.0.0.1:1600 -backends 127.0.0.1:1501,127.0.0.1:1502 -conns 2
//
// bench/compare.sh runs it as a fourth path with EVRELAY=1.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// peer is one socket of the loop: a client, or a connection to a backend.
type peer struct {
	fd      int
	backend bool
	in      []byte // read, not yet framed
	out     []byte // to write
	dirty   bool   // in the round's list of peers to write
	outOn   bool   // registered for EPOLLOUT
	closed  bool
	pending []*peer // backend: the client of each command written, in order
	head    int     // backend: pending[head] is answered next
}

type relay struct {
	addr     string     // where clients connect
	files    []*os.File // own the descriptors
	ep       int
	lfd      int
	backends []*peer
	byFD     map[int]*peer
	dirty    []*peer
	next     int
	buf      []byte
	err      error // a backend failed: the loop ends
}

func main() {
	listen := flag.String("listen", "127.0.0.1:1600", "address `HOST:PORT` for clients")
	backends := flag.String("backends", "", "backend addresses, comma-separated")
	conns := flag.Int("conns", 2, "connections per backend")
	flag.Parse()
	if *backends == "" || *conns < 1 {
		fmt.Fprintln(os.Stderr, "evrelay: -backends and -conns ≥ 1 are needed")
		os.Exit(2)
	}
	// The loop is the only goroutine that works: keep it on one thread.
	runtime.LockOSThread()
	r, err := newRelay(*listen, strings.Split(*backends, ","), *conns)
	if err != nil {
		fail(err)
	}
	fail(r.loop())
}

// newRelay connects to the backends and listens for clients.
func newRelay(listen string, backends []string, conns int) (*relay, error) {
	r := &relay{byFD: map[int]*peer{}, buf: make([]byte, 256<<10)}
	var err error
	if r.ep, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return nil, err
	}
	for _, addr := range backends {
		for range conns {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			f, err := nc.(*net.TCPConn).File()
			if err != nil {
				return nil, err
			}
			nc.Close() // f holds a duplicate of the descriptor
			r.files = append(r.files, f)
			b := &peer{fd: int(f.Fd()), backend: true}
			r.backends = append(r.backends, b)
			if err := r.add(b); err != nil {
				return nil, err
			}
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	r.addr = ln.Addr().String()
	lf, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, err
	}
	ln.Close()
	r.files = append(r.files, lf)
	r.lfd = int(lf.Fd())
	if err := syscall.SetNonblock(r.lfd, true); err != nil {
		return nil, err
	}
	if err := syscall.EpollCtl(r.ep, syscall.EPOLL_CTL_ADD, r.lfd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(r.lfd)}); err != nil {
		return nil, err
	}
	return r, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "evrelay:", err)
	os.Exit(1)
}

func (r *relay) add(p *peer) error {
	if err := syscall.SetNonblock(p.fd, true); err != nil {
		return err
	}
	r.byFD[p.fd] = p
	return syscall.EpollCtl(r.ep, syscall.EPOLL_CTL_ADD, p.fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.fd)})
}

// loop waits for readiness, handles every ready socket, then writes what
// the round produced; it returns when a backend fails.
func (r *relay) loop() error {
	events := make([]syscall.EpollEvent, 512)
	for {
		n, err := syscall.EpollWait(r.ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == r.lfd {
				r.accept()
				continue
			}
			p := r.byFD[fd]
			if p == nil {
				continue
			}
			if ev.Events&syscall.EPOLLOUT != 0 {
				r.flush(p)
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 && !p.closed {
				r.read(p)
			}
		}
		for _, p := range r.dirty {
			p.dirty = false
			if !p.closed {
				r.flush(p)
			}
		}
		r.dirty = r.dirty[:0]
		if r.err != nil {
			return r.err
		}
	}
}

func (r *relay) accept() {
	for {
		fd, _, err := syscall.Accept4(r.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
			syscall.Close(fd)
			continue
		}
		if r.add(&peer{fd: fd}) != nil {
			syscall.Close(fd)
		}
	}
}

// read takes one read from p and routes the whole frames in it.
func (r *relay) read(p *peer) {
	m, e := rawCall(syscall.SYS_READ, p.fd, r.buf)
	switch {
	case e == syscall.EAGAIN || e == syscall.EINTR:
		return
	case e != 0 || m == 0:
		if p.backend {
			r.err = fmt.Errorf("backend connection lost: %v", errnoOrEOF(e))
			return
		}
		r.close(p)
		return
	}
	p.in = append(p.in, r.buf[:m]...)
	rest := p.in
	var to *peer
	if !p.backend {
		to = r.pick()
	}
	for len(rest) >= 2 {
		n := 2 + (int(rest[0])<<8 | int(rest[1]))
		if len(rest) < n {
			break
		}
		frame := rest[:n]
		rest = rest[n:]
		if !p.backend {
			to.out = append(to.out, frame...)
			to.pending = append(to.pending, p)
			r.mark(to)
			continue
		}
		if p.head == len(p.pending) {
			r.err = fmt.Errorf("backend answered a command it was not sent")
			return
		}
		c := p.pending[p.head]
		p.pending[p.head] = nil
		p.head++
		if !c.closed {
			c.out = append(c.out, frame...)
			r.mark(c)
		}
	}
	p.in = p.in[:copy(p.in, rest)]
	if p.backend && p.head > 1024 && 2*p.head > len(p.pending) {
		p.pending = p.pending[:copy(p.pending, p.pending[p.head:])]
		p.head = 0
	}
}

// pick returns the backend connection with the fewest commands pending.
func (r *relay) pick() *peer {
	var best *peer
	for i := range r.backends {
		b := r.backends[(r.next+i)%len(r.backends)]
		if best == nil || len(b.pending)-b.head < len(best.pending)-best.head {
			best = b
		}
	}
	r.next++
	return best
}

func (r *relay) mark(p *peer) {
	if !p.dirty {
		p.dirty = true
		r.dirty = append(r.dirty, p)
	}
}

// flush writes what the socket takes and waits for EPOLLOUT for the rest.
func (r *relay) flush(p *peer) {
	for len(p.out) > 0 {
		n, e := rawCall(syscall.SYS_WRITE, p.fd, p.out)
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			break
		}
		if e != 0 {
			if p.backend {
				r.err = fmt.Errorf("backend write: %v", e)
				return
			}
			r.close(p)
			return
		}
		p.out = p.out[:copy(p.out, p.out[n:])]
	}
	if want := len(p.out) > 0; want != p.outOn {
		p.outOn = want
		ev := uint32(syscall.EPOLLIN)
		if want {
			ev |= syscall.EPOLLOUT
		}
		if err := syscall.EpollCtl(r.ep, syscall.EPOLL_CTL_MOD, p.fd, &syscall.EpollEvent{Events: ev, Fd: int32(p.fd)}); err != nil {
			r.err = err
		}
	}
}

func (r *relay) close(p *peer) {
	p.closed = true
	delete(r.byFD, p.fd)
	syscall.EpollCtl(r.ep, syscall.EPOLL_CTL_DEL, p.fd, nil)
	syscall.Close(p.fd)
}

func errnoOrEOF(e syscall.Errno) error {
	if e == 0 {
		return io.EOF
	}
	return e
}

// rawCall is read(2) or write(2) on a non-blocking descriptor without the
// runtime's system-call bookkeeping (it never blocks).
func rawCall(trap uintptr, fd int, b []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}

package pool

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// Why a connection failed; the kind decides what it says about the HSM.
type failKind int

const (
	failConn    failKind = iota // read or write error, or the HSM closed it
	failTimeout                 // a written command got no answer in CommandTimeout
	failProto                   // the HSM broke the framing or answered out of step
	failCascade                 // its HSM failed on another connection
	failClosed                  // the pool is closing
)

var (
	errTimeout = errors.New("no answer within the command timeout")
	errCascade = errors.New("HSM failed on another connection")
	errClosed  = errors.New("pool closed")
)

// maxWindow is the most commands in flight on one connection (fewer with
// a 1- or 2-character header: hostcmd.Window).
const maxWindow = 256

// conn is one persistent, pipelined connection to an HSM. Its
// hostcmd.Window numbers the commands, writes their headers and matches
// the answers (in order with no header).
type conn struct {
	p   *Pool
	h   *hsm
	nc  net.Conn
	rw  io.ReadWriter // nc, or on Linux its descriptor through rawio
	hl  int
	lmk string // check value this connection's own NC last reported (h.connMu)
	// lmkOK is set once the connection's check value matched the pool's;
	// only such connections carry commands.
	lmkOK atomic.Bool
	infl  atomic.Int32
	// limit is HSMConfig.MaxInFlight (0: the window). probeOut is set while
	// a probe written on the connection is unanswered, so probes never pile
	// up; probeWait counts probes waiting for a slot of a limited
	// connection, which commands then leave to them.
	limit     int
	probeOut  atomic.Bool
	probeWait atomic.Int32

	mu       sync.Mutex
	win      *hostcmd.Window[*Request] // the commands in flight
	written  uint64                    // sequence numbers below it were handed to Write
	wbuf     []byte
	wakeSent bool
	broken   bool
	werr     error // a write failed: no new commands; the reader drains answers

	wake chan struct{}
	done chan struct{}
}

// dial opens a connection to h, asks it NC on the raw stream to learn its
// LMK check value, and starts its reader and writer.
func (h *hsm) dial(ctx context.Context) (*conn, error) {
	var nc net.Conn
	var err error
	if dial := h.p.cfg.dial; dial != nil {
		nc, err = dial(ctx, h.cfg.Addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", h.cfg.Addr)
	}
	if err != nil {
		return nil, err
	}
	if h.cfg.TLS != nil {
		cfg := h.cfg.TLS
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			// Verify the name we dialled, as tls.Dial would.
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(h.cfg.Addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		nc = tc
	}
	c := &conn{
		p: h.p, h: h, nc: nc, rw: nc, hl: h.hl, limit: h.cfg.MaxInFlight,
		win:  hostcmd.NewWindow[*Request](h.hl, maxWindow, maxWindow),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	lmk, err := c.handshake(ctx)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.lmk = lmk
	if r := rawio.New(nc); r != nil {
		c.rw = r
	}
	c.written = c.win.Next()
	h.p.connWG.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// handshake sends NC with the header of sequence number 0, which the
// window gives to no command before it wraps, and reads the answer
// synchronously.
func (c *conn) handshake(ctx context.Context) (string, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	c.h.lim.force(1, nanotime())
	hdr := make([]byte, c.hl)
	c.win.Header(hdr, 0)
	if _, err := c.nc.Write(hostcmd.AppendFrame(nil, hdr, []byte("NC"))); err != nil {
		return "", err
	}
	f, err := hostcmd.NewReader(c.nc, c.hl).ReadFrame()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	if string(f.Header()) != string(hdr) {
		return "", errors.New("NC answer carries another header")
	}
	return parseND(f.Body())
}

// parseND checks an NC answer and returns its LMK check value.
func parseND(body []byte) (string, error) {
	if len(body) < 4 || body[0] != 'N' || body[1] != 'D' {
		return "", errors.New("NC answer is not ND")
	}
	if code := string(body[2:4]); code != string(hostcmd.OK) {
		return "", fmt.Errorf("NC answered error %s", code)
	}
	if len(body) < 20 || !isHex(body[4:20]) {
		return "", errors.New("NC answer lacks a 16H LMK check value")
	}
	return string(body[4:20]), nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// probeReserve is how many of a connection's window slots only health
// probes may take, so that a connection that commands keep full (a busy
// HSM, not a dead one) still answers its probes: without it a saturated
// pool took healthy HSMs Down (ours).
func probeReserve(window int) int { return max(1, window/64) }

// send writes as many of batch as the window allows, in order, and returns
// how many it took. The caller has taken licence tokens for them.
func (c *conn) send(batch []*Request, now int64) int {
	c.mu.Lock()
	if c.broken || c.werr != nil {
		c.mu.Unlock()
		return 0
	}
	window := c.win.Max()
	switch {
	case c.limit > 0:
		// An HSM that takes few commands at once gets exactly that;
		// a waiting probe goes before further commands.
		window = min(window, c.limit)
		if !batch[0].probe && c.probeWait.Load() > 0 {
			window = 0
		}
	case !batch[0].probe:
		window -= probeReserve(window)
	}
	// Free: an unanswered command holds the window's room from it on.
	k := max(0, min(len(batch), window-c.win.Len(), c.win.Free()))
	var hdr [hostcmd.MaxHeaderLen]byte
	for _, r := range batch[:k] {
		r.seq, _ = c.win.Add(hdr[:c.hl], r)
		r.hsm = c.h
		r.sentAt = now
		if !r.probe {
			r.attempts++
		}
		c.wbuf = hostcmd.AppendFrame(c.wbuf, hdr[:c.hl], r.Body)
	}
	wake := k > 0 && !c.wakeSent
	if wake {
		c.wakeSent = true
	}
	c.mu.Unlock()
	if k > 0 {
		c.infl.Add(int32(k))
		c.h.inflight.Add(int64(k))
	}
	if wake {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return k
}

// writeLoop writes what send queued, many clients' frames in one write
// (hostcmd.WriteLoop): on this workload the number of writes, not the
// bytes, decides the CPU cost.
func (c *conn) writeLoop() {
	defer c.p.connWG.Done()
	var armed time.Time
	err := hostcmd.WriteLoop(c.rw, c.wake, c.done, func(buf []byte) []byte {
		c.mu.Lock()
		c.wakeSent = false
		buf, c.wbuf = c.wbuf, buf
		c.written = c.win.Next()
		c.mu.Unlock()
		if len(buf) == 0 {
			return buf
		}
		if now := time.Now(); now.Sub(armed) > c.p.cfg.CommandTimeout/4 {
			armed = now // re-armed at a quarter of its span: see gateway
			c.nc.SetWriteDeadline(now.Add(c.p.cfg.CommandTimeout))
		}
		return buf
	})
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The HSM stopped reading: no answer is coming either.
		c.fail(failConn, err)
	default:
		c.writeFailed(err)
	}
}

// readLoop reads responses, matches them to their commands and completes
// them, then flushes each Sink once per read.
func (c *conn) readLoop() {
	defer c.p.connWG.Done()
	buf := make([]byte, 64<<10)
	start, end := 0, 0
	var done []*Request
	var sinks []Sink
	for {
		n, err := c.rw.Read(buf[end:])
		if err != nil {
			c.mu.Lock()
			if c.werr != nil {
				err = c.werr // the cause
			}
			c.mu.Unlock()
			c.fail(failConn, err)
			return
		}
		end += n
		done = done[:0]
		c.mu.Lock()
		var perr error
		for {
			f, m, ferr := hostcmd.SplitFrame(buf[start:end], c.hl)
			if ferr != nil {
				perr = ferr
				break
			}
			if m == 0 {
				break
			}
			r, _, ok := c.win.Match(f.Header())
			if !ok {
				perr = errors.New("answer to no pending command")
				break
			}
			r.Resp = append(r.Resp[:0], f.Body()...)
			done = append(done, r)
			start += m
		}
		c.mu.Unlock()
		if len(done) > 0 {
			c.infl.Add(-int32(len(done)))
			c.h.inflight.Add(-int64(len(done)))
			now := nanotime()
			sinks = sinks[:0]
			for _, r := range done {
				sinks = addSink(sinks, r.sink)
				c.p.answered(r, now)
			}
			for _, s := range sinks {
				s.Flush()
			}
			if c.p.qlen.Load() > 0 {
				c.p.kickDispatcher()
			}
		}
		if perr != nil {
			c.fail(failProto, perr)
			return
		}
		if start == end {
			start, end = 0, 0
		} else if len(buf)-end < hostcmd.MaxFrameLen+2 {
			end = copy(buf, buf[start:end])
			start = 0
		}
	}
}

// oldest returns the send time of the oldest pending command, or -1.
func (c *conn) oldest() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, _, ok := c.win.Oldest(); ok && !c.broken {
		return r.sentAt
	}
	return -1
}

// writeFailed takes the connection out of service after a write failed
// other than by its timeout, but leaves its commands to the reader:
// answers to them may already be in the socket. An HSM that answers and then resets the connection fails the
// next write before the reader has taken those answers, and failing them
// then would send commands the HSM executed to another HSM, or answer 41.
// The reader goes on until the stream ends, at most
// hostcmd.WriteFailDrain, and
// then fail sends on what is left.
func (c *conn) writeFailed(err error) {
	c.mu.Lock()
	if c.broken || c.werr != nil {
		c.mu.Unlock()
		return
	}
	c.werr = err
	c.wbuf = nil
	c.mu.Unlock()
	c.h.removeConn(c)
	c.nc.SetReadDeadline(time.Now().Add(hostcmd.WriteFailDrain))
}

// fail closes the connection once and sends its pending commands on: the
// ones never written anywhere, the written ones only if safe to repeat.
func (c *conn) fail(kind failKind, err error) {
	c.mu.Lock()
	if c.broken {
		c.mu.Unlock()
		return
	}
	c.broken = true
	pend := c.win.TakeAll(nil)
	written := c.written
	c.wbuf = nil
	c.mu.Unlock()
	close(c.done)
	c.nc.Close()
	c.infl.Store(0)
	c.h.inflight.Add(-int64(len(pend)))
	c.h.removeConn(c)
	c.p.connFailed(c, kind, err)
	var sinks []Sink
	now := nanotime()
	for _, r := range pend {
		sinks = addSink(sinks, r.sink)
		c.p.redispatch(r, r.seq < written, now)
	}
	for _, s := range sinks {
		s.Flush()
	}
}

func addSink(sinks []Sink, s Sink) []Sink {
	for _, x := range sinks {
		if x == s {
			return sinks
		}
	}
	return append(sinks, s)
}

// isBroken reports whether c takes no more commands.
func (c *conn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken || c.werr != nil
}

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
	"github.com/payhsm/payhsm-gw/internal/hexdigit"
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

// maxWindow is the most commands in flight on one connection.
const maxWindow = 256

// conn is one persistent, pipelined connection to an HSM. Commands get the
// connection's sequence number, in hex, as their message header; responses
// are matched by it. With no header they are matched in order.
type conn struct {
	p    *Pool
	h    *hsm
	nc   net.Conn
	rw   io.ReadWriter // nc, or on Linux its descriptor through rawio
	hl   int
	mask uint64 // window-1, window a power of two
	mod  uint64 // header ids are seq mod 16^hl (0: no reduction)
	lmk  string // check value this connection's own NC last reported (h.connMu)
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
	slots    []*Request
	next     uint64 // next sequence number
	tail     uint64 // oldest sequence number that may be pending
	inflight int
	written  uint64 // sequence numbers below it were handed to Write
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
		slots: make([]*Request, maxWindow),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	window := uint64(maxWindow)
	if h.hl > 0 && h.hl < 16 {
		c.mod = 1 << (4 * h.hl)
		window = min(window, c.mod)
	}
	c.mask = window - 1
	lmk, err := c.handshake(ctx)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.lmk = lmk
	if r := rawio.New(nc); r != nil {
		c.rw = r
	}
	c.next, c.tail, c.written = 1, 1, 1
	h.p.connWG.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// handshake sends NC with header id 0 and reads the answer synchronously.
func (c *conn) handshake(ctx context.Context) (string, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	c.h.lim.force(1, nanotime())
	hdr := c.appendHeader(make([]byte, 0, hostcmd.MaxHeaderLen), 0)
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

const hexDigits = "0123456789ABCDEF"

// appendHeader appends the correlation header of sequence number seq.
func (c *conn) appendHeader(dst []byte, seq uint64) []byte {
	if c.mod != 0 {
		seq %= c.mod
	}
	for i := c.hl - 1; i >= 0; i-- {
		sh := uint(4 * i)
		if sh >= 64 {
			dst = append(dst, '0')
			continue
		}
		dst = append(dst, hexDigits[(seq>>sh)&0xF])
	}
	return dst
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
	window := int(c.mask + 1)
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
	k := max(0, min(len(batch), window-c.inflight))
	var hdr [hostcmd.MaxHeaderLen]byte
	for _, r := range batch[:k] {
		seq := c.next
		c.next++
		r.seq = seq
		r.hsm = c.h
		r.sentAt = now
		if !r.probe {
			r.attempts++
		}
		c.slots[seq&c.mask] = r
		c.wbuf = hostcmd.AppendFrame(c.wbuf, c.appendHeader(hdr[:0], seq), r.Body)
	}
	c.inflight += k
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
		c.written = c.next
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
			r := c.match(f.Header())
			if r == nil {
				perr = errors.New("answer to no pending command")
				break
			}
			r.Resp = append(r.Resp[:0], f.Body()...)
			done = append(done, r)
			start += m
		}
		c.inflight -= len(done)
		for c.tail < c.next && c.slots[c.tail&c.mask] == nil {
			c.tail++
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

// match removes and returns the pending command a response header answers.
// Called with c.mu held.
func (c *conn) match(hdr []byte) *Request {
	if c.hl == 0 {
		if c.tail >= c.next {
			return nil
		}
		// In order: the oldest pending command. Nothing else removes
		// from the middle, so the slots from tail to next are all full.
		i := c.tail & c.mask
		r := c.slots[i]
		c.slots[i] = nil
		c.tail++
		return r
	}
	var id uint64
	for _, ch := range hdr {
		v, ok := hexdigit.Value(ch)
		if !ok {
			return nil
		}
		id = id<<4 | uint64(v)
	}
	i := id & c.mask
	r := c.slots[i]
	if r == nil {
		return nil
	}
	want := r.seq
	if c.mod != 0 {
		want %= c.mod
	}
	if want != id {
		return nil
	}
	c.slots[i] = nil
	return r
}

// oldest returns the send time of the oldest pending command, or -1.
func (c *conn) oldest() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken || c.inflight == 0 {
		return -1
	}
	for s := c.tail; s < c.next; s++ {
		if r := c.slots[s&c.mask]; r != nil {
			return r.sentAt
		}
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
	var pend []*Request
	for s := c.tail; s < c.next; s++ {
		if r := c.slots[s&c.mask]; r != nil {
			pend = append(pend, r)
			c.slots[s&c.mask] = nil
		}
	}
	written := c.written
	c.inflight = 0
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

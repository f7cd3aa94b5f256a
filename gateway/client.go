package gateway

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/rawio"
	"github.com/payhsm/payhsm-gw/pool"
)

// slot is one command of a client connection, from read to answer.
type slot struct {
	req  pool.Request
	hdr  [hostcmd.MaxHeaderLen]byte
	done atomic.Bool
	// start is when the command was read; set only when auditing.
	start time.Time
}

// client is one host-command connection. Its goroutine reads and submits;
// pool goroutines complete commands and write the answers, in order, under
// wmu. slots is a ring: tail (reader only) is the next to fill, head the
// next to answer.
type client struct {
	s     *Server
	nc    net.Conn
	hl    int
	slots []slot
	n     uint64
	tail  uint64
	head  atomic.Uint64
	space chan struct{} // a slot was freed
	dead  atomic.Bool   // writes failed or the front closed it

	// Writing answers: Flush writes without blocking through raw (nil for
	// TLS, which always goes through writeLoop); what the socket does not
	// take goes to backlog for writeLoop, and while slow is set every
	// answer does, to keep the order.
	raw     syscall.RawConn
	nb      nbWrite
	wmu     sync.Mutex
	wbuf    []byte
	backlog []byte
	writing int // bytes writeLoop is writing now
	slow    bool
	drained chan struct{} // writeLoop finished a write
	wake    chan struct{}
	quit    chan struct{}
	wdone   chan struct{}

	stopped atomic.Bool

	// remote is the peer's address for audit records ("" when not auditing).
	remote string

	// Deadlines are re-armed only when a quarter of their span has passed:
	// moving a runtime timer on every read and write costs measurable CPU
	// at high rates, and a deadline between 3/4 and all of its span is as
	// good a guard.
	readArmed time.Time
	// idleAt is when the connection counts as idle (readArmed plus the
	// idle timeout); frameDue, when not zero, is when the partial frame
	// buffered must be whole; deadline is the read deadline set now. The
	// frame deadline is set only when a read leaves a partial frame and
	// the deadline armed is later; a deadline that fires before either
	// is due is re-armed, not obeyed. So a pipelined client costs about
	// one deadline change per FrameTimeout, not one per read.
	idleAt   time.Time
	frameDue time.Time
	deadline time.Time
}

var _ pool.Sink = (*client)(nil)

func newClient(s *Server, nc net.Conn) *client {
	n := s.cfg.MaxPipeline
	c := &client{s: s, nc: nc, hl: s.hl, slots: make([]slot, n), n: uint64(n), space: make(chan struct{}, 1),
		wake: make(chan struct{}, 1), drained: make(chan struct{}, 1), quit: make(chan struct{}), wdone: make(chan struct{})}
	if s.cfg.Audit != nil {
		c.remote = nc.RemoteAddr().String()
	}
	if tc, ok := nc.(*net.TCPConn); ok && rawio.Enabled {
		if raw, err := tc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	return c
}

// stopReading makes the reader stop at its next read (graceful shutdown).
func (c *client) stopReading() {
	c.stopped.Store(true)
	c.nc.SetReadDeadline(time.Unix(1, 0))
}

func (c *client) isStopped() bool { return c.stopped.Load() }

func (c *client) kill() {
	c.dead.Store(true)
	select {
	case c.space <- struct{}{}:
	default:
	}
}

// serve reads frames until EOF, an error, idle timeout or shutdown, then
// waits for the answers of everything read and closes the connection.
func (c *client) serve() {
	defer c.s.wg.Done()
	defer c.s.removeConn(c)
	defer c.nc.Close()
	go c.writeLoop()
	defer func() {
		close(c.quit)
		<-c.wdone // every answer handed over is written (or the client is gone)
		c.linger()
	}()
	c.read()
	// Everything read is answered before the connection closes: the pool
	// answers every command within its deadlines (or 41 when it closes).
	for c.head.Load() != c.tail && !c.dead.Load() {
		select {
		case <-c.space:
		case <-c.s.done:
			return
		}
	}
}

// lingerTimeout bounds how long a closing connection waits for the client
// to close its side.
const lingerTimeout = time.Second

// linger ends the stream after the last answer and discards what the
// client still sends until it closes its side, for at most lingerTimeout.
// Closing with the client's input unread would make TCP reset the
// connection, and a client that writes again before it reads can then
// fail requests whose answers it has already received.
func (c *client) linger() {
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || c.dead.Load() || cw.CloseWrite() != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	var buf [512]byte // small: every closing connection has one for up to lingerTimeout
	for {
		if _, err := c.nc.Read(buf[:]); err != nil {
			return
		}
	}
}

// reading is the read loop's state: the bytes read and not yet framed
// (buf[start:end]) and the commands read but not yet submitted.
type reading struct {
	buf        []byte
	start, end int
	batch      []*pool.Request
}

// read reads and relays frames until the connection ends.
func (c *client) read() {
	r := &reading{buf: make([]byte, 64<<10), batch: make([]*pool.Request, 0, c.n)}
	if c.raw == nil || !c.readRaw(r) {
		c.readConn(r)
	}
}

// readConn is the read loop through the net.Conn.
func (c *client) readConn(r *reading) {
	for c.beforeRead() {
		m, err := c.nc.Read(r.buf[r.end:])
		if c.afterRead(r, m, err, true) == readStop {
			return
		}
	}
}

// beforeRead waits while the client's answers pile up and arms the read
// deadline; false means stop reading.
func (c *client) beforeRead() bool {
	blocked, ok := c.waitBacklog()
	return ok && c.armRead(blocked)
}

// armRead arms the read deadline (blocked says reading was paused for the
// client's answers); false means stop reading.
func (c *client) armRead(blocked bool) bool {
	s := c.s
	now := time.Now()
	if blocked && !c.frameDue.IsZero() {
		// The gateway, not the client, paused reading: the frame's
		// clock starts again.
		c.frameDue = now.Add(s.cfg.FrameTimeout)
		c.readArmed = time.Time{}
	}
	if now.Sub(c.readArmed) > s.cfg.IdleTimeout/4 {
		c.readArmed = now
		c.idleAt = now.Add(s.cfg.IdleTimeout)
		c.arm(c.idleAt)
	}
	// After arming: a stopReading that came first has set a past
	// deadline this one may have replaced.
	return !c.isStopped()
}

// readStep is what the read loop does after afterRead.
type readStep int

const (
	readStop readStep = iota // stop reading
	readMore                 // read again
	readFull                 // wait for a free slot, then call afterRead(r, 0, nil, true)
)

// afterRead relays the frames completed by a read of m bytes that ended
// with err. When the pipeline is full it waits for a free slot, or, if
// wait is false, returns readFull with the frames left in r.
func (c *client) afterRead(r *reading, m int, err error, wait bool) readStep {
	s := c.s
	r.end += m
	var readAt time.Time
	if s.cfg.Audit != nil {
		readAt = time.Now()
	}
	var ferr error
	refusedAny := false
	for {
		f, k, e := hostcmd.SplitFrame(r.buf[r.start:r.end], c.hl)
		if e != nil {
			ferr = e
			break
		}
		if k == 0 {
			break
		}
		for c.tail-c.head.Load() >= c.n {
			// The pipeline is full: send what we have and wait for answers.
			c.submit(r)
			if refusedAny {
				c.Flush()
				refusedAny = false
			}
			if !wait {
				return readFull
			}
			if !c.waitSpace() {
				return readStop
			}
			c.readArmed = time.Time{} // re-arm after the pause
		}
		sl := &c.slots[c.tail%c.n]
		copy(sl.hdr[:], f.Header())
		sl.req.Body = append(sl.req.Body[:0], f.Body()...)
		sl.req.Tag = c.tail
		sl.start = readAt
		code := f.Code()
		if !s.allowed[int(code[0])<<8|int(code[1])] {
			rc := hostcmd.ResponseCode(code)
			sl.req.Resp = append(sl.req.Resp[:0], rc[0], rc[1], '6', '8')
			if s.cfg.Audit != nil {
				c.audit(sl, false)
			}
			sl.done.Store(true)
			s.refused.Add(1)
			refusedAny = true
		} else {
			r.batch = append(r.batch, &sl.req)
		}
		c.tail++
		s.received.Add(1)
		r.start += k
	}
	c.submit(r)
	if refusedAny {
		c.Flush()
	}
	if ferr != nil {
		s.framing.Add(1)
		s.log.Warn("gateway: framing error, closing connection", "remote", c.nc.RemoteAddr().String(), "err", ferr)
		return readStop
	}
	consumed := r.start > 0
	if r.start == r.end {
		r.start, r.end = 0, 0
		c.frameDue = time.Time{}
	} else {
		if r.start > 0 {
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		}
		if consumed || c.frameDue.IsZero() {
			// A new frame began in this read.
			c.frameDue = time.Now().Add(s.cfg.FrameTimeout)
			if c.frameDue.Before(c.deadline) {
				c.arm(c.frameDue)
			}
		}
	}
	if err == nil {
		return readMore
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || c.isStopped() {
		return readStop
	}
	now := time.Now()
	switch {
	case !c.frameDue.IsZero() && !now.Before(c.frameDue):
		s.frameTimeouts.Add(1)
		s.log.Warn("gateway: frame not complete in time, closing connection",
			"remote", c.nc.RemoteAddr().String(), "frame_timeout", s.cfg.FrameTimeout)
		return readStop
	case !c.frameDue.IsZero() || now.Before(c.idleAt) || c.head.Load() != c.tail:
		// An early deadline (set for a frame since completed), a
		// frame still in time, or silence while answers are
		// awaited: not idle.
		c.readArmed = time.Time{}
		return readMore
	}
	s.idleTimeouts.Add(1)
	return readStop
}

// submit hands the batch read so far to the pool.
func (c *client) submit(r *reading) {
	if len(r.batch) > 0 {
		c.s.backend.Submit(r.batch, c)
		clear(r.batch)
		r.batch = r.batch[:0]
	}
}

// arm sets the read deadline to the earlier of t and the partial frame's.
func (c *client) arm(t time.Time) {
	if !c.frameDue.IsZero() && c.frameDue.Before(t) {
		t = c.frameDue
	}
	c.deadline = t
	c.nc.SetReadDeadline(t)
}

// maxBacklog bounds the answers held for a client that reads slowly;
// beyond it the connection is not read until the client catches up.
const maxBacklog = 256 << 10

// backlogged says whether too many answers wait for the client to read them.
func (c *client) backlogged() bool {
	c.wmu.Lock()
	n := len(c.backlog) + c.writing
	c.wmu.Unlock()
	return n > maxBacklog
}

// waitBacklog waits while too many answers wait for the client to read
// them; blocked says it waited, ok is false if the connection is dead or
// the front is closing.
func (c *client) waitBacklog() (blocked, ok bool) {
	for {
		c.wmu.Lock()
		n := len(c.backlog) + c.writing
		c.wmu.Unlock()
		if n <= maxBacklog {
			return blocked, !c.dead.Load()
		}
		blocked = true
		select {
		case <-c.drained:
		case <-c.s.done:
			return blocked, false
		}
		if c.dead.Load() {
			return blocked, false
		}
	}
}

// waitSpace waits for a free slot; false if the connection is dead or the
// front is closing.
func (c *client) waitSpace() bool {
	select {
	case <-c.space:
		return !c.dead.Load()
	case <-c.s.done:
		return false
	}
}

// Complete marks a command answered; Flush writes it in its turn.
func (c *client) Complete(r *pool.Request) {
	sl := &c.slots[r.Tag%c.n]
	if c.s.cfg.Audit != nil {
		c.audit(sl, true)
	}
	sl.done.Store(true)
}

// audit writes the audit record of an answered command; relayed says it
// went to the pool (a refused one names no HSM).
func (c *client) audit(sl *slot, relayed bool) {
	rec := audit.Record{Time: sl.start, Remote: c.remote, Latency: time.Since(sl.start)}
	if relayed {
		rec.HSM = sl.req.HSM()
	}
	if b := sl.req.Body; len(b) >= 2 {
		rec.Cmd = codeString(b[0], b[1])
	}
	if r := sl.req.Resp; len(r) >= 4 {
		rec.Code = codeString(r[2], r[3])
	}
	c.s.cfg.Audit.Write(rec)
}

// codeChars is every pair of the characters 0-9 and A-Z, which is what
// command and error codes are made of, so that codeString can return a
// substring instead of allocating two strings per audited command.
var codeChars = func() string {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 0, 2*len(alnum)*len(alnum))
	for i := range len(alnum) {
		for j := range len(alnum) {
			b = append(b, alnum[i], alnum[j])
		}
	}
	return string(b)
}()

// codeString returns the two characters a, b as a string.
func codeString(a, b byte) string {
	i, j := alnumIndex(a), alnumIndex(b)
	if i < 0 || j < 0 {
		return string([]byte{a, b})
	}
	k := 2 * (i*36 + j)
	return codeChars[k : k+2]
}

func alnumIndex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// Flush writes every answer that is next in request order, in one write.
// It runs on pool goroutines, so it never blocks on the client: it writes
// what the socket takes at once and leaves the rest to the connection's
// writer goroutine, which then takes all later answers too, in order,
// until it has caught up.
func (c *client) Flush() {
	c.wmu.Lock()
	head := c.head.Load()
	h := head
	out := c.wbuf[:0]
	for {
		sl := &c.slots[h%c.n]
		if !sl.done.Load() {
			break
		}
		resp := sl.req.Resp
		if !hostcmd.FrameFits(c.hl, len(resp)) || len(resp) < 2 {
			rc := hostcmd.ResponseCode([2]byte{sl.req.Body[0], sl.req.Body[1]})
			resp = []byte{rc[0], rc[1], '4', '1'}
		}
		out = hostcmd.AppendFrame(out, sl.hdr[:c.hl], resp)
		sl.done.Store(false)
		h++
	}
	if h == head {
		c.wmu.Unlock()
		return
	}
	if !c.dead.Load() {
		c.s.answered.Add(h - head)
		if c.slow || c.raw == nil {
			c.handOver(out)
		} else if n, err := c.writeNow(out); err != nil {
			c.die()
		} else if n < len(out) {
			c.handOver(out[n:])
		}
	}
	c.wbuf = out
	c.head.Store(h)
	c.wmu.Unlock()
	select {
	case c.space <- struct{}{}:
	default:
	}
}

// handOver queues b for the writer goroutine. Called with wmu held.
func (c *client) handOver(b []byte) {
	c.backlog = append(c.backlog, b...)
	c.slow = true
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *client) die() {
	c.dead.Store(true)
	if tc, ok := c.nc.(*net.TCPConn); ok {
		// Shut down, not closed: Close waits for a read in progress to
		// end, and the reader (inside RawConn.Read, see readRaw) may be
		// waiting for wmu, which Flush holds here. The reader then sees
		// the stream end and closes the connection on its way out.
		tc.CloseRead()
		tc.CloseWrite()
		return
	}
	c.nc.Close()
}

// writeLoop writes what Flush handed over, with the write timeout, until
// quit; it drains what is left before it ends.
func (c *client) writeLoop() {
	defer close(c.wdone)
	var buf []byte
	quitting := false
	for !quitting {
		select {
		case <-c.wake:
		case <-c.quit:
			quitting = true
		}
		for {
			c.wmu.Lock()
			buf, c.backlog = c.backlog, buf[:0]
			c.writing = len(buf)
			if len(buf) == 0 {
				c.slow = false
				c.wmu.Unlock()
				break
			}
			c.wmu.Unlock()
			if !c.dead.Load() {
				c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
				if _, err := c.nc.Write(buf); err != nil {
					c.die()
				}
			}
			c.wmu.Lock()
			c.writing = 0
			c.wmu.Unlock()
			select {
			case c.drained <- struct{}{}:
			default:
			}
		}
	}
}

package conformance

import (
	"context"
	"crypto/subtle"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// The open-loop sender (ours; docs/performance.md, "The load runner's
// sender"). One goroutine, locked to its OS thread, walks the whole
// schedule: it waits for each command's due time with a pacer and writes
// the command itself on connection i mod conns. Each connection has one
// reader goroutine that matches answers to commands. There is no goroutine
// and no timer per command: a command is an entry in its connection's
// table from its write to its answer (or its timeout, found by one sweeper
// per run).

// wakeMargin is how long before a due time the pacer stops sleeping and
// spins. A sleeping thread on the project's 2-core virtual machine wakes
// up to about 5 ms late, even on an idle machine (p99 1.3 ms, max 4.5 ms
// with a 100 µs margin, measured with clock_nanosleep), so only a thread
// that is already running keeps a schedule to 100 µs. Below about 200
// commands/s the sender sleeps between commands; above it, it spins all
// the time (one core; docs/performance.md gives the cost).
const wakeMargin = 5 * time.Millisecond

// maxNap bounds one sleep of the pacer, so that a cancelled run stops
// within it even at a slow rate.
const maxNap = 50 * time.Millisecond

// pacer waits for due times on the calling thread, which should be locked
// to its goroutine (runtime.LockOSThread): it sleeps until wakeMargin
// before a due time, then spins on the clock.
type pacer struct{}

// wait returns at due (or at once if due has passed), or false as soon as
// ctx has ended, checked at least every maxNap (every millisecond while
// spinning).
func (pacer) wait(ctx context.Context, due time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(due)
		switch {
		case d <= 0:
			return true
		case d > wakeMargin:
			nap(min(d-wakeMargin, maxNap))
		default:
			end := time.Now().Add(min(d, time.Millisecond))
			for time.Now().Before(end) {
			}
		}
	}
}

// outcome classifies a command's end.
type outcome int8

const (
	answerOK    outcome = iota // the exact expected answer
	answerWrong                // an answer, but a code other than expected or a wrong value
	noAnswer                   // timeout or lost connection
)

// judge compares an answer with the expected one (in constant time:
// answers hold PIN blocks, CVVs and ARPCs). A wrong answer is named by
// its error code, or "mismatch" when the code is the expected one (00)
// but a value differs.
func judge(resp, want []byte) (outcome, string) {
	switch {
	case subtle.ConstantTimeCompare(resp, want) == 1:
		return answerOK, ""
	case len(resp) >= 4 && string(resp[2:4]) != "00":
		return answerWrong, string(resp[2:4])
	}
	return answerWrong, "mismatch"
}

// command is one command written and not yet resolved.
type command struct {
	due, wrote time.Time
	item       *loadItem
	abandoned  bool // header length 0: timed out; its answer is dropped when it comes
}

// openRun is the state the connections of one open-loop run share.
type openRun struct {
	rec      *recorder
	timeout  time.Duration
	inflight sync.WaitGroup // one per command written and not resolved
}

// resolve records cmd's end and frees its place on c.
func (run *openRun) resolve(c *openConn, cmd *command, done time.Time, o outcome, code string) {
	run.rec.record(cmd.due, cmd.wrote, done, o, code)
	<-c.room
	run.inflight.Done()
}

// openConn is one connection of an open-loop run.
type openConn struct {
	nc        net.Conn
	rw        io.ReadWriter // nc, or on Linux its descriptor through rawio
	headerLen int
	ids       hostcmd.HeaderIDs
	room      chan struct{}
	readDone  chan struct{}

	mu      sync.Mutex
	pending map[uint64]*command // by header id; headerLen > 0
	fifo    []*command          // in order of writing; headerLen == 0
	next    uint64
	lost    bool // a write failed or the stream ended: write no more
}

// newOpenConn wraps nc; maxInFlight bounds its commands written and not
// resolved (and is itself bounded by the header's id space).
func newOpenConn(nc net.Conn, headerLen, maxInFlight int) *openConn {
	c := &openConn{nc: nc, rw: nc, headerLen: headerLen, ids: hostcmd.NewHeaderIDs(headerLen),
		pending: map[uint64]*command{}, readDone: make(chan struct{})}
	if r := rawio.New(nc); r != nil {
		c.rw = r
	}
	if space := c.ids.Space(); c.headerLen > 0 && uint64(maxInFlight) > space {
		maxInFlight = int(space)
	}
	c.room = make(chan struct{}, maxInFlight)
	return c
}

// sendPlan is the schedule: commands 0 to total-1, command i due at
// start + i/rate on connection i mod conns; those due from wStart on are
// measured.
type sendPlan struct {
	total         int
	start, wStart time.Time
	rate          float64
	items         []loadItem
}

// sendStats is what the sender measured: its lag behind the schedule and
// the time it waited for room in flight or for a write to be taken (both
// inside the measured window).
type sendStats struct {
	lag     *hdrhistogram.Histogram
	blocked time.Duration
	sent    int64
}

// send walks p over conns until the plan or ctx ends, on a thread of its
// own. The sender lag of a command is how late the sender was ready to
// write it, counted from its due time or from the end of the last wait
// that was the target's (for room in flight, or a write not taken), if
// later: such waits are counted apart (blocked).
func send(ctx context.Context, run *openRun, conns []*openConn, p sendPlan) sendStats {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := sendStats{lag: newHist()}
	var pc pacer
	var hdr [hostcmd.MaxHeaderLen]byte
	var buf []byte
	var resumed time.Time // end of the last wait that was the target's
	for i := range p.total {
		due := p.start.Add(time.Duration(float64(i) * float64(time.Second) / p.rate))
		if !pc.wait(ctx, due) {
			break
		}
		c := conns[i%len(conns)]
		measured := !due.Before(p.wStart)
		if measured {
			_ = st.lag.RecordValue(clampMicros(time.Since(later(due, resumed))))
		}
		select {
		case c.room <- struct{}{}:
		default:
			t := time.Now()
			select {
			case c.room <- struct{}{}:
			case <-ctx.Done():
				return st
			}
			resumed = time.Now()
			if measured {
				st.blocked += resumed.Sub(t)
			}
		}
		st.sent++
		var wrote time.Time
		buf, wrote = c.write(run, &command{due: due, item: &p.items[i%len(p.items)]}, hdr[:c.headerLen], buf)
		// A write that waits is a target that does not read: the wait,
		// and the lag it causes, are the target's.
		if now := time.Now(); now.Sub(wrote) > time.Millisecond {
			resumed = now
			if measured {
				st.blocked += now.Sub(wrote)
			}
		}
	}
	return st
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// write enters cmd in c's table and writes it, building its frame in buf
// (returned for reuse) with hdr as scratch for its header; it returns the
// time of the write. A command on a lost connection is resolved at once.
func (c *openConn) write(run *openRun, cmd *command, hdr, buf []byte) ([]byte, time.Time) {
	run.inflight.Add(1)
	c.mu.Lock()
	if c.lost {
		c.mu.Unlock()
		now := time.Now()
		run.resolve(c, cmd, now, noAnswer, "transport")
		return buf, now
	}
	var id uint64
	if c.headerLen > 0 {
		// The room bound keeps the ids in flight below the id space.
		for {
			id = c.next % c.ids.Space()
			c.next++
			if _, busy := c.pending[id]; !busy {
				break
			}
		}
		c.ids.Put(hdr, id)
		c.pending[id] = cmd
	} else {
		c.fifo = append(c.fifo, cmd)
	}
	buf = hostcmd.AppendFrame(buf[:0], hdr, cmd.item.req)
	cmd.wrote = time.Now()
	wrote := cmd.wrote // cmd is the reader's once c.mu is released
	c.mu.Unlock()
	if _, err := c.rw.Write(buf); err != nil {
		c.writeFailed(run, cmd, id)
	}
	return buf, wrote
}

// writeFailed stops writes on c and resolves cmd, whose write failed, if
// the reader has not already (a peer may answer part of a frame's worth).
func (c *openConn) writeFailed(run *openRun, cmd *command, id uint64) {
	c.mu.Lock()
	c.lost = true
	mine := false
	if c.headerLen > 0 {
		if c.pending[id] == cmd {
			delete(c.pending, id)
			mine = true
		}
	} else if n := len(c.fifo); n > 0 && c.fifo[n-1] == cmd {
		c.fifo = c.fifo[:n-1]
		mine = true
	}
	c.mu.Unlock()
	if mine {
		run.resolve(c, cmd, time.Now(), noAnswer, "transport")
	}
}

// read matches answers to commands until the stream ends, then resolves
// every command still waiting as "transport".
func (c *openConn) read(run *openRun) {
	defer close(c.readDone)
	r := hostcmd.NewReader(c.rw, c.headerLen)
	for {
		f, err := r.ReadFrame()
		now := time.Now()
		if err != nil {
			c.mu.Lock()
			c.lost = true
			left := c.takeAll()
			c.mu.Unlock()
			for _, cmd := range left {
				run.resolve(c, cmd, now, noAnswer, "transport")
			}
			return
		}
		var cmd *command
		c.mu.Lock()
		if c.headerLen > 0 {
			if id, ok := c.ids.ID(f.Header()); ok {
				if cmd = c.pending[id]; cmd != nil {
					delete(c.pending, id)
				}
			}
		} else if len(c.fifo) > 0 {
			cmd = c.fifo[0]
			c.fifo[0] = nil
			c.fifo = c.fifo[1:]
			if cmd.abandoned {
				cmd = nil
			}
		}
		c.mu.Unlock()
		if cmd != nil { // else an answer after its command's timeout
			o, code := judge(f.Body(), cmd.item.want)
			run.resolve(c, cmd, now, o, code)
		}
	}
}

// takeAll removes every unresolved command from c; c.mu is held.
func (c *openConn) takeAll() []*command {
	var out []*command
	for id, cmd := range c.pending {
		out = append(out, cmd)
		delete(c.pending, id)
	}
	for _, cmd := range c.fifo {
		if !cmd.abandoned {
			out = append(out, cmd)
		}
	}
	c.fifo = nil
	return out
}

// expire resolves as "timeout" every command of c written before cutoff.
// With a header they leave the table; without one they stay in the queue,
// abandoned, since their answers, if any, still come in order.
func (c *openConn) expire(run *openRun, cutoff, now time.Time) {
	var out []*command
	c.mu.Lock()
	for id, cmd := range c.pending {
		if cmd.wrote.Before(cutoff) {
			out = append(out, cmd)
			delete(c.pending, id)
		}
	}
	for _, cmd := range c.fifo {
		if !cmd.abandoned && cmd.wrote.Before(cutoff) {
			cmd.abandoned = true
			out = append(out, cmd)
		}
	}
	c.mu.Unlock()
	for _, cmd := range out {
		run.resolve(c, cmd, now, noAnswer, "timeout")
	}
}

// sweep expires timed-out commands on conns every period until stop closes.
func (run *openRun) sweep(conns []*openConn, stop <-chan struct{}) {
	period := min(100*time.Millisecond, max(time.Millisecond, run.timeout/10))
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			for _, c := range conns {
				c.expire(run, now.Add(-run.timeout), now)
			}
		}
	}
}

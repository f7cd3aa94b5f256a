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
// up milliseconds late, even on an idle machine: with a 5 ms margin a run
// at 60/s still had a sender lag p99 of 4.4 ms (wake-ups up to 9.4 ms
// late); a thread that is already running keeps a schedule to the
// microsecond. So at 50 commands/s and above the sender spins all the
// time (one core; docs/performance.md gives the cost), and below that it
// sleeps between commands and spins the last 20 ms before each.
const wakeMargin = 20 * time.Millisecond

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
	room      chan struct{}
	readDone  chan struct{}

	mu   sync.Mutex
	win  *hostcmd.Window[*command] // written and not resolved, or abandoned
	lost bool                      // a write failed or the stream ended: write no more
}

// newOpenConn wraps nc; maxInFlight bounds its commands written and not
// resolved (and is itself bounded by the header's id space).
func newOpenConn(nc net.Conn, headerLen, maxInFlight int) *openConn {
	c := &openConn{nc: nc, rw: nc, headerLen: headerLen, readDone: make(chan struct{}),
		win: hostcmd.NewWindow[*command](headerLen, 64, 1<<24)}
	if r := rawio.New(nc); r != nil {
		c.rw = r
	}
	c.room = make(chan struct{}, min(maxInFlight, c.win.Max()))
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
		cmd := &command{due: due, item: &p.items[i%len(p.items)]}
		var wrote time.Time
		var ok bool
		for {
			if buf, wrote, ok = c.write(run, cmd, hdr[:c.headerLen], buf); ok {
				break
			}
			// The Window's span is full behind a command the target has
			// not answered: wait for its answer or its timeout, which is
			// the target's wait too.
			t := time.Now()
			if !pc.wait(ctx, t.Add(100*time.Microsecond)) {
				<-c.room
				return st
			}
			resumed = time.Now()
			if measured {
				st.blocked += resumed.Sub(t)
			}
		}
		st.sent++
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
// time of the write, or ok false, and nothing done, when the table's span
// is full. A command on a lost connection is resolved at once.
func (c *openConn) write(run *openRun, cmd *command, hdr, buf []byte) (_ []byte, wrote time.Time, ok bool) {
	c.mu.Lock()
	if c.lost {
		c.mu.Unlock()
		run.inflight.Add(1)
		now := time.Now()
		run.resolve(c, cmd, now, noAnswer, "transport")
		return buf, now, true
	}
	seq, ok := c.win.Add(hdr, cmd)
	if !ok {
		c.mu.Unlock()
		return buf, wrote, false
	}
	run.inflight.Add(1)
	buf = hostcmd.AppendFrame(buf[:0], hdr, cmd.item.req)
	cmd.wrote = time.Now()
	wrote = cmd.wrote // cmd is the reader's once c.mu is released
	c.mu.Unlock()
	if _, err := c.rw.Write(buf); err != nil {
		c.writeFailed(run, cmd, seq)
	}
	return buf, wrote, true
}

// writeFailed stops writes on c and resolves cmd, whose write failed, if
// nothing has yet (a peer may answer part of a frame's worth).
func (c *openConn) writeFailed(run *openRun, cmd *command, seq uint64) {
	c.mu.Lock()
	c.lost = true
	mine := c.win.Replace(seq, cmd) && !cmd.abandoned
	if mine && !c.win.Remove(seq) {
		cmd.abandoned = true // no header: its answer, if any, comes in order
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
		c.mu.Lock()
		cmd, _, ok := c.win.Match(f.Header())
		if ok && cmd.abandoned {
			ok = false
		}
		c.mu.Unlock()
		if ok { // else an answer after its command's timeout
			o, code := judge(f.Body(), cmd.item.want)
			run.resolve(c, cmd, now, o, code)
		}
	}
}

// takeAll removes every command of c and returns those unresolved; c.mu
// is held.
func (c *openConn) takeAll() []*command {
	var out []*command
	for _, cmd := range c.win.TakeAll(nil) {
		if !cmd.abandoned {
			out = append(out, cmd)
		}
	}
	return out
}

// expire resolves as "timeout" every command of c written before cutoff.
// With a header they leave the table; without one they stay, abandoned,
// since their answers, if any, still come in order.
func (c *openConn) expire(run *openRun, cutoff, now time.Time) {
	var out []*command
	var seqs []uint64
	c.mu.Lock()
	for seq, cmd := range c.win.All() { // oldest first
		if !cmd.wrote.Before(cutoff) {
			break
		}
		if !cmd.abandoned {
			out, seqs = append(out, cmd), append(seqs, seq)
		}
	}
	for i, seq := range seqs {
		if !c.win.Remove(seq) {
			out[i].abandoned = true
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

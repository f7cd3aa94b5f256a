package conformance

import (
	"context"
	"crypto/subtle"
	"io"
	"net"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// The open-loop sender (ours; docs/performance.md, "The load runner's
// sender"). Each connection has one sender goroutine that walks its share
// of the schedule, commands c, c+conns, c+2·conns..., waits for each one's
// due time with a pacer and writes it itself, and one reader goroutine
// that matches answers to commands. There is no goroutine and no timer per
// command: a command is an entry in its connection's table from its write
// to its answer (or its timeout, found by one sweeper per run).

// spinMargin is how long before a due time the pacer stops sleeping and
// spins, for a run of rate commands/s: long enough to cover a sleeping
// thread's wake-up (tens of microseconds on the project's machine), short
// enough that the spinning costs about a tenth of a core: 100 µs at
// 1,000/s, 200 µs at 500/s and below, and no less than 50 µs (12.5% of a
// core at 2,500/s).
func spinMargin(rate float64) time.Duration {
	return min(200*time.Microsecond, max(50*time.Microsecond, time.Duration(0.1*float64(time.Second)/rate)))
}

// maxNap bounds one sleep of the pacer, so that a cancelled run stops
// within it even at a slow rate.
const maxNap = 50 * time.Millisecond

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

// sendPlan is one connection's share of the schedule: commands first,
// first+step, ... below total, command i due at start + i/rate.
type sendPlan struct {
	first, step, total int
	start, wStart      time.Time
	rate               float64
	items              []loadItem
}

// sendStats is what one sender measured: its lag behind the schedule and
// the time it waited for room in flight or for a write to be taken (both
// inside the measured window).
type sendStats struct {
	lag     *hdrhistogram.Histogram
	blocked time.Duration
	sent    int64
}

// send walks p on c until the plan or ctx ends. The sender lag of a command
// is how late the sender was ready to write it; a wait for room in flight
// is the target's, counted apart (blocked).
func (c *openConn) send(ctx context.Context, run *openRun, p sendPlan) sendStats {
	st := sendStats{lag: newHist()}
	pc := newPacer(spinMargin(p.rate))
	defer pc.close()
	var hdr [hostcmd.MaxHeaderLen]byte
	var buf []byte
	for i := p.first; i < p.total; i += p.step {
		due := p.start.Add(time.Duration(float64(i) * float64(time.Second) / p.rate))
		if !pc.wait(ctx, due) {
			break
		}
		measured := !due.Before(p.wStart)
		if measured {
			_ = st.lag.RecordValue(clampMicros(time.Since(due)))
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
			if measured {
				st.blocked += time.Since(t)
			}
		}
		cmd := &command{due: due, item: &p.items[i%len(p.items)]}
		st.sent++
		run.inflight.Add(1)
		c.mu.Lock()
		if c.lost {
			c.mu.Unlock()
			run.resolve(c, cmd, time.Now(), noAnswer, "transport")
			continue
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
			c.ids.Put(hdr[:c.headerLen], id)
			c.pending[id] = cmd
		} else {
			c.fifo = append(c.fifo, cmd)
		}
		buf = hostcmd.AppendFrame(buf[:0], hdr[:c.headerLen], cmd.item.req)
		cmd.wrote = time.Now()
		c.mu.Unlock()
		if _, err := c.rw.Write(buf); err != nil {
			c.writeFailed(run, cmd, id)
		}
		// A write that waits is a target that does not read: the wait,
		// and the lag it causes, are the target's.
		if d := time.Since(cmd.wrote); measured && d > time.Millisecond {
			st.blocked += d
		}
	}
	return st
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

package simulator

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// A connection is served by two goroutines: the reader reads frames, runs
// each command at once and appends its framed answer to the current batch;
// the writer writes batches in order, each when its release time (licence
// slot plus added latency) has come. Answers due now are written together
// with one write each time the reader is about to wait for more input, so a
// pipelining client gets one write per read batch. Answers that must wait go
// in batches of their own, which keeps the order of answers the order of
// requests (hostcmd.md §1, ours).

// batch is a run of framed answers the writer releases together.
type batch struct {
	buf   *[]byte   // framed answers, from bufPool
	n     int       // answers in buf
	ready time.Time // release time; zero: at once
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxBatchBytes is where the reader hands a batch to the writer even if more
// input is buffered, so that a long pipeline does not build one huge write.
const maxBatchBytes = 64 << 10

type conn struct {
	s    *Server
	nc   net.Conn
	id   uint64
	out  chan batch // reader -> writer; its capacity bounds the batches in flight
	cur  batch      // the batch the reader is filling
	dead chan struct{}

	once sync.Once
}

func newConn(s *Server, nc net.Conn, id uint64) *conn {
	return &conn{
		s:    s,
		nc:   nc,
		id:   id,
		out:  make(chan batch, s.cfg.MaxInFlight),
		dead: make(chan struct{}),
	}
}

// kill closes the connection now; answers not yet written are lost.
func (c *conn) kill() {
	c.once.Do(func() {
		close(c.dead)
		c.nc.Close()
	})
}

// stopReading makes the reader stop at the next frame it would have to wait
// for; frames already buffered are still answered.
func (c *conn) stopReading() {
	c.nc.SetReadDeadline(time.Unix(1, 0))
}

func (c *conn) serve() {
	defer c.s.wg.Done()
	log := c.s.log
	log.Debug("connection opened", "conn", c.id, "remote", c.nc.RemoteAddr().String())
	wrote := make(chan struct{})
	go c.writeLoop(wrote)
	reason := c.readLoop()
	c.flush()
	close(c.out)
	<-wrote
	c.kill()
	c.s.removeConn(c)
	log.Debug("connection closed", "conn", c.id, "reason", reason)
}

// flushingReader hands the current batch to the writer whenever the frame
// reader is about to read from the network, that is, when no further
// complete frame is buffered.
type flushingReader struct{ c *conn }

func (r flushingReader) Read(p []byte) (int, error) {
	r.c.flush()
	return r.c.nc.Read(p)
}

// flush hands the current batch, if any, to the writer.
func (c *conn) flush() {
	if c.cur.n == 0 {
		return
	}
	c.out <- c.cur
	c.cur = batch{}
}

// readLoop reads and answers frames until the stream ends and returns why.
func (c *conn) readLoop() string {
	s := c.s
	r := hostcmd.NewReader(flushingReader{c}, s.headerLen)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			switch {
			case errors.Is(err, io.EOF):
				return "peer closed"
			case errors.Is(err, hostcmd.ErrFrameTooLarge), errors.Is(err, hostcmd.ErrFrameTooShort):
				s.log.Warn("framing error, closing connection", "conn", c.id, "err", err)
				return "framing error"
			case errors.Is(err, os.ErrDeadlineExceeded):
				return "shutdown"
			case errors.Is(err, net.ErrClosed):
				return "closed"
			default:
				return "read error: " + err.Error()
			}
		}
		if s.blackhole.Load() {
			s.stats.blackholed.Add(1)
			continue
		}
		now := time.Now()
		s.rate.add(now) // counters.go
		var ready time.Time
		if lat := time.Duration(s.latency.Load()); s.throttle != nil || lat > 0 {
			ready = now
			if s.throttle != nil {
				ready = s.throttle.admit(now)
			}
			ready = ready.Add(lat)
			if !ready.After(now) {
				ready = time.Time{}
			}
		}
		if !ready.IsZero() {
			// A delayed answer travels alone, released at its own time.
			c.flush()
			c.cur.ready = ready
		}
		c.answer(f)
		if !ready.IsZero() || len(*c.cur.buf) >= maxBatchBytes {
			c.flush()
		}
	}
}

// answer runs the command of f and appends its framed answer to the
// current batch.
func (c *conn) answer(f hostcmd.Frame) {
	s := c.s
	if c.cur.buf == nil {
		c.cur.buf = bufPool.Get().(*[]byte)
	}
	b := *c.cur.buf
	start := len(b)
	b = append(b, 0, 0)
	b = append(b, f.Header()...)
	bodyAt := len(b)
	body := f.Body()
	if v := s.forced.Load(); v != 0 {
		b = hostcmd.AppendErrorResponse(b, f.Code(), hostcmd.Code([]byte{byte(v >> 8), byte(v)}))
	} else {
		b = s.hsm.Execute(b, body)
	}
	if len(b)-start-2 > hostcmd.MaxFrameLen {
		// Cannot happen with this command set (no answer is longer than
		// its request); kept so that a new command cannot break framing.
		b = hostcmd.AppendErrorResponse(b[:bodyAt], f.Code(), hostcmd.DataLengthError)
	}
	binary.BigEndian.PutUint16(b[start:], uint16(len(b)-start-2))
	if len(b) >= bodyAt+4 {
		if e := b[bodyAt+2 : bodyAt+4]; !(e[0] == '0' && (e[1] == '0' || e[1] == '1')) {
			code := hostcmd.Code(e)
			s.stats.countError(code)
			s.log.Debug("command error", "conn", c.id, "cmd", string(body[:min(2, len(body))]), "code", string(code))
		}
	}
	*c.cur.buf = b
	c.cur.n++
	s.stats.inFlight.Add(1)
}

// writeLoop writes the batches of the reader in order, each at its release
// time, coalescing those that are due into one write.
func (c *conn) writeLoop(wrote chan<- struct{}) {
	defer close(wrote)
	s := c.s
	var (
		failed bool
		held   *batch // taken from the channel but not yet due
		due    []batch
		bufs   net.Buffers
		timer  *time.Timer
	)
	// release returns the buffers of bs to the pool.
	release := func(bs []batch) {
		for _, b := range bs {
			*b.buf = (*b.buf)[:0]
			bufPool.Put(b.buf)
		}
	}
	for {
		var b batch
		if held != nil {
			b, held = *held, nil
		} else {
			var ok bool
			if b, ok = <-c.out; !ok {
				break
			}
		}
		if !failed && !b.ready.IsZero() {
			if d := time.Until(b.ready); d > 0 {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-timer.C:
				case <-c.dead:
					failed = true
				}
			}
		}
		due = append(due[:0], b)
		// Coalesce whatever else is due now.
	more:
		for len(due) < 64 {
			select {
			case nb, ok := <-c.out:
				if !ok {
					break more
				}
				if !nb.ready.IsZero() && time.Until(nb.ready) > 0 {
					held = &nb
					break more
				}
				due = append(due, nb)
			default:
				break more
			}
		}
		var n int
		for _, d := range due {
			n += d.n
		}
		// The answers leave the in-flight count whatever happens to them.
		s.stats.inFlight.Add(-int64(n))
		if failed {
			release(due)
			continue
		}
		if s.blackhole.Load() {
			s.stats.blackholed.Add(uint64(n))
			release(due)
			continue
		}
		// Count the answers before writing them, so that a client that has
		// read an answer finds it in Stats.
		s.stats.commands.Add(uint64(n))
		var err error
		if len(due) == 1 {
			_, err = c.nc.Write(*due[0].buf)
		} else {
			bufs = bufs[:0]
			for _, d := range due {
				bufs = append(bufs, *d.buf)
			}
			wb := bufs // WriteTo consumes its receiver
			_, err = wb.WriteTo(c.nc)
		}
		if err != nil {
			s.stats.commands.Add(^uint64(n - 1)) // not answered after all
			failed = true
			c.kill() // the reader stops too
		}
		release(due)
	}
	if timer != nil {
		timer.Stop()
	}
}

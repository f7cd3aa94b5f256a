// Package fakehsm is a host-command server that behaves like the
// payShield-compatible simulators people already run, not like ours: one
// that lacks commands, one that takes a single connection and one command
// at a time and dies on anything else, one that answers pipelined frames
// out of order. It answers what it does implement with this module's
// simulator (under the test LMK), so a test can check every answer. For
// this module's tests only (ours).
package fakehsm

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// Behaviour says how a Server departs from a well-behaved HSM.
type Behaviour struct {
	// HeaderLen is the message header length, 0 for none.
	HeaderLen int
	// Lacks lists the command codes the server does not implement.
	Lacks []string
	// CrashOnUnknown makes a command in Lacks kill the server (every
	// connection and the listener close) instead of answering it with
	// error 68, as a simulator that raises on an unknown command does.
	CrashOnUnknown bool
	// OneConn refuses a second concurrent connection by crashing.
	OneConn bool
	// NoPipelining makes a frame that arrives before the previous one's
	// answer was written kill the server.
	NoPipelining bool
	// Reorder answers the frames read together in reverse order.
	Reorder bool
	// Latency is added before each answer (default 100µs when NoPipelining,
	// so a pipelined frame has time to arrive and be seen).
	Latency time.Duration
}

// Server is a running fake HSM.
type Server struct {
	b       Behaviour
	ln      net.Listener
	hsm     *simulator.HSM
	lacks   map[[2]byte]bool
	crashed atomic.Value // string: why
	conns   atomic.Int32
	served  atomic.Uint64

	mu   sync.Mutex
	open map[net.Conn]bool
	wg   sync.WaitGroup
}

// Start listens on a free loopback port and serves b.
func Start(b Behaviour) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if b.NoPipelining && b.Latency == 0 {
		b.Latency = 100 * time.Microsecond
	}
	s := &Server{b: b, ln: ln, hsm: simulator.NewHSM(keys.TestLMK()), lacks: map[[2]byte]bool{}, open: map[net.Conn]bool{}}
	for _, c := range b.Lacks {
		s.lacks[[2]byte{c[0], c[1]}] = true
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the server's host-command address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Crashed returns why the server died, or "" while it lives.
func (s *Server) Crashed() string {
	why, _ := s.crashed.Load().(string)
	return why
}

// Served returns how many commands it answered.
func (s *Server) Served() uint64 { return s.served.Load() }

// Close stops the server.
func (s *Server) Close() error {
	s.kill("")
	s.wg.Wait()
	return nil
}

func (s *Server) kill(why string) {
	if why != "" {
		s.crashed.CompareAndSwap(nil, why)
	}
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.b.OneConn && s.conns.Load() > 0 {
			c.Close()
			s.kill("second connection")
			return
		}
		s.conns.Add(1)
		s.mu.Lock()
		s.open[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

var errCrash = errors.New("crashed")

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
		s.conns.Add(-1)
	}()
	buf := make([]byte, 0, 64<<10)
	rd := make([]byte, 32<<10)
	for {
		n, err := c.Read(rd)
		if err != nil {
			return
		}
		buf = append(buf, rd[:n]...)
		var frames []hostcmd.Frame
		used := 0
		for {
			f, m, err := hostcmd.SplitFrame(buf[used:], s.b.HeaderLen)
			if err != nil {
				s.kill("malformed frame")
				return
			}
			if m == 0 {
				break
			}
			frames = append(frames, f)
			used += m
		}
		if s.b.NoPipelining && (len(frames) > 1 || (len(frames) == 1 && used < len(buf))) {
			s.kill("pipelined frame")
			return
		}
		if err := s.answer(c, frames); err != nil {
			return
		}
		buf = append(buf[:0], buf[used:]...)
	}
}

// answer writes the answers to frames, read together.
func (s *Server) answer(c net.Conn, frames []hostcmd.Frame) error {
	if len(frames) == 0 {
		return nil
	}
	if s.b.Latency > 0 {
		time.Sleep(s.b.Latency)
	}
	if s.b.NoPipelining {
		// A frame that arrived while this one was being worked on is a
		// pipelined one.
		c.SetReadDeadline(time.Now())
		var one [1]byte
		n, _ := c.Read(one[:])
		c.SetReadDeadline(time.Time{})
		if n > 0 {
			s.kill("pipelined frame")
			return errCrash
		}
	}
	var out []byte
	order := make([]int, len(frames))
	for i := range order {
		order[i] = i
		if s.b.Reorder {
			order[i] = len(frames) - 1 - i
		}
	}
	for _, i := range order {
		f := frames[i]
		body := f.Body()
		if len(body) >= 2 && s.lacks[[2]byte{body[0], body[1]}] {
			if s.b.CrashOnUnknown {
				s.kill("unknown command " + string(body[:2]))
				return errCrash
			}
			out = hostcmd.AppendFrame(out, f.Header(), append([]byte{body[0], body[1] + 1}, "68"...))
			continue
		}
		out = hostcmd.AppendFrame(out, f.Header(), s.hsm.Execute(nil, body))
		s.served.Add(1)
	}
	_, err := c.Write(out)
	return err
}

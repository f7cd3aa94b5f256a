package simtest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// Spy is a TCP relay in front of an HSM that records the code and arrival
// time of every command the HSM receives: an independent witness of what a
// client sent (ours). It relays answers unchanged.
type Spy struct {
	ln     net.Listener
	target string
	hl     int

	mu    sync.Mutex
	codes []string
	times []time.Time
	wg    sync.WaitGroup
}

// StartSpy starts a Spy on 127.0.0.1:0 that relays to target, reading
// commands with a header of headerLen characters (hostcmd.md §1). It stops
// when the test ends, after its relays have finished.
func StartSpy(t testing.TB, target string, headerLen int) *Spy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return SpyOn(t, ln, target, headerLen)
}

// SpyOn is StartSpy on a listener of the caller's, such as a TLS listener
// that puts TLS in front of a plain-TCP HSM. The Spy closes ln when the
// test ends.
func SpyOn(t testing.TB, ln net.Listener, target string, headerLen int) *Spy {
	t.Helper()
	s := &Spy{ln: ln, target: target, hl: headerLen}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// Addr returns the address clients dial instead of the HSM's.
func (s *Spy) Addr() string { return s.ln.Addr().String() }

func (s *Spy) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", s.target)
		if err != nil {
			c.Close()
			continue
		}
		s.wg.Add(2)
		go func() {
			defer s.wg.Done()
			io.Copy(c, u)
			c.Close()
		}()
		go func() {
			defer s.wg.Done()
			defer u.Close()
			r := hostcmd.NewReader(c, s.hl)
			var out []byte
			for {
				f, err := r.ReadFrame()
				if err != nil {
					return
				}
				code := f.Code()
				s.mu.Lock()
				s.codes = append(s.codes, string(code[:]))
				s.times = append(s.times, time.Now())
				s.mu.Unlock()
				out = hostcmd.AppendFrame(out[:0], f.Header(), f.Body())
				if _, err := u.Write(out); err != nil {
					return
				}
			}
		}()
	}
}

// Count returns how many commands with code the HSM received.
func (s *Spy) Count(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.codes {
		if c == code {
			n++
		}
	}
	return n
}

// CountExcept returns how many commands with a code outside except the HSM
// received (all of them if except is empty).
func (s *Spy) CountExcept(except ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
outer:
	for _, c := range s.codes {
		for _, e := range except {
			if c == e {
				continue outer
			}
		}
		n++
	}
	return n
}

// MaxInWindow returns the most commands with code (any code if "") that
// arrived within any window of length w (w > 0).
func (s *Spy) MaxInWindow(code string, w time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ts []time.Time
	for i, c := range s.codes {
		if code == "" || c == code {
			ts = append(ts, s.times[i])
		}
	}
	return maxInWindow(ts, w)
}

// maxInWindow returns the most of the ascending times ts that lie within any
// window of length w > 0 (a half-open window: times w apart are not in one).
func maxInWindow(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/fakehsm"
)

// TestServeWorksWithOtherSimulators puts serve in front of HSMs that
// behave like the public simulators people run (issue: other HSMs): one
// without NO, one that takes one connection and one command at a time and
// dies on anything else, one that answers pipelined frames out of order.
// With the per-HSM options, 2,000 commands at 1,000/s are all answered
// correctly and in order, and no fake HSM dies.
func TestServeWorksWithOtherSimulators(t *testing.T) {
	if testing.Short() {
		t.Skip("2 s of paced load per case")
	}
	for _, tc := range []struct {
		name string
		b    fakehsm.Behaviour
		opts string
	}{
		{"lacks NO", fakehsm.Behaviour{HeaderLen: 4, Lacks: []string{"NO"}}, ",probes=NC"},
		{"one connection, one command, crashes on unknown",
			fakehsm.Behaviour{Lacks: []string{"NO"}, CrashOnUnknown: true, OneConn: true, NoPipelining: true},
			",header-len=0,conns=1,inflight=1,probes=NC"},
		{"answers out of order", fakehsm.Behaviour{HeaderLen: 2, Lacks: []string{"NO", "CC", "JE", "JG"}, Reorder: true, Latency: 200 * time.Microsecond},
			",header-len=2,probes=NC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, err := fakehsm.Start(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			// A one-command-at-a-time HSM queues more: the queue timeout is
			// raised so that a scheduling stall of this shared machine (and
			// the race detector) is not mistaken for overload.
			file := filepath.Join(t.TempDir(), "gw.yaml")
			conf := "pools:\n  - queue_timeout: 2s\n    hsms: [{name: placeholder, addr: \"127.0.0.1:1\"}]\n"
			if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			s := startServe(t, "--config", file, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir(),
				"--hsm", "other="+fake.Addr()+tc.opts)
			waitLog(t, s.log, `(pool: HSM up)`)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("fake HSM: crashed=%q served=%d; serve's log:\n%s", fake.Crashed(), fake.Served(), s.log.String())
				}
			})
			relayInOrder(t, s.front, 2000, time.Second/1000)
			if why := fake.Crashed(); why != "" {
				t.Fatalf("the fake HSM died: %s", why)
			}
			if strings.Contains(s.log.String(), "pool: HSM probe failed") {
				t.Errorf("a probe failed:\n%s", s.log.String())
			}
			if code := s.stop(); code != exitOK {
				t.Errorf("exit status %d", code)
			}
		})
	}
}

// relayInOrder writes n echo commands (B2, each with its own payload, and
// an NC every 100th) on one front connection, one every interval, and
// reads the answers: each must carry the next header in sequence and the
// body the request asks for.
func relayInOrder(t *testing.T, front string, n int, interval time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := func(i int) (body, want []byte) {
		if i%100 == 99 {
			return []byte("NC"), []byte("ND007D2227")
		}
		p := fmt.Sprintf("cmd-%05d", i)
		return fmt.Appendf(nil, "B2%04X%s", len(p), p), []byte("B300" + p)
	}
	errc := make(chan error, 1)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		var buf []byte
		for i := range n {
			<-tick.C
			body, _ := req(i)
			buf = hostcmd.AppendFrame(buf[:0], fmt.Appendf(nil, "%04d", i%10000), body)
			if _, err := c.Write(buf); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	c.SetReadDeadline(time.Now().Add(time.Duration(n)*interval + 20*time.Second))
	rd := hostcmd.NewReader(c, 4)
	for i := range n {
		f, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("answer %d of %d: %v", i, n, err)
		}
		_, want := req(i)
		if h := fmt.Sprintf("%04d", i%10000); string(f.Header()) != h {
			t.Fatalf("answer %d: header %q, want %q (out of order)", i, f.Header(), h)
		}
		if !bytes.HasPrefix(f.Body(), want) {
			t.Fatalf("answer %d: %q, want %q…", i, f.Body(), want)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestServeSaysWhyAnHSMStaysDown: an HSM without NO, probed with the
// default set, stays Down, and the log says why at warn once, not every
// round.
func TestServeSaysWhyAnHSMStaysDown(t *testing.T) {
	fake, err := fakehsm.Start(fakehsm.Behaviour{HeaderLen: 4, Lacks: []string{"NO"}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	s := startServe(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir(),
		"--lmk-check", "7d22274c5745c5a1", "--hsm", "other="+fake.Addr())
	line := waitLog(t, s.log, `(level=WARN msg="pool: HSM probe failed".*)`)
	if !strings.Contains(line, `reason="NO answered error 68"`) || !strings.Contains(line, "hsm=other") {
		t.Errorf("warning without the reason: %s", line)
	}
	time.Sleep(1500 * time.Millisecond) // more probe rounds (1 s apart)
	log := s.log.String()
	if n := strings.Count(log, `pool: HSM probe failed`); n != 1 {
		t.Errorf("the same reason logged %d times, want once:\n%s", n, log)
	}
	if strings.Contains(log, "pool: HSM up") {
		t.Errorf("an HSM without NO came Up under the default probes")
	}
	s.stop()
}

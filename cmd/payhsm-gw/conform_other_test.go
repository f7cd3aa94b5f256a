package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// dropProxy relays to target and, on the frame number dropAt (counted
// over every connection, from 1), closes that connection without relaying
// it, as a target that crashes or resets would.
type dropProxy struct {
	ln      net.Listener
	target  string
	dropAt  int64
	frames  atomic.Int64
	accepts atomic.Int64
	wg      sync.WaitGroup
}

func startDropProxy(t *testing.T, target string, dropAt int64) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target, dropAt: dropAt}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepts.Add(1)
			p.wg.Add(1)
			go p.relay(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *dropProxy) relay(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(c, up)
	rd := hostcmd.NewReader(c, 4)
	for {
		f, err := rd.ReadFrame()
		if err != nil {
			return
		}
		if p.frames.Add(1) == p.dropAt {
			return
		}
		if _, err := up.Write(hostcmd.AppendFrame(nil, f.Header(), f.Body())); err != nil {
			return
		}
	}
}

func TestConformReconnectsAndFailsOnlyTheCaseThatLostItsConnection(t *testing.T) {
	srv := startTestSim(t)
	proxy := startDropProxy(t, srv.Addr(), 10)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"conform", "--target", proxy.ln.Addr().String()}, &out, &errb)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitFailed, errb.String())
	}
	m := closingLine.FindStringSubmatch(out.String())
	if m == nil || m[2] != "1" {
		t.Fatalf("want exactly one failure; closing line %q; failures:\n%s", lastLine(out.String()), grepFail(out.String()))
	}
	if fails := grepFail(out.String()); !strings.Contains(fails, "no answer") {
		t.Errorf("the failed case does not say it got no answer: %s", fails)
	}
	if n := proxy.accepts.Load(); n != 2 {
		t.Errorf("%d connections to the target, want 2 (one redial)", n)
	}
}

func TestConformOnlySkipAndConns(t *testing.T) {
	srv := startTestSim(t)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"conform", "--target", srv.Addr(), "--only", "nc,CA", "--skip", "CA", "--conns", "3"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d; stderr %q; failures:\n%s", code, errb.String(), grepFail(out.String()))
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "PASS ") && !strings.Contains(l, "NC") {
			t.Errorf("a case other than NC ran: %s", l)
		}
	}
	if m := closingLine.FindStringSubmatch(out.String()); m == nil || m[1] == "0" {
		t.Fatalf("closing line %q", lastLine(out.String()))
	}
	for _, bad := range [][]string{{"--only", "NCX"}, {"--only", "ZZ"}, {"--conns", "0"}, {"--lmk", "/nonexistent"}} {
		var o, e bytes.Buffer
		if code := run(context.Background(), append([]string{"conform", "--target", srv.Addr()}, bad...), &o, &e); code != exitUsage {
			t.Errorf("conform %v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

// TestConformUnderAnotherLMK runs the generated cases against a simulator
// under an LMK of the test's own making, given to both by file.
func TestConformUnderAnotherLMK(t *testing.T) {
	var b strings.Builder
	var pairs [keys.NumPairs][16]byte
	for i := range pairs {
		for j := range pairs[i] {
			pairs[i][j] = byte(i*16+j)*41 + 7
		}
		keys.AdjustParity(pairs[i][:])
		fmt.Fprintf(&b, "%02d-%02d %X %X\n", 2*i, 2*i+1, pairs[i][:8], pairs[i][8:])
	}
	file := filepath.Join(t.TempDir(), "lmk.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	lmk, err := loadLMK(file)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.Start(simulator.Config{LMK: lmk})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out, errb bytes.Buffer
	// Without --lmk the generated cases are wrapped under the test LMK: they fail.
	if code := run(context.Background(), []string{"conform", "--target", srv.Addr(), "--only", "CA"}, &out, &errb); code != exitFailed {
		t.Fatalf("under the wrong LMK: exit %d, want %d", code, exitFailed)
	}
	out.Reset()
	if code := run(context.Background(), []string{"conform", "--target", srv.Addr(), "--lmk", file}, &out, &errb); code != exitOK {
		t.Fatalf("with --lmk: exit %d; failures:\n%s", code, grepFail(out.String()))
	}
	if strings.Contains(out.String(), "vector/") {
		t.Errorf("public vectors (under the test LMK) ran against another LMK")
	}
}

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/testlog"
	"github.com/payhsm/payhsm-gw/simulator"
)

// syncBuffer captures a server's log while it runs.
type syncBuffer = testlog.Buffer

func TestServeRejectsBadConfigurationWithExit2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--config", write("a.yaml", "listen: 127.0.0.1:0\nlisten_addr: x\n")}, "listen_addr"},
		{"bad value names its path", []string{"--config", write("b.yaml", "pools:\n  - hsms:\n      - {name: a, addr: nowhere}\n")}, "pools[0].hsms[0].addr: missing port"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"config without HSMs", []string{"--config", write("c.yaml", "listen: 127.0.0.1:0\n")}, "pools: at least one pool"},
		{"bad --hsm", []string{"--hsm", "a=h:1,speed=9"}, "unknown option"},
		{"bad --header-len", []string{"--header-len", "17", "--hsm", "a=127.0.0.1:1"}, "header_len"},
		{"unknown flag", []string{"--frobnicate"}, "frobnicate"},
	}
	for _, tt := range tests {
		var out, errb syncBuffer
		code := runServe(context.Background(), tt.args, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%s: have exit %d, stderr %q; want exit %d and %q", tt.name, code, errb.String(), exitUsage, tt.want)
		}
	}
}

func TestServeStartsAnEmbeddedPairAndStopsOnCancel(t *testing.T) {
	s := startServe(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir())
	if !strings.Contains(s.log.String(), "EMBEDDED SIMULATED HA PAIR") {
		t.Errorf("the log does not say that the pair is simulated:\n%s", s.log.String())
	}
	if f := roundTrip(t, s.front, "0001", "NC"); string(f.Header()) != "0001" || !strings.HasPrefix(string(f.Body()), "ND00") {
		t.Fatalf("NC through serve: have %q %q", f.Header(), f.Body())
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "payhsm_hsm_up"} {
		resp, err := http.Get("http://" + s.http + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: have %d, body without %q", path, resp.StatusCode, want)
		}
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status after cancel: have %d, want 0", code)
	}
}

// waitLog waits for a log line matching re and returns its first group.
func waitLog(t *testing.T, b *syncBuffer, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(b.String()); m != nil {
			return m[1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line matching %q:\n%s", re, b.String())
	return ""
}

// roundTrip sends one host command (header and body) to addr on a new
// connection and returns the answer, read with the header's length.
func roundTrip(t *testing.T, addr, header, body string) hostcmd.Frame {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(hostcmd.AppendFrame(nil, []byte(header), []byte(body))); err != nil {
		t.Fatal(err)
	}
	f, err := hostcmd.NewReader(c, len(header)).ReadFrame()
	if err != nil {
		t.Fatalf("%.2s to %s: %v", body, addr, err)
	}
	return f
}

// TestServeHelpListsTheContractFlags keeps --help in step with
// docs/spec/cli.md.
func TestServeHelpListsTheContractFlags(t *testing.T) {
	var out, errb syncBuffer
	if code := runServe(context.Background(), []string{"--help"}, &out, &errb); code != exitOK {
		t.Fatalf("serve --help: exit %d", code)
	}
	for _, flag := range []string{"-config", "-listen", "-http", "-header-len", "-hsm", "-data", "-registry", "-registry-optional", "embedded simulated HA pair"} {
		if !strings.Contains(errb.String(), flag) {
			t.Errorf("serve --help does not mention %q:\n%s", flag, errb.String())
		}
	}
}

func TestServeRelaysToHSMsGivenByFlagsOverTheConfigFile(t *testing.T) {
	sim, err := simulator.Start(simulator.Config{HeaderLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	// The file names an HSM that does not exist; --hsm replaces it.
	file := filepath.Join(t.TempDir(), "gw.yaml")
	cfg := "listen: 127.0.0.1:1\nheader_len: 6\npools:\n  - health: {interval: 50ms}\n    hsms:\n      - {name: gone, addr: \"127.0.0.1:1\"}\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", file, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir(),
		"--header-len", "3", "--hsm", "real="+sim.Addr()+",header-len=2,conns=1,pair=p")
	if strings.Contains(s.log.String(), "EMBEDDED") {
		t.Errorf("serve started the embedded pair although --hsm was given")
	}
	// --header-len 3 overrides the file's 6 on the front.
	if f := roundTrip(t, s.front, "abc", "B20002hi"); string(f.Header()) != "abc" || string(f.Body()) != "B300hi" {
		t.Fatalf("through serve: have %q %q", f.Header(), f.Body())
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status: have %d, want 0", code)
	}
}

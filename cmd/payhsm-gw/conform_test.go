package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

func startTestSim(t *testing.T) *simulator.Server {
	t.Helper()
	srv, err := simulator.Start(simulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

var closingLine = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed\n\z`)

func TestConformPassesAgainstSimulator(t *testing.T) {
	srv := startTestSim(t)
	jsonFile := filepath.Join(t.TempDir(), "results.json")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"conform", "--target", srv.Addr(), "--json", jsonFile}, &out, &errb)
	if code != exitOK {
		t.Fatalf("have exit %d want %d; stderr %q; failures:\n%s", code, exitOK, errb.String(), grepFail(out.String()))
	}
	m := closingLine.FindStringSubmatch(out.String())
	if m == nil || m[2] != "0" {
		t.Fatalf("closing line missing or failures: %q", lastLine(out.String()))
	}
	var rs struct {
		Passed, Failed int
		Cases          []struct{ Name, Status string }
	}
	if err := json.Unmarshal(mustRead(t, jsonFile), &rs); err != nil {
		t.Fatalf("--json file: %v", err)
	}
	if rs.Passed < 60 || rs.Failed != 0 || len(rs.Cases) != rs.Passed {
		t.Errorf("json results: passed %d failed %d cases %d; want >= 60 passed, none failed", rs.Passed, rs.Failed, len(rs.Cases))
	}
	if strings.Count(out.String(), "PASS ") != rs.Passed {
		t.Errorf("have %d PASS lines want %d", strings.Count(out.String(), "PASS "), rs.Passed)
	}
}

func TestConformFailsAgainstBrokenTarget(t *testing.T) {
	srv := startTestSim(t)
	srv.SetForcedError(hostcmd.NotAuthorised)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"conform", "--target", srv.Addr()}, &out, &errb)
	if code != exitFailed {
		t.Fatalf("have exit %d want %d", code, exitFailed)
	}
	m := closingLine.FindStringSubmatch(out.String())
	if m == nil || m[1] != "0" {
		t.Fatalf("want every case failed; closing line %q", lastLine(out.String()))
	}
	// Failure lines show codes and lengths, never a PIN block or key.
	for _, l := range strings.Split(grepFail(out.String()), "\n") {
		if l != "" && !regexp.MustCompile(`^FAIL [^:]+: .*have [A-Z0-9]{2}17 \(4 bytes\)`).MatchString(l) {
			t.Errorf("unexpected failure line %q", l)
		}
	}
}

func TestConformUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"conform"},
		{"conform", "--target"},
		{"conform", "--target", "127.0.0.1:1", "--header-len", "17"},
		{"conform", "--target", "127.0.0.1:1", "--clear-pin", "maybe"},
		{"conform", "--target", "127.0.0.1:1", "extra"},
		{"conform", "--bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%q: have exit %d want %d", args, code, exitUsage)
		}
	}
}

func TestConformUnreachableTargetExits1(t *testing.T) {
	srv := startTestSim(t)
	addr := srv.Addr()
	srv.Close()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"conform", "--target", addr}, &out, &errb); code != exitFailed {
		t.Errorf("have exit %d want %d", code, exitFailed)
	}
}

func grepFail(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "FAIL ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

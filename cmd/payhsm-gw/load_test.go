package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

func TestLoadHeldAgainstSimulatorWritesReports(t *testing.T) {
	srv := startTestSim(t)
	dir := t.TempDir()
	jsonFile, htmlFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"load", "--target", srv.Addr(), "--profile", "60", "--duration", "1s", "--warmup", "200ms",
		"--conns", "2", "--json", jsonFile, "--html", htmlFile}, &out, &errb)
	var rep struct {
		AchievedRate     float64
		Errors           map[string]int64
		Wrong            map[string]int64
		Latency          struct{ P50, P90, P99, P999, Max float64 }
		LatencyFromWrite *struct{ P50, P90, P99, P999, Max float64 }
		SenderLag        struct{ P50, P99 float64 }
		RunnerBound      *bool
		Held             bool
		Reason           string
	}
	if err := json.Unmarshal(mustRead(t, jsonFile), &rep); err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	// On a loaded machine 60/s may miss 1%; the exit status must agree with the report.
	if want := map[bool]int{true: exitOK, false: exitFailed}[rep.Held]; code != want {
		t.Errorf("have exit %d with held=%v (reason %q); want %d", code, rep.Held, rep.Reason, want)
	}
	if len(rep.Errors) != 0 || len(rep.Wrong) != 0 || rep.AchievedRate <= 0 || rep.Latency.Max < rep.Latency.P50 {
		t.Errorf("report: %+v", rep)
	}
	if rep.LatencyFromWrite == nil || rep.LatencyFromWrite.P50 > rep.Latency.P50 || rep.RunnerBound == nil {
		t.Errorf("report: latency from the write %+v, runnerBound %v", rep.LatencyFromWrite, rep.RunnerBound)
	}
	for _, want := range []string{"latency ms: p50 ", "from write: p50 ", "sender lag: p50 ", "achieved ", "0 wrong answers, 0 errors"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary has no %q: %q", want, out.String())
		}
	}
	// The verdict line (the last) names a runner-bound run.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if v := lines[len(lines)-1]; strings.Contains(v, "runner-bound") != *rep.RunnerBound {
		t.Errorf("verdict line %q with runnerBound %v", v, *rep.RunnerBound)
	}
	html := string(mustRead(t, htmlFile))
	if strings.Count(html, "<svg ") != 2 || strings.Contains(html, "http") || !strings.Contains(html, "from the write") {
		t.Errorf("HTML report: want two inline SVG plots with the latency from the write and no external URL")
	}
	if errb.Len() != 0 {
		t.Errorf("stderr is not a terminal, want no progress bar; have %q", errb.String())
	}
}

func TestLoadNotHeldExits1(t *testing.T) {
	srv := startTestSim(t)
	srv.SetForcedError(hostcmd.InternalError)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"load", "--target", srv.Addr(), "--profile", "100", "--duration", "500ms", "--warmup", "-1s", "--conns", "1"}, &out, &errb)
	if code != exitFailed || !strings.Contains(out.String(), "NOT HELD: 50 wrong answers (41:50)") || strings.Contains(out.String(), "saturated") {
		t.Errorf("have exit %d, stdout %q; want %d, NOT HELD with 50 wrong answers of code 41 and no saturation", code, out.String(), exitFailed)
	}
}

func TestLoadUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"load"},
		{"load", "--target", "127.0.0.1:1", "--profile", "fast"},
		{"load", "--target", "127.0.0.1:1", "--profile", "0"},
		{"load", "--target", "127.0.0.1:1", "--duration", "0s"},
		{"load", "--target", "127.0.0.1:1", "--duration", "soon"},
		{"load", "--target", "127.0.0.1:1", "--mix", "CA:1,ZZ:2"},
		{"load", "--target", "127.0.0.1:1", "--conns", "0"},
		{"load", "--target", "127.0.0.1:1", "--header-len", "-1"},
		{"load", "--target", "127.0.0.1:1", "surplus"},
		{"load", "--target", "127.0.0.1:1", "--profile", "max", "--max-concurrency", "0"},
		{"load", "--target", "127.0.0.1:1", "--profile", "max", "--concurrency", "-1"},
		{"load", "--target", "127.0.0.1:1", "--profile", "250", "--concurrency", "64"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%q: have exit %d want %d", args, code, exitUsage)
		}
	}
}

func TestLoadAndConformHelpListContractFlags(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"conform": {"--target", "--header-len", "--json"},
		"load":    {"--target", "--header-len", "--profile", "--duration", "--mix", "--conns", "--json", "--html"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{cmd, "--help"}, &out, &errb); code != exitOK {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		for _, f := range flags {
			if !strings.Contains(errb.String(), "  "+f+" ") {
				t.Errorf("%s --help does not list %s", cmd, f)
			}
		}
	}
}

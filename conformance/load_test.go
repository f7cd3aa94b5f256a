package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil || m.String() != DefaultMix {
		t.Fatalf("ParseMix(%q): have %v, %v", DefaultMix, m, err)
	}
	for _, bad := range []string{"", "CA", "CA:0", "CA:-1", "CA:x", "ZZ:1", "CA:1,CA:2", "CA:1,"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q): want an error", bad)
		}
	}
}

// Every load item's expected answer is what the simulator answers.
func TestLoadItemsMatchSimulator(t *testing.T) {
	_, c := startSim(t, simulator.Config{})
	var all []MixEntry
	for _, cmd := range MixCommands() {
		all = append(all, MixEntry{cmd, 1})
	}
	items, err := loadItems(all, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	for cmd, its := range items {
		for _, it := range its {
			resp, err := c.RoundTrip(context.Background(), it.req)
			if err != nil || !bytes.Equal(resp, it.want) {
				t.Errorf("%s: %v", cmd, mismatch(resp, it.want))
			}
		}
	}
}

func TestRunLoadOpenLoopReport(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 200, Duration: time.Second, Warmup: 200 * time.Millisecond, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount != 0 || len(rep.Errors) != 0 {
		t.Errorf("have errors %v, want none", rep.Errors)
	}
	if rep.Completed != 200 {
		t.Errorf("have %d measured commands want 200", rep.Completed)
	}
	if rep.Sent != 240 {
		t.Errorf("have %d sent want 240 (warm-up included)", rep.Sent)
	}
	if rep.AchievedRate <= 0 || rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Errorf("implausible figures: rate %v latency %+v", rep.AchievedRate, rep.Latency)
	}
	if len(rep.Timeline) != 1 || len(rep.Percentiles) == 0 {
		t.Errorf("have %d timeline seconds and %d percentile points", len(rep.Timeline), len(rep.Percentiles))
	}
	if !rep.Held && rep.Reason == "" {
		t.Error("not held but no reason given")
	}

	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"achievedRate", "errors", "latency", "targetRate", "durationSeconds", "held", "timeline", "percentiles"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report has no %q", k)
		}
	}
	lat, _ := m["latency"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if _, ok := lat[k].(float64); !ok {
			t.Errorf("JSON report latency has no number %q", k)
		}
	}

	var h bytes.Buffer
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, h.String())
}

func checkHTML(t *testing.T, s string) {
	t.Helper()
	for _, id := range []string{`<svg id="latency-over-time"`, `<svg id="latency-by-percentile"`} {
		if !strings.Contains(s, id) {
			t.Errorf("HTML report has no %s", id)
		}
	}
	if n := strings.Count(s, "<polyline"); n < 2 {
		t.Errorf("HTML report has %d plotted lines", n)
	}
	for _, bad := range []string{"http:", "https:", "src=", "href=", "@import", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML report refers to an external asset (%q)", bad)
		}
	}
	if !strings.HasPrefix(s, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(s), "</html>") {
		t.Error("HTML report is not a whole document")
	}
}

func TestRunLoadCountsWrongAnswersByCode(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	srv.SetForcedError(hostcmd.InternalError)
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 100, Duration: 500 * time.Millisecond, Warmup: -1, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Held || rep.Errors["41"] != 50 || rep.ErrorCount != 50 || !strings.Contains(rep.Reason, "50 errors") {
		t.Errorf("have held %v errors %v reason %q; want not held, 50 errors of code 41", rep.Held, rep.Errors, rep.Reason)
	}
}

// stallServer serves the host-command contract with the simulator's engine,
// except that the command numbered stallAt waits for d before it is answered:
// a target that stalls once.
func stallServer(t *testing.T, stallAt int64, d time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hsm := simulator.NewHSM(nil)
	var n atomic.Int64
	h := hostcmd.HandlerFunc(func(dst []byte, req hostcmd.Frame) []byte {
		if n.Add(1) == stallAt {
			time.Sleep(d)
		}
		return hsm.Execute(dst, req.Body())
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go hostcmd.ServeConn(ctx, c, 4, h)
		}
	}()
	t.Cleanup(func() { cancel(); ln.Close(); <-done })
	return ln.Addr().String()
}

// With one command allowed in flight, a 400 ms stall holds back every command
// due during it. Measured from send time only the stalled command would be
// slow; measured from the schedule, every command due in the stall shows it.
func TestRunLoadMeasuresFromScheduledTime(t *testing.T) {
	addr := stallServer(t, 50, 400*time.Millisecond)
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 4, Rate: 200, Duration: time.Second, Warmup: -1, Conns: 1, MaxInFlight: 1, Mix: Mix{{"B2", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	// 80 commands are due during the stall, with 400 ms down to 0 ms of
	// delay: more than 10% of the 200 are over 200 ms late.
	if rep.Latency.P90 < 200 || rep.Latency.Max < 400 {
		t.Errorf("have p90 %.1f ms, max %.1f ms; want the stall to show: p90 >= 200 ms, max >= 400 ms", rep.Latency.P90, rep.Latency.Max)
	}
	if rep.ErrorCount != 0 {
		t.Errorf("have errors %v", rep.Errors)
	}
	if !strings.Contains(rep.Reason, "target saturated") && rep.Held {
		t.Logf("held despite the stall: achieved %.1f", rep.AchievedRate)
	}
}

func TestRunLoadMaxSearch(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 0, Duration: 150 * time.Millisecond, Warmup: -1, Conns: 2, MaxConcurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Profile != "max" || rep.Stop == "" || len(rep.Steps) == 0 || rep.Steps[0].Concurrency != 1 || rep.AchievedRate <= 0 || rep.ErrorCount != 0 {
		t.Errorf("have profile %q steps %+v rate %v errors %v", rep.Profile, rep.Steps, rep.AchievedRate, rep.Errors)
	}
	var h bytes.Buffer
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, h.String())
}

// With Concurrency set the search is one step that keeps that many commands
// in flight: against 20 ms of service time, 16 in flight give about 800/s
// (a search from 1 would report its best step, not this one).
func TestRunLoadFixedConcurrency(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{Latency: 20 * time.Millisecond})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 0,
		Duration: 400 * time.Millisecond, Warmup: 100 * time.Millisecond, Conns: 4, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Concurrency != 16 || rep.Stop != "fixed concurrency 16" || rep.ErrorCount != 0 {
		t.Fatalf("have steps %+v stop %q errors %v", rep.Steps, rep.Stop, rep.Errors)
	}
	if rep.AchievedRate < 600 || rep.AchievedRate > 820 {
		t.Errorf("rate %.0f/s with 16 in flight and 20 ms each, want about 800", rep.AchievedRate)
	}
}

// Against a target whose rate cannot rise (a simulator licensed for 1,000
// commands/s), the search still goes on until every connection carries two
// commands, then stops after two flat steps and names the best step.
func TestRunLoadMaxSearchDoesNotStopBeforeEveryConnectionIsBusy(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{CPS: 1000})
	const conns = 4
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 0,
		Duration: 200 * time.Millisecond, Warmup: -1, Conns: conns, MaxConcurrency: 256})
	if err != nil {
		t.Fatal(err)
	}
	last := rep.Steps[len(rep.Steps)-1].Concurrency
	if last < 4*conns {
		t.Errorf("the search stopped at concurrency %d, before two flat steps with every connection busy (%d)", last, 4*conns)
	}
	if !strings.HasPrefix(rep.Stop, "throughput stopped rising after concurrency ") {
		t.Errorf("stop reason %q", rep.Stop)
	}
	if rep.AchievedRate < 900 || rep.AchievedRate > 1100 {
		t.Errorf("best rate %.0f/s against a 1,000/s licence", rep.AchievedRate)
	}
}

func TestRunLoadUnreachableTarget(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	addr := srv.Addr()
	srv.Close()
	if _, err := RunLoad(context.Background(), LoadConfig{Target: addr, Rate: 10, Duration: time.Second}); err == nil {
		t.Error("want an error for a target that does not listen")
	}
}

func TestRunLoadSpreadsConnectionsOverTargets(t *testing.T) {
	a, _ := startSim(t, simulator.Config{})
	b, _ := startSim(t, simulator.Config{})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: a.Addr() + "," + b.Addr(), HeaderLen: 4, Rate: 100, Duration: 300 * time.Millisecond, Warmup: -1, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ErrorCount != 0 || a.Stats().Commands == 0 || b.Stats().Commands == 0 {
		t.Errorf("have errors %v, commands a %d b %d; want both targets loaded", rep.Errors, a.Stats().Commands, b.Stats().Commands)
	}
}

// A cancelled run stops sending, lets the commands in flight finish, and
// reports that it stopped early.
func TestRunLoadStopsCleanlyOnCancel(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	var once atomic.Bool
	rep, err := RunLoad(ctx, LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 200, Duration: time.Hour, Warmup: -1, Conns: 1,
		Progress: func(float64) {
			if once.CompareAndSwap(false, true) {
				cancel()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Held || !strings.Contains(rep.Reason, "stopped before the end") || rep.ErrorCount != 0 {
		t.Errorf("have held %v reason %q errors %v; want not held, stopped early, no errors", rep.Held, rep.Reason, rep.Errors)
	}
}

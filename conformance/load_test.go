package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
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
	for _, k := range []string{"achievedRate", "answeredRate", "errors", "errorCount", "wrong", "wrongCount", "latency", "latencyFromWrite", "senderLag",
		"runnerBound", "targetRate", "durationSeconds", "held", "timeline", "percentiles", "percentilesFromWrite", "senderLagPercentiles"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report has no %q", k)
		}
	}
	for _, l := range []string{"latency", "latencyFromWrite", "senderLag"} {
		lat, _ := m[l].(map[string]any)
		for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
			if _, ok := lat[k].(float64); !ok {
				t.Errorf("JSON report %s has no number %q", l, k)
			}
		}
	}
	if _, ok := m["runnerBound"].(bool); !ok {
		t.Error("JSON report runnerBound is not a boolean")
	}

	var h bytes.Buffer
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	checkHTML(t, h.String())
	// Both latencies plotted over time and by percentile, with the lag.
	for _, want := range []string{"p50 from the write", "p99 from the write", "p50 from the scheduled time", "latency from the write", "latency from the scheduled time", "sender lag", "stroke-dasharray"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML report has no %q", want)
		}
	}
	if n := strings.Count(h.String(), "<polyline"); n != 8 {
		t.Errorf("HTML report has %d plotted lines, want 5 over time and 3 by percentile", n)
	}
	if strings.Contains(h.String(), `id="runner-bound"`) != rep.RunnerBound {
		t.Errorf("HTML report's runner-bound notice does not follow runnerBound %v", rep.RunnerBound)
	}
}

// The HTML report says when a run is runner-bound and lists wrong answers
// apart from errors.
func TestWriteHTMLRunnerBoundAndWrong(t *testing.T) {
	rep := &Report{Profile: "1000", TargetRate: 1000, Latency: Latency{P50: 0.5}, SenderLag: Latency{P99: 0.2}, RunnerBound: true,
		Wrong: map[string]int64{"41": 7}, WrongCount: 7, Errors: map[string]int64{"timeout": 2}, ErrorCount: 2, Reason: "7 wrong answers (41:7); 2 errors (timeout:2)"}
	var h bytes.Buffer
	if err := WriteHTML(&h, rep); err != nil {
		t.Fatal(err)
	}
	s := h.String()
	for _, want := range []string{`id="runner-bound"`, "Runner-bound", "Wrong answers by code", "<td>41</td><td>7</td>", "Errors (no answer)", "<td>timeout</td><td>2</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML report has no %q", want)
		}
	}
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

// An answer with another error code is a wrong answer, counted by its code
// apart from errors (no answer) and from slowness: a target that answers
// every command on time, wrongly, is not saturated (issue 15).
func TestRunLoadCountsWrongAnswersByCode(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{})
	srv.SetForcedError(hostcmd.InternalError)
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 100, Duration: 500 * time.Millisecond, Warmup: -1, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Held || rep.Wrong["41"] != 50 || rep.WrongCount != 50 || rep.ErrorCount != 0 || len(rep.Errors) != 0 {
		t.Errorf("have held %v wrong %v errors %v; want not held, 50 wrong answers of code 41, no errors", rep.Held, rep.Wrong, rep.Errors)
	}
	if !strings.Contains(rep.Reason, "50 wrong answers (41:50)") || strings.Contains(rep.Reason, "saturated") {
		t.Errorf("reason %q; want the wrong answers named and no saturation", rep.Reason)
	}
	if rep.AchievedRate != 0 || rep.AnsweredRate < 99 {
		t.Errorf("have achieved %.1f/s answered %.1f/s; want 0 correct, all 100/s answered", rep.AchievedRate, rep.AnsweredRate)
	}
}

// frameServer accepts connections and runs serve on each, with a reader of
// frames and the simulator's command engine: a target whose behaviour a
// test writes.
func frameServer(t *testing.T, headerLen int, serve func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hsm := simulator.NewHSM(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, hostcmd.NewReader(c, headerLen), hsm)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// answer writes the engine's answer to f on c.
func answer(c net.Conn, hsm *simulator.HSM, f hostcmd.Frame, change func([]byte) []byte) error {
	body := hsm.Execute(nil, f.Body())
	if change != nil {
		body = change(body)
	}
	_, err := c.Write(hostcmd.AppendFrame(nil, f.Header(), body))
	return err
}

// An answer with the expected code and a wrong value is a wrong answer
// named "mismatch".
func TestRunLoadCountsWrongValues(t *testing.T) {
	addr := frameServer(t, 4, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for {
			f, err := r.ReadFrame()
			if err != nil || answer(c, hsm, f, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }) != nil {
				return
			}
		}
	})
	// 1 s, so that one answer the loaded machine delays past the window's
	// end does not read as a saturated target.
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 4, Rate: 100, Duration: time.Second, Warmup: -1, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The last character of a verification's answer is its error code's:
	// 00 turns into 01 there, and the other answers are mismatches.
	if rep.Held || rep.WrongCount != 100 || rep.Wrong["mismatch"] == 0 || rep.Wrong["mismatch"]+rep.Wrong["01"] != 100 ||
		rep.ErrorCount != 0 || strings.Contains(rep.Reason, "saturated") {
		t.Errorf("have held %v wrong %v errors %v reason %q; want 100 wrong (mismatch or 01), no errors, no saturation", rep.Held, rep.Wrong, rep.Errors, rep.Reason)
	}
}

// A command left unanswered is an error "timeout", found without a timer
// per command; the answers around it still match their commands by header.
func TestRunLoadTimesOutUnansweredCommands(t *testing.T) {
	addr := frameServer(t, 4, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for n := 1; ; n++ {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			if n%10 == 0 {
				continue // swallowed
			}
			if answer(c, hsm, f, nil) != nil {
				return
			}
		}
	})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 4, Rate: 100, Duration: 500 * time.Millisecond, Warmup: -1, Conns: 1, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors["timeout"] != 5 || rep.ErrorCount != 5 || rep.WrongCount != 0 || rep.Completed != 50 || rep.Held {
		t.Errorf("have errors %v wrong %v completed %d held %v; want 5 timeouts of 50, nothing wrong", rep.Errors, rep.Wrong, rep.Completed, rep.Held)
	}
	if !strings.Contains(rep.Reason, "5 errors (timeout:5)") {
		t.Errorf("reason %q", rep.Reason)
	}
}

// A target that answers pipelined commands out of order (here each pair
// reversed) gets every answer matched to its command by header.
func TestRunLoadMatchesAnswersOutOfOrder(t *testing.T) {
	addr := frameServer(t, 4, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for {
			f1, err := r.ReadFrame()
			if err != nil {
				return
			}
			b1 := hsm.Execute(nil, f1.Body())
			h1 := append([]byte(nil), f1.Header()...)
			f2, err := r.ReadFrame()
			if err != nil || answer(c, hsm, f2, nil) != nil {
				return
			}
			if _, err := c.Write(hostcmd.AppendFrame(nil, h1, b1)); err != nil {
				return
			}
		}
	})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 4, Rate: 200, Duration: 500 * time.Millisecond, Warmup: -1, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.WrongCount != 0 || rep.ErrorCount != 0 || rep.Completed != 100 {
		t.Errorf("have wrong %v errors %v completed %d; want 100 correct", rep.Wrong, rep.Errors, rep.Completed)
	}
}

// Without a header, answers are matched in order.
func TestRunLoadWithoutHeader(t *testing.T) {
	addr := frameServer(t, 0, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for {
			f, err := r.ReadFrame()
			if err != nil || answer(c, hsm, f, nil) != nil {
				return
			}
		}
	})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 0, Rate: 200, Duration: 300 * time.Millisecond, Warmup: -1, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.WrongCount != 0 || rep.ErrorCount != 0 || rep.Completed != 60 {
		t.Errorf("have wrong %v errors %v completed %d; want 60 correct", rep.Wrong, rep.Errors, rep.Completed)
	}
}

// A connection the target closes fails the commands waiting on it and every
// later one due on it as "transport" errors.
func TestRunLoadLostConnection(t *testing.T) {
	addr := frameServer(t, 4, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for range 20 {
			f, err := r.ReadFrame()
			if err != nil || answer(c, hsm, f, nil) != nil {
				return
			}
		}
	})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: addr, HeaderLen: 4, Rate: 100, Duration: 500 * time.Millisecond, Warmup: -1, Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Completed != 50 || rep.Errors["transport"] != 30 || rep.WrongCount != 0 || rep.Held {
		t.Errorf("have completed %d errors %v wrong %v held %v; want 20 answered and 30 transport errors", rep.Completed, rep.Errors, rep.Wrong, rep.Held)
	}
}

// Against a target with 3 ms of service time, the latency from the write
// includes it, and at every percentile the latency from the scheduled time
// is at least the latency from the write (each command is written at or
// after its due time).
func TestRunLoadLatencyFromWrite(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{Latency: 3 * time.Millisecond})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 200, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond, Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	w := rep.LatencyFromWrite
	if w == nil {
		t.Fatal("no latency from the write in an open-loop report")
	}
	if w.P50 < 3 || rep.Latency.P50 < w.P50 || rep.Latency.P99 < w.P99 || rep.Latency.Max < w.Max {
		t.Errorf("have from schedule %+v, from write %+v", rep.Latency, *w)
	}
	if len(rep.PercentilesFromWrite) != len(rep.Percentiles) || len(rep.SenderLagPercentiles) == 0 {
		t.Errorf("have %d/%d/%d percentile points", len(rep.Percentiles), len(rep.PercentilesFromWrite), len(rep.SenderLagPercentiles))
	}
	for _, s := range rep.Timeline {
		if s.Count > 0 && (s.WriteP50 < 3 || s.WriteP50 > s.P50) {
			t.Errorf("second %d: p50 %.3f from schedule, %.3f from write", s.T, s.P50, s.WriteP50)
		}
	}
}

// The verdicts of open-loop reports, on made-up figures.
func TestReportVerdict(t *testing.T) {
	good := func(mod func(r *Report)) *Report {
		r := &Report{AchievedRate: 1000, AnsweredRate: 1000, Latency: Latency{P50: 0.5, P99: 1}, SenderLag: Latency{P99: 0.02},
			Wrong: map[string]int64{}, Errors: map[string]int64{}}
		if mod != nil {
			mod(r)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		rep     *Report
		blocked time.Duration
		stopped bool
		held    bool
		bound   bool
		reason  string // substring; "" for none
		not     string // must not appear
	}{
		{"held", good(nil), 0, false, true, false, "", ""},
		{"runner-bound but held", good(func(r *Report) { r.SenderLag.P99 = 0.051 }), 0, false, true, true, "", ""},
		{"lag at exactly 10% of p50", good(func(r *Report) { r.SenderLag.P99 = 0.05 }), 0, false, true, false, "", ""},
		{"all wrong, on time", good(func(r *Report) { r.AchievedRate, r.WrongCount, r.Wrong["41"] = 0, 30000, 30000 }), 0, false, false, false, "30000 wrong answers (41:30000)", "saturated"},
		{"timeouts", good(func(r *Report) {
			r.AchievedRate, r.AnsweredRate, r.ErrorCount, r.Errors["timeout"] = 900, 900, 3000, 3000
		}), 0, false, false, false, "3000 errors (timeout:3000)", ""},
		{"no answer at all", good(func(r *Report) { r.AchievedRate, r.AnsweredRate, r.ErrorCount, r.Errors["timeout"] = 0, 0, 10, 10 }), 0, false, false, false, "no command was answered", "saturated"},
		{"slow", good(func(r *Report) { r.AchievedRate, r.AnsweredRate = 900, 900 }), 0, false, false, false, "target saturated: answers did not keep up", ""},
		{"in-flight bound", good(func(r *Report) { r.AchievedRate, r.AnsweredRate = 900, 900 }), time.Second, false, false, false, "the sender waited 1s for room in flight", ""},
		{"runner far behind", good(func(r *Report) { r.AchievedRate, r.AnsweredRate, r.SenderLag.P99 = 900, 900, 40 }), 0, false, false, true, "client saturated", ""},
		{"stopped", good(func(r *Report) { r.AchievedRate, r.AnsweredRate = 10, 10 }), 0, true, false, false, "stopped before the end", "saturated"},
	} {
		tc.rep.verdict(1000, tc.blocked, 30*time.Second, 65536, tc.stopped)
		if tc.rep.Held != tc.held || tc.rep.RunnerBound != tc.bound {
			t.Errorf("%s: have held %v runner-bound %v, want %v %v", tc.name, tc.rep.Held, tc.rep.RunnerBound, tc.held, tc.bound)
		}
		if (tc.reason == "") != (tc.rep.Reason == "") || !strings.Contains(tc.rep.Reason, tc.reason) || (tc.not != "" && strings.Contains(tc.rep.Reason, tc.not)) {
			t.Errorf("%s: reason %q, want %q and not %q", tc.name, tc.rep.Reason, tc.reason, tc.not)
		}
		if note := tc.rep.RunnerBoundNote(); (note != "") != tc.bound {
			t.Errorf("%s: runner-bound note %q", tc.name, note)
		}
	}
}

// The pacer never returns before a due time, and returns false once its
// context has ended.
func TestPacerNeverEarly(t *testing.T) {
	var p pacer
	start := time.Now()
	for i := range 50 {
		due := start.Add(time.Duration(i) * 700 * time.Microsecond)
		if !p.wait(context.Background(), due) {
			t.Fatal("wait returned false with a live context")
		}
		if now := time.Now(); now.Before(due) {
			t.Errorf("wait returned %v before its due time", due.Sub(now))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p.wait(ctx, time.Now().Add(time.Hour)) {
		t.Error("wait returned true with an ended context")
	}
}

// stallServer serves the host-command contract with the simulator's engine,
// except that the command numbered stallAt waits for d before it is answered:
// a target that stalls once.
func stallServer(t *testing.T, stallAt int64, d time.Duration) string {
	t.Helper()
	var n atomic.Int64
	return frameServer(t, 4, func(c net.Conn, r *hostcmd.Reader, hsm *simulator.HSM) {
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			if n.Add(1) == stallAt {
				time.Sleep(d) // the answers behind it on this connection wait too
			}
			if answer(c, hsm, f, nil) != nil {
				return
			}
		}
	})
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
// in flight: against 50 ms of service time, 16 in flight give at most 320/s
// (a search from 1 would report its best step, not this one). The service
// time is long beside the CPU a command takes, so that a loaded machine
// does not move the rate much: 8 in flight would give 160/s.
func TestRunLoadFixedConcurrency(t *testing.T) {
	srv, _ := startSim(t, simulator.Config{Latency: 50 * time.Millisecond})
	rep, err := RunLoad(context.Background(), LoadConfig{Target: srv.Addr(), HeaderLen: 4, Rate: 0,
		Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond, Conns: 4, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Concurrency != 16 || rep.Stop != "fixed concurrency 16" || rep.ErrorCount != 0 {
		t.Fatalf("have steps %+v stop %q errors %v", rep.Steps, rep.Stop, rep.Errors)
	}
	if rep.AchievedRate < 240 || rep.AchievedRate > 330 {
		t.Errorf("rate %.0f/s with 16 in flight and 50 ms each, want about 320", rep.AchievedRate)
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

package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// Profiles are the open-loop throughput profiles of the contract, in commands
// per second (the cloud payment HSM licence tiers; docs/spec/cli.md).
var Profiles = []int{60, 250, 1000, 2500}

// LoadConfig configures RunLoad.
type LoadConfig struct {
	// Target is the HSM or gateway address, or several separated by commas:
	// the connections are then spread over them in turn (to load an HSM pair
	// directly, ours).
	Target string
	// HeaderLen is the target's message header length (default 0: none; the
	// CLI defaults to 4).
	HeaderLen int
	// Rate is the open-loop schedule in commands per second; 0 runs the
	// saturation search ("max").
	Rate int
	// Duration is the measured time, after Warmup (default 30s). In the
	// saturation search it is the length of each concurrency step.
	Duration time.Duration
	// Warmup runs the schedule unmeasured first (default 0: Duration/10, at
	// most 5s; negative: none).
	Warmup time.Duration
	// Mix is the command mix (default DefaultMix).
	Mix Mix
	// Conns is the number of client connections (default 8).
	Conns int
	// Timeout bounds each command (default 5s); a command without an answer
	// by then counts as error "timeout".
	Timeout time.Duration
	// MaxInFlight bounds the commands sent and not answered (default 65536).
	// When the bound is reached the sender waits, and the wait counts
	// against the target: latency is still measured from the scheduled time.
	MaxInFlight int
	// MaxConcurrency bounds the saturation search (default 4096).
	MaxConcurrency int
	// Concurrency, when positive and Rate is 0, replaces the search by one
	// step of Duration that keeps this many commands in flight: a fixed
	// closed loop, to compare endpoints at the same load (ours).
	Concurrency int
	// Seed makes the prebuilt requests (default DefaultSeed).
	Seed uint64
	// Progress, if set, is called about 5 times a second with the fraction of
	// the run done (0..1), from another goroutine.
	Progress func(done float64)
}

// Latency holds latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Second is one second of a run (or, in a run longer than 600 s, one
// bucket of several seconds): the commands due in it that were answered
// correctly and their latency, from the scheduled send time and (open
// loop) from the actual write.
type Second struct {
	T        int     `json:"t"` // seconds from the start of the measured window
	Count    int64   `json:"count"`
	P50      float64 `json:"p50"`
	P99      float64 `json:"p99"`
	Max      float64 `json:"max"`
	WriteP50 float64 `json:"writeP50,omitempty"`
	WriteP99 float64 `json:"writeP99,omitempty"`
}

// Point is one point of the latency distribution (percentile, milliseconds).
type Point struct {
	Percentile float64 `json:"percentile"`
	Ms         float64 `json:"ms"`
}

// Step is one concurrency step of the saturation search.
type Step struct {
	Concurrency  int     `json:"concurrency"`
	AchievedRate float64 `json:"achievedRate"`
	ErrorRate    float64 `json:"errorRate"`
	P99          float64 `json:"p99"`
}

// Report is the outcome of a load run. Latencies are in milliseconds,
// measured from each command's scheduled send time (open loop) or, in the
// saturation search, from its send time (closed loop).
//
// A command ends one of three ways: answered correctly (counted in the
// latencies and the achieved rate), answered wrongly (Wrong: an error code
// other than the expected one, or "mismatch" for the expected code with a
// wrong value), or not answered (Errors: "timeout", "transport").
type Report struct {
	Target       string    `json:"target"`
	Profile      string    `json:"profile"`
	TargetRate   float64   `json:"targetRate"`
	Duration     float64   `json:"durationSeconds"`
	Warmup       float64   `json:"warmupSeconds"`
	Conns        int       `json:"conns"`
	Mix          string    `json:"mix"`
	Started      time.Time `json:"started"`
	Machine      string    `json:"machine"`
	Sent         int64     `json:"sent"`
	Completed    int64     `json:"completed"`
	AchievedRate float64   `json:"achievedRate"`
	// AnsweredRate counts every answer inside the measured window, right
	// or wrong: a target that answers on time but wrongly is not slow.
	AnsweredRate float64          `json:"answeredRate"`
	Wrong        map[string]int64 `json:"wrong"`
	WrongCount   int64            `json:"wrongCount"`
	Errors       map[string]int64 `json:"errors"`
	ErrorCount   int64            `json:"errorCount"`
	Latency      Latency          `json:"latency"`
	// LatencyFromWrite is the latency from the moment the runner wrote
	// each command (open loop only): the target's view, without the
	// runner's own lateness.
	LatencyFromWrite *Latency `json:"latencyFromWrite,omitempty"`
	// SenderLag is how late the sender was ready to write commands against
	// the schedule (ms, open loop): a large lag means the load generator,
	// not the target, was the limit.
	SenderLag Latency `json:"senderLag"`
	// RunnerBound is set when the sender lag's p99 exceeds 10% of the
	// latency's p50: the latencies are then dominated by the runner.
	RunnerBound bool     `json:"runnerBound"`
	Held        bool     `json:"held"`
	Reason      string   `json:"reason,omitempty"`
	Timeline    []Second `json:"timeline"`
	Percentiles []Point  `json:"percentiles"`
	// PercentilesFromWrite and SenderLagPercentiles sample the latency from
	// the write and the sender lag like Percentiles (open loop only).
	PercentilesFromWrite []Point `json:"percentilesFromWrite,omitempty"`
	SenderLagPercentiles []Point `json:"senderLagPercentiles,omitempty"`
	Steps                []Step  `json:"steps,omitempty"`
	// Stop says why the saturation search stopped.
	Stop string `json:"stop,omitempty"`
}

// RunnerBoundNote says, for a runner-bound report, why its latencies
// measure the load runner more than the target; "" otherwise.
func (r *Report) RunnerBoundNote() string {
	if !r.RunnerBound {
		return ""
	}
	return fmt.Sprintf("runner-bound: sender lag p99 %.3f ms exceeds 10%% of p50 %.3f ms, so these latencies are dominated by the load runner; see the latency from the write",
		r.SenderLag.P99, r.Latency.P50)
}

// recorder collects the latencies of one measured window.
type recorder struct {
	mu       sync.Mutex
	start    time.Time // window start
	end      time.Time // window end
	writes   bool      // the write time of each command is known (open loop)
	hist     *hdrhistogram.Histogram
	histW    *hdrhistogram.Histogram   // from the write
	seconds  []*hdrhistogram.Histogram // one per bucket of the timeline
	secondsW []*hdrhistogram.Histogram
	bucket   time.Duration
	errors   map[string]int64
	errCount int64
	wrong    map[string]int64
	wrongN   int64
	okInWin  int64 // good answers completed inside the window
	ansInWin int64 // answers, right or wrong, completed inside the window
	done     int64
}

const histMaxMicros = 120_000_000 // 2 minutes

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, histMaxMicros, 3) }

// clampMicros is d in whole microseconds, within what a histogram holds.
func clampMicros(d time.Duration) int64 { return max(1, min(d.Microseconds(), histMaxMicros)) }

// maxBuckets bounds the timeline, so that a long run does not hold a
// histogram for each of its seconds.
const maxBuckets = 600

func newRecorder(start, end time.Time, writes bool) *recorder {
	bucket := time.Second
	if d := end.Sub(start); d > maxBuckets*time.Second {
		bucket = (d/maxBuckets + time.Second - 1).Truncate(time.Second)
	}
	n := max(1, int(math.Ceil(float64(end.Sub(start))/float64(bucket))))
	r := &recorder{start: start, end: end, writes: writes, hist: newHist(), histW: newHist(), errors: map[string]int64{}, wrong: map[string]int64{},
		seconds: make([]*hdrhistogram.Histogram, n), secondsW: make([]*hdrhistogram.Histogram, n), bucket: bucket}
	for i := range r.seconds {
		// Two significant figures are enough for a plot and keep a bucket small.
		r.seconds[i] = hdrhistogram.New(1, histMaxMicros, 2)
		if writes {
			r.secondsW[i] = hdrhistogram.New(1, histMaxMicros, 2)
		}
	}
	return r
}

// record notes one command scheduled at sched, written at wrote and ended
// at done with outcome o (code names a wrong answer or a failure).
func (r *recorder) record(sched, wrote, done time.Time, o outcome, code string) {
	if sched.Before(r.start) || !sched.Before(r.end) {
		return // warm-up, or after the window
	}
	us, usW := clampMicros(done.Sub(sched)), clampMicros(done.Sub(wrote))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	switch o {
	case noAnswer:
		r.errors[code]++
		r.errCount++
		return
	case answerWrong:
		r.wrong[code]++
		r.wrongN++
		if !done.After(r.end) {
			r.ansInWin++
		}
		return
	}
	if !done.After(r.end) {
		r.okInWin++
		r.ansInWin++
	}
	_ = r.hist.RecordValue(us)
	i := int(sched.Sub(r.start) / r.bucket)
	if i < len(r.seconds) {
		_ = r.seconds[i].RecordValue(us)
	}
	if r.writes {
		_ = r.histW.RecordValue(usW)
		if i < len(r.secondsW) {
			_ = r.secondsW[i].RecordValue(usW)
		}
	}
}

func ms(us int64) float64 { return float64(us) / 1000 }

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: h.Mean() / 1000,
	}
}

func (r *recorder) fill(rep *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep.Completed = r.done
	rep.Errors, rep.ErrorCount = r.errors, r.errCount
	rep.Wrong, rep.WrongCount = r.wrong, r.wrongN
	rep.Latency = latencyOf(r.hist)
	if d := r.end.Sub(r.start).Seconds(); d > 0 {
		rep.AchievedRate = float64(r.okInWin) / d
		rep.AnsweredRate = float64(r.ansInWin) / d
	}
	rep.Timeline = rep.Timeline[:0]
	for i, h := range r.seconds {
		s := Second{T: i * int(r.bucket/time.Second), Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max())}
		if r.writes {
			s.WriteP50, s.WriteP99 = ms(r.secondsW[i].ValueAtQuantile(50)), ms(r.secondsW[i].ValueAtQuantile(99))
		}
		rep.Timeline = append(rep.Timeline, s)
	}
	rep.Percentiles = percentiles(r.hist)
	if r.writes {
		lw := latencyOf(r.histW)
		rep.LatencyFromWrite = &lw
		rep.PercentilesFromWrite = percentiles(r.histW)
	}
}

// percentiles samples the distribution at 0, 50, 75, 87.5 ... up to 99.999 and 100.
func percentiles(h *hdrhistogram.Histogram) []Point {
	if h.TotalCount() == 0 {
		return nil
	}
	var out []Point
	for q := 0.0; q < 99.999; q = 100 - (100-q)/2 {
		out = append(out, Point{q, ms(h.ValueAtQuantile(q))})
	}
	out = append(out, Point{99.999, ms(h.ValueAtQuantile(99.999))}, Point{100, ms(h.Max())})
	return out
}

// load is one run's shared state: connections and prebuilt requests.
type load struct {
	cfg     LoadConfig
	conns   []net.Conn        // dialled; the open loop's senders own them
	clients []*hostcmd.Client // the saturation search's clients over conns
	items   []loadItem        // weighted: each command appears in proportion to its weight
}

func (cfg *LoadConfig) setDefaults() {
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	switch {
	case cfg.Warmup == 0:
		cfg.Warmup = min(cfg.Duration/10, 5*time.Second)
	case cfg.Warmup < 0:
		cfg.Warmup = 0
	}
	if cfg.Mix == nil {
		cfg.Mix, _ = ParseMix(DefaultMix)
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 8
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 65536
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = 4096
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
}

// RunLoad connects cfg.Conns clients to the target and runs the open-loop
// profile cfg.Rate, or the saturation search when cfg.Rate is 0. The report
// says whether the profile was held (achieved rate within 1% of the target
// rate, no errors) and, if not, why. An error means the run could not start
// (bad configuration, target unreachable).
func RunLoad(ctx context.Context, cfg LoadConfig) (*Report, error) {
	cfg.setDefaults()
	if cfg.Rate < 0 {
		return nil, errors.New("conformance: load: rate is negative")
	}
	l := &load{cfg: cfg}
	items, err := loadItems(cfg.Mix, 16, cfg.Seed)
	if err != nil {
		return nil, err
	}
	// A weighted list of at most 100 entries, spread so that consecutive
	// commands vary.
	total := 0
	for _, e := range cfg.Mix {
		total += e.Weight
	}
	for i := range 100 {
		acc := 0
		for _, e := range cfg.Mix {
			acc += e.Weight
			if float64(i)+0.5 < float64(acc)*100/float64(total) {
				l.items = append(l.items, items[e.Command][i%16])
				break
			}
		}
	}
	targets := strings.Split(cfg.Target, ",")
	var d net.Dialer
	for i := range cfg.Conns {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := d.DialContext(dctx, "tcp", strings.TrimSpace(targets[i%len(targets)]))
		cancel()
		if err != nil {
			l.close()
			return nil, fmt.Errorf("conformance: load: connecting to the target: %w", err)
		}
		l.conns = append(l.conns, c)
	}
	defer l.close()
	rep := &Report{
		Target: cfg.Target, Conns: cfg.Conns, Mix: cfg.Mix.String(), Started: time.Now().UTC(),
		Machine:  fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Duration: cfg.Duration.Seconds(), Warmup: cfg.Warmup.Seconds(),
	}
	if cfg.Rate == 0 {
		rep.Profile = "max"
		l.runMax(ctx, rep)
	} else {
		rep.Profile = fmt.Sprint(cfg.Rate)
		rep.TargetRate = float64(cfg.Rate)
		l.runOpen(ctx, rep)
	}
	if rep.Errors == nil {
		rep.Errors = map[string]int64{}
	}
	if rep.Wrong == nil {
		rep.Wrong = map[string]int64{}
	}
	return rep, nil
}

func (l *load) close() {
	for _, c := range l.clients {
		c.Close() // closes its connection too
	}
	for i, c := range l.conns {
		if i >= len(l.clients) {
			c.Close()
		}
	}
}

// do sends item i on a client of the saturation search and returns the
// outcome.
func (l *load) do(ctx context.Context, i int) (outcome, string) {
	it := &l.items[i%len(l.items)]
	cctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	resp, err := l.clients[i%len(l.clients)].RoundTrip(cctx, it.req)
	cancel()
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		return noAnswer, "timeout"
	case err != nil:
		return noAnswer, "transport"
	}
	return judge(resp, it.want)
}

// runOpen runs the open-loop schedule: command i is due at start + i/rate,
// whatever happened to the commands before it, and its latency is measured
// from that due time (no coordinated omission) and from its actual write.
// One sender keeps the schedule over all connections (sender.go).
func (l *load) runOpen(ctx context.Context, rep *Report) {
	cfg := l.cfg
	rate := float64(cfg.Rate)
	start := time.Now().Add(20 * time.Millisecond)
	wStart := start.Add(cfg.Warmup)
	wEnd := wStart.Add(cfg.Duration)
	run := &openRun{rec: newRecorder(wStart, wEnd, true), timeout: cfg.Timeout}
	total := int(math.Round((cfg.Warmup + cfg.Duration).Seconds() * rate))
	perConn := max(1, (cfg.MaxInFlight+len(l.conns)-1)/len(l.conns))
	conns := make([]*openConn, len(l.conns))
	for i, nc := range l.conns {
		conns[i] = newOpenConn(nc, cfg.HeaderLen, perConn)
		go conns[i].read(run)
	}
	stopSweep := make(chan struct{})
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); run.sweep(conns, stopSweep) }()
	stopProgress := l.progress(start, wEnd)
	// Commands already written finish (bounded by cfg.Timeout) when ctx
	// ends: the contract's clean stop on SIGINT/SIGTERM.
	st := send(ctx, run, conns, sendPlan{total: total, start: start, wStart: wStart, rate: rate, items: l.items})
	run.inflight.Wait()
	close(stopSweep)
	<-sweepDone
	stopProgress()
	for _, c := range conns {
		c.nc.Close()
		<-c.readDone
	}
	l.conns = nil // closed

	rep.Sent = st.sent
	run.rec.fill(rep)
	rep.SenderLag = latencyOf(st.lag)
	rep.SenderLagPercentiles = percentiles(st.lag)
	rep.verdict(rate, st.blocked, cfg.Duration, cfg.MaxInFlight, ctx.Err() != nil)
}

// verdict sets Held, RunnerBound and Reason of an open-loop report at rate,
// given the time the senders waited for room in flight (blocked), the
// measured duration, the in-flight bound and whether the run was stopped
// early.
func (rep *Report) verdict(rate float64, blocked, duration time.Duration, maxInFlight int, stopped bool) {
	rep.RunnerBound = rep.Latency.P50 > 0 && rep.SenderLag.P99 > rep.Latency.P50/10
	rep.Held = rep.ErrorCount == 0 && rep.WrongCount == 0 && math.Abs(rep.AchievedRate-rate) <= rate/100
	rep.Reason = ""
	if rep.Held {
		return
	}
	var why []string
	if rep.WrongCount > 0 {
		why = append(why, fmt.Sprintf("%d wrong answers (%s)", rep.WrongCount, ByCode(rep.Wrong)))
	}
	if rep.ErrorCount > 0 {
		why = append(why, fmt.Sprintf("%d errors (%s)", rep.ErrorCount, ByCode(rep.Errors)))
	}
	// Slowness is judged on the answers, right or wrong: a run of wrong
	// answers on time is not a saturated target.
	switch short := rep.AnsweredRate < rate*0.99; {
	case !short:
		if len(why) == 0 {
			why = append(why, fmt.Sprintf("achieved %.1f/s of %.0f/s", rep.AchievedRate, rate))
		}
	case stopped:
		why = append(why, "stopped before the end")
	case blocked > duration/100:
		why = append(why, fmt.Sprintf("target saturated: the sender waited %s for room in flight (bound %d) or for the target to read", blocked.Round(time.Millisecond), maxInFlight))
	case rep.SenderLag.P99 > math.Max(5, 2000/rate):
		why = append(why, fmt.Sprintf("client saturated: the sender ran %.1f ms behind schedule (p99)", rep.SenderLag.P99))
	case rep.AnsweredRate == 0:
		why = append(why, "no command was answered")
	default:
		why = append(why, fmt.Sprintf("target saturated: answers did not keep up (answered %.1f/s of %.0f/s, p99 %.1f ms)", rep.AnsweredRate, rate, rep.Latency.P99))
	}
	rep.Reason = joinWhy(why)
}

// ByCode lists counts by code, such as a LoadReport's Wrong or Errors, as
// "code:count ..." in code order.
func ByCode(m map[string]int64) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s:%d", c, m[c])
	}
	return strings.Join(parts, " ")
}

func joinWhy(why []string) string {
	var b bytes.Buffer
	for i, w := range why {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(w)
	}
	return b.String()
}

// progress calls cfg.Progress until end or until the returned stop is called.
func (l *load) progress(start, end time.Time) (stop func()) {
	if l.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				l.cfg.Progress(1)
				return
			case now := <-t.C:
				l.cfg.Progress(min(1, max(0, now.Sub(start).Seconds()/end.Sub(start).Seconds())))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// runMax is the saturation search (ours): closed-loop workers, doubling in
// number each step of cfg.Duration, until the error rate passes 0.1%, the
// throughput stops rising (less than 2% over the best for two steps, not
// counted before every connection carries two commands: below that a flat
// step is more likely the machine's noise than the target's limit) or
// MaxConcurrency is reached. The report carries the best step's figures.
// Latency is measured from each command's send time: a closed loop has no
// schedule.
func (l *load) runMax(ctx context.Context, rep *Report) {
	cfg := l.cfg
	for _, c := range l.conns {
		l.clients = append(l.clients, hostcmd.NewClient(c, cfg.HeaderLen))
	}
	var bestRec *recorder
	best, bestC, flat := 0.0, 0, 0
	first := 1
	if cfg.Concurrency > 0 {
		first, cfg.MaxConcurrency = cfg.Concurrency, cfg.Concurrency
	}
	var steps int
	for c := first; c <= cfg.MaxConcurrency; c *= 2 {
		steps++
	}
	stepNo := 0
	for c := first; c <= cfg.MaxConcurrency && ctx.Err() == nil; c *= 2 {
		start := time.Now()
		wStart := start.Add(cfg.Warmup)
		wEnd := wStart.Add(cfg.Duration)
		rec := newRecorder(wStart, wEnd, false)
		if cfg.Progress != nil {
			cfg.Progress(float64(stepNo) / float64(steps))
		}
		stepNo++
		var wg sync.WaitGroup
		var next atomic.Int64
		for range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					t := time.Now()
					if !t.Before(wEnd) {
						return
					}
					o, code := l.do(context.WithoutCancel(ctx), int(next.Add(1)))
					rec.record(t, t, time.Now(), o, code)
				}
			}()
		}
		wg.Wait()
		var r Report
		rec.fill(&r)
		rep.Sent += int64(next.Load())
		errRate := 0.0
		if r.Completed > 0 {
			errRate = float64(r.ErrorCount+r.WrongCount) / float64(r.Completed)
		}
		rep.Steps = append(rep.Steps, Step{Concurrency: c, AchievedRate: r.AchievedRate, ErrorRate: errRate, P99: r.Latency.P99})
		if errRate > 0.001 {
			rep.Stop = fmt.Sprintf("error rate %.2f%% at concurrency %d", errRate*100, c)
			break
		}
		if r.AchievedRate > best*1.02 {
			best, bestC, flat, bestRec = r.AchievedRate, c, 0, rec
		} else if c < 2*cfg.Conns {
			// Not every connection is busy yet: go on.
		} else if flat++; flat >= 2 {
			rep.Stop = fmt.Sprintf("throughput stopped rising after concurrency %d", bestC)
			break
		}
	}
	if rep.Stop == "" && ctx.Err() == nil {
		rep.Stop = fmt.Sprintf("concurrency bound %d reached", cfg.MaxConcurrency)
		if cfg.Concurrency > 0 {
			rep.Stop = fmt.Sprintf("fixed concurrency %d", cfg.Concurrency)
		}
	}
	if bestRec == nil {
		rep.Held = false
		if rep.Reason == "" {
			rep.Reason = "no step completed"
		}
		return
	}
	bestRec.fill(rep)
	rep.TargetRate = rep.AchievedRate
	rep.Held = float64(rep.ErrorCount+rep.WrongCount) <= float64(rep.Completed)/1000
	sort.SliceStable(rep.Steps, func(i, j int) bool { return rep.Steps[i].Concurrency < rep.Steps[j].Concurrency })
}

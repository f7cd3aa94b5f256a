package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
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
// correctly and their latency.
type Second struct {
	T     int     `json:"t"` // seconds from the start of the measured window
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
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
type Report struct {
	Target       string           `json:"target"`
	Profile      string           `json:"profile"`
	TargetRate   float64          `json:"targetRate"`
	Duration     float64          `json:"durationSeconds"`
	Warmup       float64          `json:"warmupSeconds"`
	Conns        int              `json:"conns"`
	Mix          string           `json:"mix"`
	Started      time.Time        `json:"started"`
	Machine      string           `json:"machine"`
	Sent         int64            `json:"sent"`
	Completed    int64            `json:"completed"`
	AchievedRate float64          `json:"achievedRate"`
	Errors       map[string]int64 `json:"errors"`
	ErrorCount   int64            `json:"errorCount"`
	Latency      Latency          `json:"latency"`
	// SenderLag is how late the sender sent commands against the schedule
	// (ms): a large lag means the load generator, not the target, was the
	// limit.
	SenderLag   Latency  `json:"senderLag"`
	Held        bool     `json:"held"`
	Reason      string   `json:"reason,omitempty"`
	Timeline    []Second `json:"timeline"`
	Percentiles []Point  `json:"percentiles"`
	Steps       []Step   `json:"steps,omitempty"`
	// Stop says why the saturation search stopped.
	Stop string `json:"stop,omitempty"`
}

// recorder collects the latencies of one measured window.
type recorder struct {
	mu       sync.Mutex
	start    time.Time // window start
	end      time.Time // window end
	hist     *hdrhistogram.Histogram
	seconds  []*hdrhistogram.Histogram // one per bucket of the timeline
	bucket   time.Duration
	errors   map[string]int64
	errCount int64
	okInWin  int64 // good answers completed inside the window
	done     int64
}

const histMaxMicros = 120_000_000 // 2 minutes

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, histMaxMicros, 3) }

// maxBuckets bounds the timeline, so that a long run does not hold a
// histogram for each of its seconds.
const maxBuckets = 600

func newRecorder(start, end time.Time) *recorder {
	bucket := time.Second
	if d := end.Sub(start); d > maxBuckets*time.Second {
		bucket = (d/maxBuckets + time.Second - 1).Truncate(time.Second)
	}
	n := max(1, int(math.Ceil(float64(end.Sub(start))/float64(bucket))))
	r := &recorder{start: start, end: end, hist: newHist(), errors: map[string]int64{}, seconds: make([]*hdrhistogram.Histogram, n), bucket: bucket}
	for i := range r.seconds {
		// Two significant figures are enough for a plot and keep a bucket small.
		r.seconds[i] = hdrhistogram.New(1, histMaxMicros, 2)
	}
	return r
}

// record notes one command scheduled at sched and finished at done with
// outcome code ("" for a correct answer).
func (r *recorder) record(sched, done time.Time, code string) {
	if sched.Before(r.start) || !sched.Before(r.end) {
		return // warm-up, or after the window
	}
	us := done.Sub(sched).Microseconds()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if code != "" {
		r.errors[code]++
		r.errCount++
		return
	}
	if !done.After(r.end) {
		r.okInWin++
	}
	us = max(1, min(us, histMaxMicros))
	_ = r.hist.RecordValue(us)
	if i := int(sched.Sub(r.start) / r.bucket); i < len(r.seconds) {
		_ = r.seconds[i].RecordValue(us)
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
	rep.Errors = r.errors
	rep.ErrorCount = r.errCount
	rep.Latency = latencyOf(r.hist)
	if d := r.end.Sub(r.start).Seconds(); d > 0 {
		rep.AchievedRate = float64(r.okInWin) / d
	}
	rep.Timeline = rep.Timeline[:0]
	for i, h := range r.seconds {
		rep.Timeline = append(rep.Timeline, Second{T: i * int(r.bucket/time.Second), Count: h.TotalCount(), P50: ms(h.ValueAtQuantile(50)), P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max())})
	}
	rep.Percentiles = percentiles(r.hist)
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
	clients []*hostcmd.Client
	items   []loadItem // weighted: each command appears in proportion to its weight
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
	for i := range cfg.Conns {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := hostcmd.Dial(dctx, strings.TrimSpace(targets[i%len(targets)]), hostcmd.ClientOptions{HeaderLen: cfg.HeaderLen})
		cancel()
		if err != nil {
			l.close()
			return nil, fmt.Errorf("conformance: load: connecting to the target: %w", err)
		}
		l.clients = append(l.clients, c)
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
	return rep, nil
}

func (l *load) close() {
	for _, c := range l.clients {
		c.Close()
	}
}

// do sends item i on a client and returns the outcome code: "" for the
// expected answer, the answer's error code, "mismatch" for a wrong 00 answer,
// "timeout" or "transport".
func (l *load) do(ctx context.Context, i int) string {
	it := &l.items[i%len(l.items)]
	cctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	resp, err := l.clients[i%len(l.clients)].RoundTrip(cctx, it.req)
	cancel()
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case err != nil:
		return "transport"
	case equal(resp, it.want):
		return ""
	case len(resp) >= 4 && string(resp[2:4]) != "00":
		return string(resp[2:4])
	}
	return "mismatch"
}

// runOpen runs the open-loop schedule: command i is due at start + i/rate,
// whatever happened to the commands before it, and its latency is measured
// from that due time (no coordinated omission).
func (l *load) runOpen(ctx context.Context, rep *Report) {
	cfg := l.cfg
	// Commands already sent finish (bounded by cfg.Timeout) when ctx ends:
	// the contract's clean stop on SIGINT/SIGTERM.
	cmdCtx := context.WithoutCancel(ctx)
	rate := float64(cfg.Rate)
	start := time.Now().Add(20 * time.Millisecond)
	wStart := start.Add(cfg.Warmup)
	wEnd := wStart.Add(cfg.Duration)
	rec := newRecorder(wStart, wEnd)
	total := int(math.Round((cfg.Warmup + cfg.Duration).Seconds() * rate))
	lag := newHist()
	var blocked time.Duration // time the sender waited for in-flight room
	sem := make(chan struct{}, cfg.MaxInFlight)
	var wg sync.WaitGroup
	var sent atomic.Int64
	stopProgress := l.progress(start, wEnd)
	defer stopProgress()
	timer := time.NewTimer(0)
	<-timer.C
loop:
	for i := range total {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break loop
			}
		}
		if !due.Before(wStart) {
			_ = lag.RecordValue(max(1, min(time.Since(due).Microseconds(), histMaxMicros)))
		}
		select {
		case sem <- struct{}{}:
		default:
			t := time.Now()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				break loop
			}
			if !due.Before(wStart) {
				blocked += time.Since(t)
			}
		}
		wg.Add(1)
		sent.Add(1)
		go func() {
			defer wg.Done()
			code := l.do(cmdCtx, i)
			rec.record(due, time.Now(), code)
			<-sem
		}()
	}
	wg.Wait()
	rep.Sent = sent.Load()
	rec.fill(rep)
	rep.SenderLag = latencyOf(lag)
	rep.Held = rep.ErrorCount == 0 && math.Abs(rep.AchievedRate-rate) <= rate/100
	if rep.Held {
		return
	}
	var why []string
	if rep.ErrorCount > 0 {
		why = append(why, fmt.Sprintf("%d errors", rep.ErrorCount))
	}
	switch short := rep.AchievedRate < rate*0.99; {
	case !short:
	case ctx.Err() != nil:
		why = append(why, "stopped before the end")
	case blocked > cfg.Duration/100:
		why = append(why, fmt.Sprintf("target saturated: %d commands in flight, the sender waited %s for answers", cfg.MaxInFlight, blocked.Round(time.Millisecond)))
	case rep.SenderLag.P99 > math.Max(5, 2000/rate):
		why = append(why, fmt.Sprintf("client saturated: the sender ran %.1f ms behind schedule (p99)", rep.SenderLag.P99))
	default:
		why = append(why, fmt.Sprintf("target saturated: answers did not keep up (achieved %.1f/s of %.0f/s, p99 %.1f ms)", rep.AchievedRate, rate, rep.Latency.P99))
	}
	rep.Reason = joinWhy(why)
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
		rec := newRecorder(wStart, wEnd)
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
					code := l.do(context.WithoutCancel(ctx), int(next.Add(1)))
					rec.record(t, time.Now(), code)
				}
			}()
		}
		wg.Wait()
		var r Report
		rec.fill(&r)
		rep.Sent += int64(next.Load())
		errRate := 0.0
		if r.Completed > 0 {
			errRate = float64(r.ErrorCount) / float64(r.Completed)
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
	rep.Held = rep.ErrorCount == 0 || float64(rep.ErrorCount) <= float64(rep.Completed)/1000
	sort.SliceStable(rep.Steps, func(i, j int) bool { return rep.Steps[i].Concurrency < rep.Steps[j].Concurrency })
}

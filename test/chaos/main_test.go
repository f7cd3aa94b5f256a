//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the payhsm-gw binary built once by TestMain.
var binPath string

// resultsPath is the JSON-lines file every event is appended to.
var resultsPath string

func TestMain(m *testing.M) {
	flag.Parse()
	// Thousands of idle connections need descriptors in this process and,
	// by inheritance, in the gateway it starts.
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	dir, err := os.MkdirTemp("", "payhsm-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "payhsm-gw")
	build := exec.Command("go", "build", "-o", binPath, "github.com/payhsm/payhsm-gw/cmd/payhsm-gw")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: building payhsm-gw:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	resultsPath = os.Getenv("CHAOS_RESULTS")
	if resultsPath == "" {
		resultsPath = filepath.Join(os.TempDir(), "chaos-results.jsonl")
	}
	code := m.Run()
	fmt.Fprintln(os.Stderr, "chaos: results appended to", resultsPath)
	os.RemoveAll(dir)
	os.Exit(code)
}

// record is one line of the results file.
type record struct {
	Event        string           `json:"event"`
	Time         string           `json:"time"`
	Short        bool             `json:"short"`
	Pass         bool             `json:"pass"`
	RateCPS      int              `json:"rate_cps,omitempty"`
	Sent         int64            `json:"sent,omitempty"`
	Answered     int64            `json:"answered,omitempty"`
	Lost         int64            `json:"lost"`
	FailedByCode map[string]int64 `json:"failed_by_code,omitempty"`
	MaxLatencyMS float64          `json:"max_latency_ms,omitempty"`
	RSSKB        map[string]int64 `json:"rss_kb,omitempty"`
	Extra        map[string]any   `json:"extra,omitempty"`
}

var resultsMu sync.Mutex

// writeResult appends rec to the results file; the pass flag is taken
// from t at the time of the call, so call it last (in a t.Cleanup).
func writeResult(t *testing.T, rec record) {
	t.Helper()
	rec.Time = time.Now().UTC().Format(time.RFC3339)
	rec.Short = testing.Short()
	rec.Pass = !t.Failed()
	line, err := json.Marshal(rec)
	if err != nil {
		t.Errorf("encoding result: %v", err)
		return
	}
	t.Logf("result: %s", line)
	resultsMu.Lock()
	defer resultsMu.Unlock()
	f, err := os.OpenFile(resultsPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("results file: %v", err)
		return
	}
	defer f.Close()
	f.Write(append(line, '\n'))
}

// fromLoad fills rec's counters from a load result.
func fromLoad(rec *record, r *loadResult) {
	rec.RateCPS = r.Rate
	rec.Sent = r.Sent.Load()
	rec.Answered = r.Answered.Load()
	rec.Lost = r.Lost.Load()
	rec.FailedByCode = r.failed()
	rec.MaxLatencyMS = float64(r.maxLatency()) / float64(time.Millisecond)
}

// logBuf collects a process's stderr.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// proc is one payhsm-gw process started by a test.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  logBuf
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// startProc starts the binary with args; the process is killed and
// reaped in t.Cleanup, and its log is printed if the test failed.
func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Signal(syscall.SIGCONT)
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			out := p.log.String()
			if len(out) > 4000 {
				out = "..." + out[len(out)-4000:]
			}
			t.Logf("log of %s:\n%s", p.name, out)
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// waitLog waits up to timeout for re to match the log and returns the
// submatches.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.log.String()); m != nil {
			return m
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("%s: no log line matching %q (exited: %v)", p.name, re, p.exited())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits up to timeout for the process to exit and returns its
// exit code.
func (p *proc) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v", p.name, timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// rssKB returns the resident set size of the process from /proc.
func (p *proc) rssKB(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("%s: no VmRSS", p.name)
	return 0
}

var (
	simListening = regexp.MustCompile(`msg="simulator listening" addr=(\S+) .*lmk_check=(\S+)`)
	gwListening  = regexp.MustCompile(`msg="serve: host-command front listening" addr=(\S+)`)
	httpListen   = regexp.MustCompile(`msg="serve: HTTP listening" addr=(\S+)`)
)

// sim is a running `payhsm-gw sim`.
type sim struct {
	*proc
	addr string
	kcv  string // its LMK check value, as logged
}

// startSim starts a simulator on a free loopback port (or on listen, if
// given in extra as --listen).
func startSim(t *testing.T, name string, extra ...string) *sim {
	t.Helper()
	args := append([]string{"sim", "--listen", "127.0.0.1:0"}, extra...)
	p := startProc(t, "sim "+name, args...)
	m := p.waitLog(t, simListening, 10*time.Second)
	return &sim{proc: p, addr: m[1], kcv: m[2]}
}

// gwConfig is what a test chooses about a gateway; the rest is fixed.
type gwConfig struct {
	LMKCheck       string
	HSMs           []hsmConf
	IdleTimeout    time.Duration // default 30s
	MaxConns       int           // default 1024
	HealthInterval time.Duration // default 500ms
	CommandTimeout time.Duration // default 1s
	QueueTimeout   time.Duration // default 250ms
	// HedgeOff turns the pool's hedging off (default: on, unless the
	// environment has CHAOS_HEDGE=off, for a comparison run).
	HedgeOff bool
}

type hsmConf struct {
	Name, Addr, Pair string
	CPS              int
}

func (c *gwConfig) setDefaults() {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Second
	}
	if c.MaxConns == 0 {
		c.MaxConns = 1024
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = 500 * time.Millisecond
	}
	if c.CommandTimeout == 0 {
		c.CommandTimeout = time.Second
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = 250 * time.Millisecond
	}
	if os.Getenv("CHAOS_HEDGE") == "off" {
		c.HedgeOff = true
	}
}

// maxAttempts is the pool's max_attempts in every gateway of this suite.
const maxAttempts = 2

// answerBound is the worst time to an answer the pool promises
// (docs/architecture.md): attempts × (queue timeout + command timeout) plus
// one sweep tick.
func (c *gwConfig) answerBound() time.Duration {
	return maxAttempts*(c.QueueTimeout+c.CommandTimeout) + 50*time.Millisecond
}

func (c *gwConfig) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "limits:\n  max_conns: %d\n  idle_timeout: %s\n", c.MaxConns, c.IdleTimeout)
	fmt.Fprintf(&b, "pools:\n- name: chaos\n")
	if c.LMKCheck != "" {
		fmt.Fprintf(&b, "  lmk_check_value: %s\n", c.LMKCheck)
	}
	fmt.Fprintf(&b, "  health: {interval: %s, timeout: %s}\n", c.HealthInterval, c.HealthInterval)
	fmt.Fprintf(&b, "  command_timeout: %s\n  queue_timeout: %s\n  max_attempts: %d\n", c.CommandTimeout, c.QueueTimeout, maxAttempts)
	if c.HedgeOff {
		b.WriteString("  hedge: {disabled: true}\n")
	}
	b.WriteString("  hsms:\n")
	for _, h := range c.HSMs {
		fmt.Fprintf(&b, "  - {name: %s, addr: %q, pair: %s, cps: %d}\n", h.Name, h.Addr, h.Pair, h.CPS)
	}
	return b.String()
}

// gw is a running `payhsm-gw serve`.
type gw struct {
	*proc
	cfg  gwConfig
	addr string // host-command front
	http string // REST, /metrics
}

// startGateway starts serve with cfg and waits until both listeners are up.
func startGateway(t *testing.T, cfg gwConfig) *gw {
	t.Helper()
	cfg.setDefaults()
	dir := t.TempDir()
	file := filepath.Join(dir, "payhsm-gw.yaml")
	if err := os.WriteFile(file, []byte(cfg.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "serve", "serve", "--config", file, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	g := &gw{proc: p, cfg: cfg}
	g.addr = p.waitLog(t, gwListening, 15*time.Second)[1]
	g.http = p.waitLog(t, httpListen, 5*time.Second)[1]
	return g
}

// startPair starts two simulators (extra flags for both) and a gateway
// in front of them as one HA pair, each HSM licensed for cps.
func startPair(t *testing.T, cfg gwConfig, cps int, extra ...string) (*gw, *sim, *sim) {
	t.Helper()
	a, b := startSim(t, "a", extra...), startSim(t, "b", extra...)
	cfg.LMKCheck = a.kcv
	cfg.HSMs = append([]hsmConf{{"a", a.addr, "p1", cps}, {"b", b.addr, "p1", cps}}, cfg.HSMs...)
	return startGateway(t, cfg), a, b
}

// metrics scrapes /metrics into series name{labels} -> value.
func (g *gw) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + g.http + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// sumMetric adds every series of name whose labels contain each of labels
// (given as `key="value"`).
func sumMetric(m map[string]float64, name string, labels ...string) float64 {
	var sum float64
	for series, v := range m {
		n, rest, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// waitMetric polls /metrics every 25ms until cond holds, for at most
// timeout, and returns how long it took and whether it held.
func (g *gw) waitMetric(t *testing.T, timeout time.Duration, cond func(map[string]float64) bool) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond(g.metrics(t)) {
			return time.Since(start), true
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start), false
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeOtherLMK writes an LMK file (keys.ParseLMK's format) of random
// odd-parity pairs, so its check value is not the test LMK's.
func writeOtherLMK(t *testing.T) string {
	t.Helper()
	r := rand.New(rand.NewPCG(8, 8))
	var b strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "%02d-%02d ", 2*i, 2*i+1)
		for h := 0; h < 2; h++ {
			for j := 0; j < 8; j++ {
				fmt.Fprintf(&b, "%02X", oddParity(byte(r.Uint32())))
			}
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	file := filepath.Join(t.TempDir(), "other.lmk")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func oddParity(v byte) byte {
	v &^= 1
	n := 0
	for x := v; x != 0; x &= x - 1 {
		n++
	}
	if n%2 == 0 {
		v |= 1
	}
	return v
}

// pick returns short in a -short run, else full.
func pick[T any](short, full T) T {
	if testing.Short() {
		return short
	}
	return full
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

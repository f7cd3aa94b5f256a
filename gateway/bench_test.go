package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// The relay benchmarks run the simulator and the gateway each in a process
// of its own (this test binary, re-executed with PAYHSM_BENCH_ROLE), so that
// the gateway's CPU time can be read from /proc apart from the load
// generator's and the simulator's. All three share the machine's cores, as
// in production on a small host.

func TestMain(m *testing.M) {
	switch os.Getenv("PAYHSM_BENCH_ROLE") {
	case "sim":
		os.Exit(benchSim())
	case "gateway":
		os.Exit(benchGateway(os.Getenv("PAYHSM_BENCH_HSM")))
	}
	os.Exit(m.Run())
}

// benchSim serves a simulator until stdin closes.
func benchSim() int {
	s, err := simulator.Start(simulator.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.Addr())
	bufio.NewReader(os.Stdin).ReadString('\n')
	s.Close()
	return 0
}

// benchGateway serves a pool of one HSM behind the front until stdin closes.
func benchGateway(hsm string) int {
	p, err := pool.New(context.Background(), pool.Config{HSMs: []pool.HSMConfig{{Name: "a", Addr: hsm}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg := Config{Addr: "127.0.0.1:0"}
	if f := os.Getenv("PAYHSM_BENCH_AUDIT"); f != "" {
		// The "gateway-audit" target: one audit record per command.
		al, err := audit.Open(f, audit.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer al.Close()
		cfg.Audit = al
	}
	g, err := Start(cfg, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if f := os.Getenv("PAYHSM_BENCH_CPUPROFILE"); f != "" {
		// go test -bench RelaySaturation with this set profiles the gateway
		// process alone.
		out, err := os.Create(f)
		if err == nil {
			pprof.StartCPUProfile(out)
			defer out.Close()
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Println(g.Addr())
	bufio.NewReader(os.Stdin).ReadString('\n')
	g.Close()
	p.Close()
	return 0
}

// role is a child process of the benchmark.
type role struct {
	cmd  *exec.Cmd
	addr string
	stop func()
}

func spawn(b *testing.B, name string, env ...string) *role {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "PAYHSM_BENCH_ROLE="+name)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	r := &role{cmd: cmd, addr: strings.TrimSpace(line)}
	r.stop = func() { in.Close(); cmd.Wait() }
	b.Cleanup(r.stop)
	return r
}

// cpuTime returns the user+system CPU time of a process from /proc.
func cpuTime(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of proc(5), in clock ticks (USER_HZ, 100 on Linux).
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// syscalls returns the read and write system calls a process has made:
// syscr and syscw of /proc/PID/io, which count read(2) and write(2) (a
// read that finds nothing too) but not recvmsg(2), with which the front
// reads its clients on Linux (see readRaw).
func syscalls(b *testing.B, pid int) (reads, writes int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes
}

// fleet is a set of client connections kept open across benchmark
// iterations, as a switch keeps its connections.
type fleet struct {
	conns []net.Conn
	depth int
}

func newFleet(b *testing.B, addr string, conns, depth int) *fleet {
	b.Helper()
	f := &fleet{depth: depth}
	for range conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		f.conns = append(f.conns, nc)
	}
	b.Cleanup(func() {
		for _, c := range f.conns {
			c.Close()
		}
	})
	return f
}

// drive sends n B2 echo commands spread over the fleet's connections, each
// keeping up to depth in flight and writing up to 16 frames per write, and
// waits for every answer.
func (f *fleet) drive(b *testing.B, n int) {
	var wg sync.WaitGroup
	per := n / len(f.conns)
	for _, nc := range f.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pipeline(nc, f.depth, per); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
}

var benchBody = []byte("B2000Fpayhsm-gw-bench")

func pipeline(nc net.Conn, depth, n int) error {
	credits := make(chan struct{}, depth)
	for range depth {
		credits <- struct{}{}
	}
	errc := make(chan error, 1)
	go func() {
		// A fresh reader per run is safe: every run ends with all its
		// answers read, so no byte of the stream is left behind.
		r := hostcmd.NewReader(nc, 4)
		for i := range n {
			f, err := r.ReadFrame()
			if err != nil {
				errc <- fmt.Errorf("answer %d: %w", i, err)
				nc.Close()
				return
			}
			if b := f.Body(); len(b) < 4 || string(b[:4]) != "B300" {
				errc <- fmt.Errorf("answer %d: %q", i, b)
				nc.Close()
				return
			}
			credits <- struct{}{}
		}
		errc <- nil
	}()
	var out []byte
	for sent := 0; sent < n; {
		select {
		case <-credits:
		case err := <-errc:
			return err
		}
		out = hostcmd.AppendFrame(out[:0], []byte("0000"), benchBody)
		k := 1
	more:
		for k < 16 && sent+k < n {
			select {
			case <-credits:
				out = hostcmd.AppendFrame(out, []byte("0000"), benchBody)
				k++
			default:
				break more
			}
		}
		if _, err := nc.Write(out); err != nil {
			return err
		}
		sent += k
	}
	return <-errc
}

const benchChunk = 8192 // commands per b.Loop iteration

// BenchmarkRelaySaturation compares saturation throughput through the
// gateway with throughput straight to the same simulator, and reports the
// gateway process's CPU time per relayed command. Two client shapes:
// "pipelined" (16 connections, 32 in flight each, up to 16 frames per
// write, as a switch multiplexing many terminals) and "lockstep" (64
// connections, one command at a time each). The "gateway-audit" target is
// the gateway writing an audit record per command to a file.
func BenchmarkRelaySaturation(b *testing.B) {
	sim := spawn(b, "sim")
	gw := spawn(b, "gateway", "PAYHSM_BENCH_HSM="+sim.addr)
	gwa := spawn(b, "gateway", "PAYHSM_BENCH_HSM="+sim.addr, "PAYHSM_BENCH_AUDIT="+filepath.Join(b.TempDir(), "audit.log"))
	procs := map[string]*role{"gateway": gw, "gateway-audit": gwa}
	for _, shape := range []struct {
		name         string
		conns, depth int
	}{{"pipelined", 16, 32}, {"lockstep", 64, 1}} {
		for _, tt := range []struct {
			name string
			addr string
		}{{"direct", sim.addr}, {"gateway", gw.addr}, {"gateway-audit", gwa.addr}} {
			b.Run(shape.name+"/"+tt.name, func(b *testing.B) {
				f := newFleet(b, tt.addr, shape.conns, shape.depth)
				f.drive(b, benchChunk) // warm up
				g := procs[tt.name]
				if g == nil {
					g = gw
				}
				gw0, sim0 := cpuTime(b, g.cmd.Process.Pid), cpuTime(b, sim.cmd.Process.Pid)
				r0, w0 := syscalls(b, g.cmd.Process.Pid)
				start := time.Now()
				cmds := 0
				for b.Loop() {
					f.drive(b, benchChunk)
					cmds += benchChunk
				}
				el := time.Since(start)
				b.ReportMetric(float64(cmds)/el.Seconds(), "cmds/s")
				b.ReportMetric(float64((cpuTime(b, sim.cmd.Process.Pid)-sim0).Microseconds())/float64(cmds), "sim-cpu-µs/cmd")
				if tt.name != "direct" {
					b.ReportMetric(float64((cpuTime(b, g.cmd.Process.Pid)-gw0).Microseconds())/float64(cmds), "gw-cpu-µs/cmd")
					if r1, w1 := syscalls(b, g.cmd.Process.Pid); r0 >= 0 && r1 >= 0 {
						b.ReportMetric(float64(r1-r0)/float64(cmds), "gw-syscr/cmd")
						b.ReportMetric(float64(w1-w0)/float64(cmds), "gw-syscw/cmd")
					}
				}
			})
		}
	}
}

// BenchmarkRelayLatencyAt2500 sends an open-loop 2500 commands/s (8
// connections, one command at a time each, on a fixed schedule) straight
// to the simulator and through the gateway. It reports latency percentiles
// measured from each command's scheduled send time (no coordinated
// omission; this includes the generator's own timer lateness, up to a
// millisecond with Go's timers) and from its actual write ("wire-").
func BenchmarkRelayLatencyAt2500(b *testing.B) {
	sim := spawn(b, "sim")
	gw := spawn(b, "gateway", "PAYHSM_BENCH_HSM="+sim.addr)
	for _, tt := range []struct {
		name string
		addr string
	}{{"direct", sim.addr}, {"gateway", gw.addr}} {
		b.Run(tt.name, func(b *testing.B) {
			var sched, wire []time.Duration
			for b.Loop() {
				s, w := openLoop(b, tt.addr, 2500, 8, 2*time.Second)
				sched, wire = append(sched, s...), append(wire, w...)
			}
			for _, set := range []struct {
				prefix string
				lat    []time.Duration
			}{{"", sched}, {"wire-", wire}} {
				lat := set.lat
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
				b.ReportMetric(q(0.50), set.prefix+"p50-µs")
				b.ReportMetric(q(0.99), set.prefix+"p99-µs")
			}
		})
	}
}

// openLoop runs rate commands/s for d over conns connections; each
// connection sends on its own fixed schedule and pipelines if an answer
// is late. It returns latencies from the scheduled and the actual send.
func openLoop(b *testing.B, addr string, rate, conns int, d time.Duration) (sched, wire []time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Duration(int64(time.Second) * int64(conns) / int64(rate))
	n := int(d / interval)
	type sent struct{ at, wrote time.Time }
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer nc.Close()
			start := time.Now().Add(time.Duration(c) * interval / time.Duration(conns))
			times := make(chan sent, n)
			done := make(chan struct{})
			var s, w []time.Duration
			go func() {
				defer close(done)
				r := hostcmd.NewReader(nc, 4)
				for t := range times {
					if _, err := r.ReadFrame(); err != nil {
						b.Error(err)
						return
					}
					now := time.Now()
					s, w = append(s, now.Sub(t.at)), append(w, now.Sub(t.wrote))
				}
			}()
			frame := hostcmd.AppendFrame(nil, []byte("0000"), benchBody)
			for i := range n {
				at := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				wrote := time.Now()
				if _, err := nc.Write(frame); err != nil {
					b.Error(err)
					break
				}
				times <- sent{at, wrote}
			}
			close(times)
			<-done
			mu.Lock()
			sched, wire = append(sched, s...), append(wire, w...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return sched, wire
}

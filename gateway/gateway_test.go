package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// pair starts two simulators and a pool over them, both Up.
func pair(t *testing.T, mod func(*pool.Config)) (*simulator.Server, *simulator.Server, *pool.Pool) {
	t.Helper()
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	cfg := poolConfig(
		pool.HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p1"},
		pool.HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p1"},
	)
	if mod != nil {
		mod(&cfg)
	}
	return a, b, startPool(t, cfg, "a", "b")
}

func TestGatewayRefusesCommandsOutsidePolicyWith68(t *testing.T) {
	_, _, p := pair(t, nil)
	tests := []struct {
		name  string
		cfg   Config
		cmd   string
		relay bool
	}{
		// hostcmd.md §4: NG and BA handle a clear PIN; refused unless allowed.
		{"NG by default", Config{}, "NG", false},
		{"BA by default", Config{}, "BA", false},
		{"unknown code", Config{}, "ZZ", false},
		{"denied code", Config{Deny: []string{"NC"}}, "NC", false},
		{"NC relayed", Config{}, "NC", true},
		{"NG allowed by flag", Config{AllowClearPIN: true}, "NG", true},
		{"BA allowed by list", Config{Allow: []string{"BA"}}, "BA", true},
		{"unknown allowed by list", Config{Allow: []string{"ZZ"}}, "ZZ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			tt.cfg.Registerer = reg
			g := startGateway(t, tt.cfg, p)
			c := dial(t, g.Addr())
			if _, err := c.Write(frame("HDR1", tt.cmd)); err != nil {
				t.Fatal(err)
			}
			hdr, body := readAnswer(t, hostcmd.NewReader(c, 4))
			rc := hostcmd.ResponseCode([2]byte{tt.cmd[0], tt.cmd[1]})
			if hdr != "HDR1" {
				t.Errorf("header: have %q, want HDR1", hdr)
			}
			refused := body == string(rc[:])+"68"
			// The simulator answers 68 to ZZ too; the metric tells who did.
			counted := metricValue(t, reg, "payhsm_gateway_refused_total", nil) == 1
			if tt.relay == counted || (!tt.relay && !refused) {
				t.Errorf("%s: have answer %q, refused by policy %v; want relayed %v", tt.cmd, body, counted, tt.relay)
			}
		})
	}
}

func TestGatewayRestoresHeadersAndKeepsOrderAcrossHSMs(t *testing.T) {
	// HSM a answers 20ms late, b at once: answers complete out of order in
	// the pool and the front must put them back in request order
	// (hostcmd.md §1, ours).
	a := startSim(t, simulator.Config{Latency: 20 * time.Millisecond})
	b := startSim(t, simulator.Config{})
	p := startPool(t, poolConfig(pool.HSMConfig{Name: "a", Addr: a.Addr()}, pool.HSMConfig{Name: "b", Addr: b.Addr()}), "a", "b")
	g := startGateway(t, Config{}, p)
	c := dial(t, g.Addr())
	const n = 200
	var out []byte
	for i := range n {
		data := fmt.Sprintf("x%d", i)
		out = append(out, frame(fmt.Sprintf("%04d", i), fmt.Sprintf("B2%04X%s", len(data), data))...)
		if i%7 == 6 { // several batches, so both HSMs get some
			if _, err := c.Write(out); err != nil {
				t.Fatal(err)
			}
			out = out[:0]
		}
	}
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	r := hostcmd.NewReader(c, 4)
	for i := range n {
		hdr, body := readAnswer(t, r)
		if want := fmt.Sprintf("%04d", i); hdr != want {
			t.Fatalf("answer %d: header %q, want %q", i, hdr, want)
		}
		if want := fmt.Sprintf("B300x%d", i); body != want {
			t.Fatalf("answer %d: body %q, want %q", i, body, want)
		}
	}
}

// reverser is a Backend that answers each batch in reverse order, from
// another goroutine, one Complete and Flush at a time: the worst order a
// pool could complete in.
type reverser struct{}

func (reverser) Submit(batch []*pool.Request, s pool.Sink) {
	rs := append([]*pool.Request(nil), batch...)
	go func() {
		for i := len(rs) - 1; i >= 0; i-- {
			r := rs[i]
			r.Resp = append(append(r.Resp[:0], r.Body[0], r.Body[1]+1, '0', '0'), r.Body[2:]...)
			s.Complete(r)
			s.Flush()
		}
	}()
}

func TestGatewayPutsAnswersBackInRequestOrder(t *testing.T) {
	g := startGateway(t, Config{MaxPipeline: 16}, reverser{})
	c := dial(t, g.Addr())
	const n = 100 // more than MaxPipeline: reading pauses and resumes
	var out []byte
	for i := range n {
		out = append(out, frame(fmt.Sprintf("%04d", i), fmt.Sprintf("NC%d", i))...)
	}
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	r := hostcmd.NewReader(c, 4)
	for i := range n {
		hdr, body := readAnswer(t, r)
		if want := fmt.Sprintf("%04d", i); hdr != want || body != fmt.Sprintf("ND00%d", i) {
			t.Fatalf("answer %d: have %q %q, want %q ND00%d", i, hdr, body, want, i)
		}
	}
}

func TestGatewayHeaderLengths(t *testing.T) {
	_, _, p := pair(t, nil)
	for _, hl := range []int{NoHeader, 1, 2, 16} {
		g := startGateway(t, Config{HeaderLen: hl}, p)
		c := dial(t, g.Addr())
		n := max(hl, 0)
		hdr := "0123456789ABCDEF"[:n]
		if _, err := c.Write(frame(hdr, "B20003abc")); err != nil {
			t.Fatal(err)
		}
		f, err := hostcmd.NewReader(c, n).ReadFrame()
		if err != nil || string(f.Header()) != hdr || string(f.Body()) != "B300abc" {
			t.Errorf("header length %d: have %q %q, %v", hl, f.Header(), f.Body(), err)
		}
	}
}

func TestGatewayAnswers41QuicklyWhenEveryHSMIsDown(t *testing.T) {
	a, b, p := pair(t, func(c *pool.Config) { c.QueueTimeout = time.Minute })
	g := startGateway(t, Config{}, p)
	a.Close()
	b.Close()
	waitState(t, p, "a", pool.Down)
	waitState(t, p, "b", pool.Down)
	c := dial(t, g.Addr())
	// The queue timeout is a minute: only the "no HSM up" rule can answer
	// before the read deadline.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(frame("0001", "NC")); err != nil {
		t.Fatal(err)
	}
	hdr, body := readAnswer(t, hostcmd.NewReader(c, 4))
	if hdr != "0001" || body != "ND41" {
		t.Errorf("have %q %q, want 0001 ND41", hdr, body)
	}
}

func TestGatewayClosesTheConnectionOnAFramingError(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{}, p)
	c := dial(t, g.Addr())
	// One good command, then a declared length over 32 KiB (hostcmd.md §1).
	msg := append(frame("0001", "NC"), rawLen(hostcmd.MaxFrameLen+1)...)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	r := hostcmd.NewReader(c, 4)
	if hdr, body := readAnswer(t, r); hdr != "0001" || len(body) < 4 || body[:4] != "ND00" {
		t.Errorf("the command before the bad frame: have %q %q", hdr, body)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Errorf("after a framing error: have %v, want the connection closed (EOF)", err)
	}
	if g.Stats().Framing != 1 {
		t.Errorf("framing errors: have %d, want 1", g.Stats().Framing)
	}
}

func TestGatewayClosesIdleConnections(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{IdleTimeout: 50 * time.Millisecond}, p)
	c := dial(t, g.Addr())
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("silent connection: have %v, want closed by the gateway (EOF)", err)
	}
}

func TestGatewayLimitsConnections(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{MaxConns: 1}, p)
	first := dial(t, g.Addr())
	if _, err := first.Write(frame("0001", "NC")); err != nil {
		t.Fatal(err)
	}
	readAnswer(t, hostcmd.NewReader(first, 4)) // first is served
	second := dial(t, g.Addr())
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Errorf("connection over MaxConns was served")
	}
	if g.Stats().Rejected != 1 {
		t.Errorf("rejected: have %d, want 1", g.Stats().Rejected)
	}
}

// Must show (1): losing one HSM of the pair under steady load loses no
// command and fails none.
func TestGatewayLosesNothingWhenAnHSMDies(t *testing.T) {
	reg := prometheus.NewRegistry()
	// A little service time keeps commands in flight on both HSMs.
	a := startSim(t, simulator.Config{Latency: 2 * time.Millisecond})
	b := startSim(t, simulator.Config{Latency: 2 * time.Millisecond})
	cfg := poolConfig(pool.HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p1"}, pool.HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p1"})
	cfg.Registerer = reg
	p := startPool(t, cfg, "a", "b")
	g := startGateway(t, Config{}, p)
	l := startLoad(t, g.Addr(), 4, 8)
	l.waitAnswered(500)
	// Kill a while it holds commands: it stops answering first, so that
	// commands written to it are sure to be unanswered when it dies (a
	// busy machine could otherwise let every one be answered in between).
	a.SetBlackhole(true)
	for a.Stats().Blackholed == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	a.DropConnections()
	a.Close()
	waitState(t, p, "a", pool.Down)
	before := b.Stats().Commands
	l.waitAnswered(l.answered() + 1000)
	sent, ok := l.finish()
	if sent != ok || len(l.codes) != 0 {
		t.Errorf("sent %d, answered 00 %d, error answers %v; want every command answered 00", sent, ok, l.codes)
	}
	if b.Stats().Commands <= before {
		t.Errorf("the surviving HSM took no load")
	}
	if v := metricValue(t, reg, "payhsm_pool_failovers_total", nil); v == 0 {
		t.Errorf("no command was moved off the dead HSM: the test did not test failover")
	} else {
		t.Logf("%v commands failed over, %v of them resent after being written", v, metricValue(t, reg, "payhsm_pool_retries_total", nil))
	}
	if st := g.Stats(); st.Received != st.Answered {
		t.Errorf("gateway read %d commands and answered %d", st.Received, st.Answered)
	}
}

// Must show (2): a black-holed HSM loses nothing, and every command is
// answered within the command timeout plus one retry.
func TestGatewayBlackholedHSMLosesNothing(t *testing.T) {
	var cfg pool.Config
	a, _, p := pair(t, func(c *pool.Config) { cfg = *c })
	g := startGateway(t, Config{}, p)
	l := startLoad(t, g.Addr(), 4, 8)
	l.waitAnswered(500)
	a.SetBlackhole(true)
	waitState(t, p, "a", pool.Down)
	l.waitAnswered(l.answered() + 1000)
	sent, ok := l.finish()
	if sent != ok || len(l.codes) != 0 {
		t.Errorf("sent %d, answered 00 %d, error answers %v; want every command answered 00", sent, ok, l.codes)
	}
	if a.Stats().Blackholed == 0 {
		t.Errorf("no command reached the black hole: the test did not test failover")
	}
	// Deadline + retry: the command timeout on a, a wait in the queue and
	// the retry's own timeout on b, plus scheduling slack for -race on a
	// shared 2-core machine.
	bound := 2*cfg.CommandTimeout + cfg.QueueTimeout + time.Second
	if l.worst > bound {
		t.Errorf("slowest answer took %v, want within %v", l.worst, bound)
	}
	t.Logf("slowest answer %v (bound %v)", l.worst, bound)
}

// Must show (3): an HSM loaded with another LMK receives no command.
func TestGatewayNeverSendsToAnHSMWithAnotherLMK(t *testing.T) {
	good := startSim(t, simulator.Config{})
	bad := startSim(t, simulator.Config{LMK: otherLMK(t)})
	sp := startSpy(t, bad.Addr())
	reg := prometheus.NewRegistry()
	cfg := poolConfig(pool.HSMConfig{Name: "good", Addr: good.Addr(), Pair: "p"}, pool.HSMConfig{Name: "bad", Addr: sp.Addr(), Pair: "p"})
	cfg.Registerer = reg
	p := startPool(t, cfg, "good")
	waitState(t, p, "bad", pool.LMKMismatch)
	g := startGateway(t, Config{}, p)
	l := startLoad(t, g.Addr(), 4, 8)
	l.waitAnswered(2000)
	sent, ok := l.finish()
	if sent != ok {
		t.Errorf("sent %d, answered 00 %d, errors %v", sent, ok, l.codes)
	}
	if n := sp.countExcept("NC", "NO"); n != 0 {
		t.Errorf("the HSM with another LMK received %d commands besides probes, want 0", n)
	}
	if v := metricValue(t, reg, "payhsm_hsm_lmk_mismatch_total", map[string]string{"hsm": "bad"}); v != 1 {
		t.Errorf("payhsm_hsm_lmk_mismatch_total{hsm=bad}: have %v, want 1", v)
	}
	if v := metricValue(t, reg, "payhsm_hsm_lmk_match", map[string]string{"hsm": "bad"}); v != 0 {
		t.Errorf("payhsm_hsm_lmk_match{hsm=bad}: have %v, want 0", v)
	}
}

// Must show (4): the gateway holds each HSM under its licence. Both
// simulators enforce a licence of cps (excess would wait in their queue);
// the spies time every command they receive, independently of the pool.
func TestGatewayRespectsEachHSMsLicence(t *testing.T) {
	const cps = 200
	a := startSim(t, simulator.Config{CPS: cps})
	b := startSim(t, simulator.Config{CPS: cps})
	spa, spb := startSpy(t, a.Addr()), startSpy(t, b.Addr())
	cfg := poolConfig(
		pool.HSMConfig{Name: "a", Addr: spa.Addr(), CPS: cps},
		pool.HSMConfig{Name: "b", Addr: spb.Addr(), CPS: cps},
	)
	cfg.QueueTimeout = 100 * time.Millisecond
	p := startPool(t, cfg, "a", "b")
	g := startGateway(t, Config{}, p)
	start := time.Now()
	l := startLoad(t, g.Addr(), 8, 16) // far more than 2 x 200/s
	// The simulators' own view: commands read and not yet answered. A
	// gateway over the licence would fill their queues (up to the 128
	// commands the clients keep in flight).
	stopSampling := make(chan struct{})
	sampled := make(chan int)
	go func() {
		most := 0
		for {
			select {
			case <-stopSampling:
				sampled <- most
				return
			case <-time.After(2 * time.Millisecond):
				most = max(most, a.Stats().InFlight, b.Stats().InFlight)
			}
		}
	}()
	l.waitAnswered(2 * cps * 3 / 2) // about 1.5 s at the licensed rate
	l.finish()
	elapsed := time.Since(start)
	close(stopSampling)
	if most := <-sampled; most > cps/10 {
		t.Errorf("a simulator held %d commands waiting for its licence; want at most %d", most, cps/10)
	} else {
		t.Logf("most commands waiting in a simulator: %d", most)
	}
	burst := max(1, cps/50)
	for name, sp := range map[string]*spy{"a": spa, "b": spb} {
		// Allow 10% for scheduling jitter between the pool's send and the
		// spy's read on a loaded machine.
		// Probes (NC, NO) count against the licence too.
		if m := sp.maxInWindow("", time.Second); m > cps*11/10+burst {
			t.Errorf("HSM %s got %d commands within one second, licence %d", name, m, cps)
		}
		if n := sp.countExcept(); float64(n) > float64(cps)*elapsed.Seconds()*1.1+float64(burst) {
			t.Errorf("HSM %s got %d commands in %v, over its licence of %d/s", name, n, elapsed, cps)
		}
	}
	if len(l.codes) == 0 || l.codes["41"] == 0 {
		t.Errorf("load above the licence was not shed with 41: %v", l.codes)
	}
}

// Must show (5): shutdown under load answers everything it read.
func TestGatewayShutdownUnderLoadLosesNothing(t *testing.T) {
	a := startSim(t, simulator.Config{Latency: time.Millisecond})
	b := startSim(t, simulator.Config{Latency: time.Millisecond})
	spa, spb := startSpy(t, a.Addr()), startSpy(t, b.Addr())
	pc := poolConfig(pool.HSMConfig{Name: "a", Addr: spa.Addr()}, pool.HSMConfig{Name: "b", Addr: spb.Addr()})
	// Each command must reach an HSM exactly once: a hedge, which a slow
	// moment of a loaded machine can trigger, sends a second copy.
	pc.Hedge.Off = true
	p := startPool(t, pc, "a", "b")
	g := startGateway(t, Config{}, p)
	l := startLoad(t, g.Addr(), 6, 16)
	l.waitAnswered(1000)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	_, ok := l.finish()
	st := g.Stats()
	if st.Received != st.Answered {
		t.Errorf("gateway read %d commands and answered %d", st.Received, st.Answered)
	}
	if uint64(ok) != st.Answered || len(l.codes) != 0 {
		t.Errorf("clients got %d good answers (errors %v), gateway wrote %d", ok, l.codes, st.Answered)
	}
	if executed := spa.count("B2") + spb.count("B2"); uint64(executed) != st.Answered {
		t.Errorf("HSMs received %d commands, gateway answered %d", executed, st.Answered)
	}
	if st.Conns != 0 {
		t.Errorf("%d connections still open after Shutdown", st.Conns)
	}
	if _, err := net.Dial("tcp", g.Addr()); err == nil {
		t.Errorf("the gateway still accepts after Shutdown")
	}
}

// At a graceful close the gateway ends its stream after the last answer and
// goes on reading until the client closes, so that what the client sends
// meanwhile does not make TCP reset the connection: a client that writes
// again before it reads (hostcmd.Client did) would otherwise fail requests
// whose answers it has received. The old close reset the connection at the
// client's first write after it, which the second write then reported.
func TestGatewayLingersAtCloseInsteadOfResetting(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{}, p)
	c := dial(t, g.Addr())
	r := hostcmd.NewReader(c, 4)
	if _, err := c.Write(frame("0001", "B2000Bbefore-stop")); err != nil {
		t.Fatal(err)
	}
	if _, body := readAnswer(t, r); body != "B300before-stop" {
		t.Fatalf("answer %q", body)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- g.Shutdown(ctx)
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after Shutdown the client read %v, want the end of the stream", err)
	}
	for i := range 2 {
		if _, err := c.Write(frame("0002", "B20005late!")); err != nil {
			t.Fatalf("write %d after the gateway ended its stream: %v (the connection was reset)", i+1, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) before the client closed, within the linger time", err)
	default:
	}
	start := time.Now()
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > lingerTimeout/2 {
		t.Errorf("Shutdown took %v after the client closed, want it at once", d)
	}
}

// A client that pipelines large commands and never reads its answers must
// not hold up anyone else: answers are written to it without blocking the
// pool's connection readers, so other clients' commands are answered and
// the HSMs are not judged stuck.
func TestGatewayASlowClientDoesNotStallOthers(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{}, p)
	slow := dial(t, g.Addr())
	big := make([]byte, 30000)
	for i := range big {
		big[i] = 'x'
	}
	cmd := frame("SLOW", fmt.Sprintf("B2%04X%s", len(big), big))
	go func() {
		for range 256 { // 7.5 MB of answers nobody reads
			if _, err := slow.Write(cmd); err != nil {
				return
			}
		}
	}()
	l := startLoad(t, g.Addr(), 2, 4)
	l.waitAnswered(2000)
	sent, ok := l.finish()
	if sent != ok || len(l.codes) != 0 {
		t.Errorf("beside a slow client: sent %d, answered 00 %d, errors %v", sent, ok, l.codes)
	}
	for _, name := range []string{"a", "b"} {
		if s := hsmState(p, name); s != pool.Up {
			t.Errorf("HSM %s is %s: a slow client made it look stuck", name, s)
		}
	}
}

func TestGatewayClosesAClientThatTricklesAFrame(t *testing.T) {
	_, _, p := pair(t, nil)
	reg := prometheus.NewRegistry()
	const frameTimeout = 500 * time.Millisecond
	g := startGateway(t, Config{FrameTimeout: frameTimeout, IdleTimeout: 30 * time.Second, Registerer: reg}, p)

	// A pipelined client runs throughout, for several frame timeouts: its
	// reads end inside frames all the time, and it must never be cut.
	l := startLoad(t, g.Addr(), 2, 16)

	// A frame declaring 200 bytes, one byte every 100 ms: each byte re-arms
	// no idle timer, and the frame cannot be whole within 500 ms.
	drip := dial(t, g.Addr())
	in := append([]byte{0, 200}, "0009NC"...)
	stop := make(chan struct{})
	dripped := make(chan int)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		n := 0
		defer func() { dripped <- n }()
		for ; ; n++ {
			if _, err := drip.Write([]byte{in[n%len(in)]}); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	drip.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := drip.Read(make([]byte, 1))
	close(stop)
	n := <-dripped
	// EOF, or a reset when a byte arrived after the gateway's last read.
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("dripping client: have %v, want closed by the gateway (EOF or reset)", err)
	}
	if n >= 200 {
		t.Errorf("dripping client sent %d bytes before the close; want it closed within the frame", n)
	}
	if have := g.Stats().FrameTimeouts; have != 1 {
		t.Errorf("Stats().FrameTimeouts: have %d, want 1", have)
	}
	if have := metricValue(t, reg, "payhsm_gateway_connections_timed_out_total", map[string]string{"cause": "frame_timeout"}); have != 1 {
		t.Errorf("payhsm_gateway_connections_timed_out_total{cause=frame_timeout}: have %v, want 1", have)
	}

	// Let the pipelined load run past a few more frame timeouts.
	<-time.After(3 * frameTimeout)
	sent, ok := l.finish()
	if sent == 0 || sent != ok || len(l.codes) != 0 || l.eofs != 0 {
		t.Errorf("pipelined client beside it: sent %d, answered 00 %d, errors %v, closed %d", sent, ok, l.codes, l.eofs)
	}
	if have := g.Stats().FrameTimeouts; have != 1 {
		t.Errorf("after the load: FrameTimeouts have %d, want 1 (only the dripping client)", have)
	}
}

func TestGatewayAnswersAFrameSplitWithinTheFrameTimeout(t *testing.T) {
	_, _, p := pair(t, nil)
	g := startGateway(t, Config{FrameTimeout: 2 * time.Second}, p)
	c := dial(t, g.Addr())
	f := frame("0001", "NC")
	if _, err := c.Write(f[:5]); err != nil {
		t.Fatal(err)
	}
	<-time.After(200 * time.Millisecond) // the rest comes later, well in time
	if _, err := c.Write(f[5:]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if hdr, body := readAnswer(t, hostcmd.NewReader(c, 4)); hdr != "0001" || len(body) < 4 || body[:4] != "ND00" {
		t.Errorf("split frame: have %q %q, want ND00 for 0001", hdr, body)
	}
	if have := g.Stats().FrameTimeouts; have != 0 {
		t.Errorf("FrameTimeouts: have %d, want 0", have)
	}
}

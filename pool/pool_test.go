package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

func TestStateString(t *testing.T) {
	for _, tt := range []struct {
		s    State
		want string
	}{{Up, "up"}, {Down, "down"}, {Draining, "draining"}, {LMKMismatch, "lmk-mismatch"}, {State(9), "unknown"}} {
		if tt.s.String() != tt.want {
			t.Errorf("State(%d).String(): have %q, want %q", tt.s, tt.s.String(), tt.want)
		}
	}
}

func TestPoolSpreadsOverThePairAndRestoresNothingOfItsOwn(t *testing.T) {
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	p := newPool(t, testConfig(
		HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p1"},
		HSMConfig{Name: "b", Addr: b.Addr(), Pair: "p1"},
	))
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				data := fmt.Sprintf("g%di%d", g, i)
				resp, err := p.Do(context.Background(), echo(data))
				if err != nil {
					t.Errorf("Do: %v", err)
					return
				}
				if want := "B300" + data; string(resp) != want {
					t.Errorf("Do: have %q, want %q", resp, want)
				}
			}
		}()
	}
	wg.Wait()
	st := p.Status()
	if len(st.Pairs) != 1 || len(st.Pairs[0].HSMs) != 2 {
		t.Fatalf("Status pairs: have %+v", st.Pairs)
	}
	for _, h := range st.Pairs[0].HSMs {
		if h.Commands == 0 {
			t.Errorf("HSM %s served no command: spreading failed", h.Name)
		}
	}
	if st.LMKCheckValue != a.HSM().CheckValue() {
		t.Errorf("pool LMK check value: have %q, want %q", st.LMKCheckValue, a.HSM().CheckValue())
	}
}

func TestPoolHeaderLengths(t *testing.T) {
	// Our correlation header must work at every header length the
	// contract allows (hostcmd.md §1: 0..16), including none.
	for _, hl := range []int{NoHeader, 1, 2, 4, 16} {
		t.Run(fmt.Sprint(hl), func(t *testing.T) {
			s := startSim(t, simulator.Config{HeaderLen: hl})
			p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: s.Addr(), HeaderLen: hl, Conns: 1}))
			waitState(t, p, "a", Up)
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 100 {
						data := fmt.Sprintf("%d-%d", g, i)
						resp, err := p.Do(context.Background(), echo(data))
						if err != nil || string(resp) != "B300"+data {
							t.Errorf("Do: have %q, %v; want %q", resp, err, "B300"+data)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

func TestPoolAnswers41AtOnceWhenNoHSMIsUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	reg := prometheus.NewRegistry()
	cfg := testConfig(HSMConfig{Name: "gone", Addr: addr})
	cfg.Registerer = reg
	cfg.QueueTimeout = time.Minute // must not be what ends the wait
	p := newPool(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := p.Do(ctx, echo("x"))
	if !is41(err) || resp != nil {
		t.Fatalf("Do: have %q, %v; want error 41", resp, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do waited for its context instead of answering 41 at once: %v", err)
	}
	if n := metricValue(t, reg, "payhsm_pool_shed_total", map[string]string{"reason": shedNoHSM}); n != 1 {
		t.Errorf("payhsm_pool_shed_total{reason=no_hsm}: have %v, want 1", n)
	}
}

func TestPoolQuarantinesAnHSMWithAnotherLMK(t *testing.T) {
	good := startSim(t, simulator.Config{})
	bad := startSim(t, simulator.Config{LMK: otherLMK(t)})
	sp := startSpy(t, bad.Addr(), 4)
	reg := prometheus.NewRegistry()
	var logs logBuffer
	cfg := testConfig(
		HSMConfig{Name: "good", Addr: good.Addr(), Pair: "p"},
		HSMConfig{Name: "bad", Addr: sp.Addr(), Pair: "p"},
	)
	cfg.Registerer = reg
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	p := newPool(t, cfg)
	waitState(t, p, "good", Up)
	waitState(t, p, "bad", LMKMismatch)
	for i := range 200 {
		if _, err := p.Do(context.Background(), echo(fmt.Sprint(i))); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	if n := sp.count("NC", "NO"); n != 0 {
		t.Errorf("the HSM with another LMK received %d commands besides probes, want 0", n)
	}
	if sp.count() == 0 {
		t.Errorf("the HSM with another LMK was never probed")
	}
	if v := metricValue(t, reg, "payhsm_hsm_lmk_mismatch_total", map[string]string{"hsm": "bad"}); v != 1 {
		t.Errorf("payhsm_hsm_lmk_mismatch_total{hsm=bad}: have %v, want 1 (counted once, on the transition)", v)
	}
	if v := metricValue(t, reg, "payhsm_hsm_lmk_match", map[string]string{"hsm": "good"}); v != 1 {
		t.Errorf("payhsm_hsm_lmk_match{hsm=good}: have %v, want 1", v)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "QUARANTINED") {
		t.Errorf("no loud log line for the quarantine:\n%s", logs.String())
	}
	if strings.Count(logs.String(), "QUARANTINED") != 1 {
		t.Errorf("the quarantine was logged more than once (want only on the transition):\n%s", logs.String())
	}
}

func TestPoolAdoptsTheLMKOfTheFirstHSMInConfigurationOrder(t *testing.T) {
	// The first HSM answers later than the second (added latency), so the
	// first probe to return is the second's: the pool must still adopt the
	// first's check value (ours: deterministic, never a race).
	first := startSim(t, simulator.Config{LMK: otherLMK(t), Latency: 50 * time.Millisecond})
	second := startSim(t, simulator.Config{})
	cfg := testConfig(
		HSMConfig{Name: "first", Addr: first.Addr()},
		HSMConfig{Name: "second", Addr: second.Addr()},
	)
	cfg.ProbeTimeout = 10 * time.Second // the first must answer in the first round
	p := newPool(t, cfg)
	waitState(t, p, "first", Up)
	waitState(t, p, "second", LMKMismatch)
	if have, want := p.Status().LMKCheckValue, first.HSM().CheckValue(); have != want {
		t.Errorf("pool LMK check value: have %s, want the first HSM's %s", have, want)
	}
}

func TestPoolRefusesEveryHSMWhenNoneMatchesTheConfiguredLMK(t *testing.T) {
	a := startSim(t, simulator.Config{LMK: otherLMK(t)})
	cfg := testConfig(HSMConfig{Name: "a", Addr: a.Addr()})
	cfg.LMKCheckValue = simulator.NewHSM(nil).CheckValue() // the test LMK's
	p := newPool(t, cfg)
	waitState(t, p, "a", LMKMismatch)
	if _, err := p.Do(context.Background(), echo("x")); !is41(err) {
		t.Fatalf("Do with no matching HSM: have %v, want error 41", err)
	}
}

func TestPoolNeverRetriesAnAnswer(t *testing.T) {
	// An answer with an HSM error code is final: it
	// reaches the caller and is not sent again.
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: a.Addr()}, HSMConfig{Name: "b", Addr: b.Addr()}))
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	a.SetForcedError(hostcmd.InvalidInput)
	const n = 100
	forced := 0
	for i := range n {
		resp, err := p.Do(context.Background(), echo(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if string(resp) == "B315" {
			forced++
		}
	}
	if forced == 0 {
		t.Fatalf("no answer came from the HSM forced to answer 15")
	}
	// Probes run meanwhile; count only echo commands via the error map.
	if e := a.Stats().Errors[hostcmd.InvalidInput]; int(e) < forced {
		t.Errorf("HSM a answered 15 %d times but the caller saw %d", e, forced)
	}
}

func TestPoolRetriesOnlyRetrySafeCommandsAfterATimeout(t *testing.T) {
	unsafe, safe := unsafeAndSafeCodes(t)
	for _, tt := range []struct {
		code    string
		wantErr bool
	}{{safe, false}, {unsafe, true}} {
		t.Run(tt.code, func(t *testing.T) {
			a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
			reg := prometheus.NewRegistry()
			cfg := testConfig(HSMConfig{Name: "a", Addr: a.Addr()}, HSMConfig{Name: "b", Addr: b.Addr()})
			cfg.Registerer = reg
			cfg.CommandTimeout = time.Second
			cfg.Hedge.Off = true // a retry, not a hedge, once b is back
			p := newPool(t, cfg)
			waitState(t, p, "a", Up)
			waitState(t, p, "b", Up)
			if err := p.SetDraining("b", true); err != nil {
				t.Fatal(err)
			}
			a.SetBlackhole(true)
			type result struct {
				resp []byte
				err  error
			}
			done := make(chan result, 1)
			go func() {
				resp, err := p.Do(context.Background(), []byte(tt.code))
				done <- result{resp, err}
			}()
			// Once a has swallowed the command, put b back: the command can
			// only reach b by a retry.
			for a.Stats().Blackholed == 0 {
				time.Sleep(time.Millisecond)
			}
			if err := p.SetDraining("b", false); err != nil {
				t.Fatal(err)
			}
			waitState(t, p, "b", Up)
			r := <-done
			if tt.wantErr {
				if !is41(r.err) {
					t.Fatalf("Do(%s) on a black hole: have %q, %v; want error 41 (not retry-safe)", tt.code, r.resp, r.err)
				}
				if v := metricValue(t, reg, "payhsm_pool_shed_total", map[string]string{"reason": shedNotSafe}); v != 1 {
					t.Errorf("shed{not_retry_safe}: have %v, want 1", v)
				}
				return
			}
			if r.err != nil || len(r.resp) < 4 {
				t.Fatalf("Do(%s): have %q, %v; want an answer from b", tt.code, r.resp, r.err)
			}
			if v := metricValue(t, reg, "payhsm_pool_retries_total", nil); v != 1 {
				t.Errorf("payhsm_pool_retries_total: have %v, want 1", v)
			}
		})
	}
}

// unsafeAndSafeCodes picks a command that must not be repeated (one the
// table marks not retry-safe, else a code it does not know: unknown codes
// are never retried) and one it marks retry-safe.
func unsafeAndSafeCodes(t *testing.T) (unsafe, safe string) {
	unsafe = "ZZ"
	for _, c := range hostcmd.Commands() {
		if !c.RetrySafe {
			unsafe = c.Code
			break
		}
	}
	if spec, ok := hostcmd.Lookup([2]byte{'N', 'C'}); !ok || !spec.RetrySafe {
		t.Fatalf("the command table does not mark NC retry-safe")
	}
	return unsafe, "NC"
}

func TestPoolHoldsEachHSMUnderItsLicence(t *testing.T) {
	// The simulators are unlimited: only the pool's limiter stands between
	// the load and the HSMs. The spy timestamps every command the HSM gets.
	const cps = 200
	p, sp := licensedPool(t, cps)
	ok, shed := flood(p, 16, 1500*time.Millisecond)
	burst := max(1, cps/50)
	// Probes (NC, NO) are commands too and count against the licence; a
	// probe never waits for a token, so it may run the bucket into debt
	// that later commands repay. Allow 10% for that and for scheduling
	// jitter between the pool's write and the spy's read.
	if m := sp.maxInWindow("", time.Second); m > cps*11/10+burst {
		t.Errorf("HSM got %d commands within one second, licence %d (+%d burst)", m, cps, burst)
	}
	if m := sp.maxInWindow("", time.Second); m < cps*8/10 {
		t.Errorf("HSM got at most %d commands per second, want close to the licence %d", m, cps)
	}
	if shed == 0 {
		t.Errorf("offered load above the licence but nothing was shed (ok %d)", ok)
	}
}

func TestPoolCloseAnswersEverythingAndStops(t *testing.T) {
	a := startSim(t, simulator.Config{Latency: 50 * time.Millisecond})
	p, err := New(context.Background(), testConfig(HSMConfig{Name: "a", Addr: a.Addr()}))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, p, "a", Up)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := p.Do(context.Background(), echo("x"))
			if err == nil && string(resp) != "B300x" {
				t.Errorf("Do: have %q", resp)
			}
			if err != nil && !is41(err) {
				t.Errorf("Do during Close: have %v, want an answer or 41", err)
			}
		}()
	}
	time.Sleep(10 * time.Millisecond) // let some commands reach the HSM
	p.Close()
	wg.Wait()
	if _, err := p.Do(context.Background(), echo("x")); !is41(err) {
		t.Errorf("Do after Close: have %v, want 41", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "hsms"},
		{Config{HSMs: []HSMConfig{{Name: "a"}}}, "addr"},
		{Config{HSMs: []HSMConfig{{Name: "a", Addr: "x:1"}, {Name: "a", Addr: "y:1"}}}, "duplicate"},
		{Config{HSMs: []HSMConfig{{Name: "a", Addr: "x:1", HeaderLen: 17}}}, "header length"},
		{Config{HSMs: []HSMConfig{{Name: "a", Addr: "x:1"}}, LicenceShare: 2}, "licence share"},
		{Config{HSMs: []HSMConfig{{Name: "a", Addr: "x:1"}}, LMKCheckValue: "ABC"}, "lmk"},
	} {
		_, err := New(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v): have %v, want an error about %q", tt.cfg, err, tt.want)
		}
	}
}

func TestPoolRefusesACommandTooLongForTheHSMHeaderWith15(t *testing.T) {
	a := startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: a.Addr()}))
	waitState(t, p, "a", Up)
	// hostcmd.md §1: frames are limited to 32 KiB; with our header of up to
	// 16 characters a body this long may not fit (ours: answered 15).
	body := append([]byte("B2"), make([]byte, hostcmd.MaxFrameLen-hostcmd.MaxHeaderLen)...)
	_, err := p.Do(context.Background(), body)
	var he *hostcmd.Error
	if !errors.As(err, &he) || he.Code != hostcmd.InvalidInput {
		t.Fatalf("Do(too long): have %v, want error 15", err)
	}
}

func TestPoolTakesDownAnHSMThatAnswers41AndProbesItBackIn(t *testing.T) {
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: a.Addr()}, HSMConfig{Name: "b", Addr: b.Addr()}))
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	a.SetForcedError(hostcmd.InternalError)
	// Answers 41 from a reach the caller (an answer is final) until a is
	// taken out; then everything goes to b.
	for hsmStatus(p, "a").State == Up {
		if _, err := p.Do(context.Background(), echo("x")); err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	for i := range 50 {
		resp, err := p.Do(context.Background(), echo("y"))
		if err != nil || string(resp) != "B300y" {
			t.Fatalf("Do %d with a down: have %q, %v", i, resp, err)
		}
	}
	a.SetForcedError("")
	waitState(t, p, "a", Up)
}

func TestPoolReconnectsToAnHSMThatComesBack(t *testing.T) {
	a := startSim(t, simulator.Config{})
	addr := a.Addr()
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: addr}))
	waitState(t, p, "a", Up)
	a.DropConnections()
	a.Close()
	waitState(t, p, "a", Down)
	if _, err := p.Do(context.Background(), echo("x")); !is41(err) {
		t.Fatalf("Do with the only HSM down: have %v, want 41", err)
	}
	startSim(t, simulator.Config{Addr: addr})
	waitState(t, p, "a", Up)
	if resp, err := p.Do(context.Background(), echo("x")); err != nil || string(resp) != "B300x" {
		t.Fatalf("Do after the HSM came back: have %q, %v", resp, err)
	}
	if st := hsmStatus(p, "a"); st.Conns != 2 {
		t.Errorf("connections after reconnect: have %d, want 2", st.Conns)
	}
}

func TestStatusEncodesStatesByName(t *testing.T) {
	a := startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: a.Addr(), Pair: "p1", CPS: 60}))
	waitState(t, p, "a", Up)
	b, err := json.Marshal(p.Status())
	if err != nil {
		t.Fatal(err)
	}
	// The names are REST's GET /v1/hsms (docs/spec/rest.md), which
	// returns this Status as it is.
	for _, want := range []string{`"state":"up"`, `"name":"p1"`, `"licensedCps":60`, `"lmkCheckValue":"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Status JSON lacks %s: %s", want, b)
		}
	}
}

func TestPoolDrainsAnHSMByHand(t *testing.T) {
	a, b := startSim(t, simulator.Config{}), startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: a.Addr()}, HSMConfig{Name: "b", Addr: b.Addr()}))
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	if err := p.SetDraining("nope", true); err == nil {
		t.Errorf("SetDraining of an unknown HSM: no error")
	}
	if err := p.SetDraining("a", true); err != nil {
		t.Fatal(err)
	}
	before := hsmStatus(p, "a").Commands
	for range 50 {
		if _, err := p.Do(context.Background(), echo("x")); err != nil {
			t.Fatal(err)
		}
	}
	if st := hsmStatus(p, "a"); st.State != Draining || st.Commands != before {
		t.Errorf("draining HSM: state %s, served %d commands while draining", st.State, st.Commands-before)
	}
	if err := p.SetDraining("a", false); err != nil {
		t.Fatal(err)
	}
	waitState(t, p, "a", Up)
}

func TestPoolQuarantinesAnHSMReplacedByOneWithAnotherLMK(t *testing.T) {
	a := startSim(t, simulator.Config{})
	b := startSim(t, simulator.Config{})
	addr := a.Addr()
	p := newPool(t, testConfig(HSMConfig{Name: "a", Addr: addr}, HSMConfig{Name: "b", Addr: b.Addr()}))
	waitState(t, p, "a", Up)
	waitState(t, p, "b", Up)
	// The box behind a's address restarts with another LMK.
	a.DropConnections()
	a.Close()
	other := startSim(t, simulator.Config{Addr: addr, LMK: otherLMK(t)})
	waitState(t, p, "a", LMKMismatch)
	before := other.Stats().Commands
	for range 100 {
		if resp, err := p.Do(context.Background(), echo("x")); err != nil || string(resp) != "B300x" {
			t.Fatalf("Do: have %q, %v", resp, err)
		}
	}
	// Probes run meanwhile (NC per connection and NO per round), but not
	// one of the 100 echo commands.
	if got := other.Stats().Commands - before; got >= 100 {
		t.Errorf("the HSM with another LMK answered %d commands during 100 echoes", got)
	}
	// Back to the right LMK: probed back in.
	other.DropConnections()
	other.Close()
	startSim(t, simulator.Config{Addr: addr})
	waitState(t, p, "a", Up)
}

func TestPoolQueueIsBoundedInSizeAndTime(t *testing.T) {
	// 10 commands/s of licence (burst 1), a queue of 4 for 100ms: of 30
	// commands at once, one goes at once, a few wait and go as tokens come,
	// the rest are answered 41 for a full queue or a queue timeout.
	a := startSim(t, simulator.Config{})
	reg := prometheus.NewRegistry()
	cfg := testConfig(HSMConfig{Name: "a", Addr: a.Addr(), CPS: 10})
	cfg.HealthInterval = time.Hour // no probe takes a token during the test
	cfg.QueueSize = 4
	cfg.QueueTimeout = 100 * time.Millisecond
	cfg.Registerer = reg
	p := newPool(t, cfg)
	waitState(t, p, "a", Up)
	// The first probes took tokens (they count against the licence): wait
	// until the bucket has one again.
	for p.hsms[0].lim.wait(nanotime()) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, shed := 0, 0
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Do(context.Background(), echo("q"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				answered++
			case is41(err):
				shed++
			default:
				t.Errorf("Do: %v", err)
			}
		}()
	}
	wg.Wait()
	full := metricValue(t, reg, "payhsm_pool_shed_total", map[string]string{"reason": shedQueueFull})
	late := metricValue(t, reg, "payhsm_pool_shed_total", map[string]string{"reason": shedQueueWait})
	if answered == 0 || answered > 3 || full == 0 || int(full+late) != shed {
		t.Errorf("answered %d, shed %d (queue full %v, queue timeout %v)", answered, shed, full, late)
	}
	if st := p.Status(); st.Queued != 0 {
		t.Errorf("queue after the test: %d", st.Queued)
	}
}

// The pool's life is Close's to end, not New's context's: a caller need
// not defeat a cancellation it never meant for the pool.
func TestPoolOutlivesNewsContext(t *testing.T) {
	a := startSim(t, simulator.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	p, err := New(ctx, testConfig(HSMConfig{Name: "a", Addr: a.Addr()}))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, p, "a", Up)
	cancel()
	for i := range 20 { // across several probe rounds
		if _, err := p.Do(context.Background(), echo("x")); err != nil {
			t.Fatalf("Do %d after New's context ended: %v", i, err)
		}
		time.Sleep(testConfig().HealthInterval / 4)
	}
	if st := p.Status(); st.Pairs[0].HSMs[0].State != Up {
		t.Errorf("HSM %v after New's context ended, want up", st.Pairs[0].HSMs[0].State)
	}
	p.Close()
	if _, err := p.Do(context.Background(), echo("x")); !is41(err) {
		t.Errorf("Do after Close: have %v, want 41", err)
	}
}

func TestDoHSMNamesTheAnsweringHSM(t *testing.T) {
	a := startSim(t, simulator.Config{})
	p := newPool(t, testConfig(HSMConfig{Name: "only", Addr: a.Addr()}))
	waitState(t, p, "only", Up)
	resp, hsm, err := p.DoHSM(context.Background(), echo("x"))
	if err != nil {
		t.Fatalf("DoHSM: %v", err)
	}
	if string(resp) != "B300x" || hsm != "only" {
		t.Errorf("DoHSM: have %q from %q, want %q from %q", resp, hsm, "B300x", "only")
	}
	p.Close()
	_, hsm, err = p.DoHSM(context.Background(), echo("x"))
	if !is41(err) || hsm != "" {
		t.Errorf("DoHSM on a closed pool: have HSM %q and %v, want no HSM and error 41", hsm, err)
	}
}

// holdConn is a connection to an HSM whose reads, once hold is set, keep
// the bytes they read until release is closed, and whose writes fail once
// failWrites is set: the order in which a reset reaches a connection whose
// reader has not yet taken the answers that came before it.
type holdConn struct {
	net.Conn
	hold, failWrites atomic.Bool
	held             chan struct{} // a read is holding bytes
	release          chan struct{}
}

func (h *holdConn) Read(b []byte) (int, error) {
	n, err := h.Conn.Read(b)
	if n > 0 && h.hold.Load() {
		select {
		case h.held <- struct{}{}:
		default:
		}
		<-h.release
	}
	return n, err
}

func (h *holdConn) Write(b []byte) (int, error) {
	if h.failWrites.Load() {
		return 0, syscall.ECONNRESET
	}
	return h.Conn.Write(b)
}

// A failed write must not fail the commands whose answers are already in
// the connection: the HSM executed them. Before, the command answered
// before the reset was failed with the connection and, its only HSM tried,
// answered 41.
func TestWriteFailureKeepsAnswersAlreadyReceived(t *testing.T) {
	sim := startSim(t, simulator.Config{})
	var hc *holdConn
	cfg := testConfig(HSMConfig{Name: "a", Addr: sim.Addr(), Conns: 1})
	cfg.HealthInterval = time.Hour // no probe on the held connection
	cfg.CommandTimeout = 5 * time.Second
	cfg.QueueTimeout = 2 * time.Second
	cfg.dial = func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil || hc != nil {
			return nc, err
		}
		hc = &holdConn{Conn: nc, held: make(chan struct{}, 1), release: make(chan struct{})}
		return hc, nil
	}
	p := newPool(t, cfg)
	waitState(t, p, "a", Up)
	hc.hold.Store(true)
	var once sync.Once
	release := func() { once.Do(func() { close(hc.release) }) }
	t.Cleanup(release) // before the pool's Close, which waits for the reader

	type result struct {
		resp []byte
		err  error
	}
	first := make(chan result, 1)
	go func() {
		resp, err := p.Do(context.Background(), echo("answered"))
		first <- result{resp, err}
	}()
	select {
	case <-hc.held: // the answer is in the connection, not yet taken
	case <-time.After(5 * time.Second):
		t.Fatal("the HSM's answer never arrived")
	}
	hc.failWrites.Store(true)
	second := make(chan error, 1)
	go func() {
		_, err := p.Do(context.Background(), echo("after-reset"))
		second <- err
	}()
	time.Sleep(100 * time.Millisecond) // the write of the second fails meanwhile
	select {
	case r := <-first:
		t.Fatalf("the first command ended (%q, %v) before its answer was read", r.resp, r.err)
	default:
	}
	release()
	r := <-first
	if r.err != nil || string(r.resp) != "B300answered" {
		t.Errorf("first command: %q, %v; want the HSM's answer, which came before the reset", r.resp, r.err)
	}
	if err := <-second; err == nil {
		t.Error("the command whose write failed was answered")
	}
}

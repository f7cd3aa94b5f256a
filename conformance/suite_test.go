package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"regexp"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startSim starts a simulator on 127.0.0.1:0 and a client to it.
func startSim(t *testing.T, cfg simulator.Config) (*simulator.Server, *hostcmd.Client) {
	t.Helper()
	srv, err := simulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hl := cfg.HeaderLen
	if hl == 0 {
		hl = 4
	}
	c, err := hostcmd.Dial(ctx, srv.Addr(), hostcmd.ClientOptions{HeaderLen: hl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func TestSuitePassesAgainstSimulator(t *testing.T) {
	_, c := startSim(t, simulator.Config{})
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 60 {
		t.Errorf("have %d cases, want at least 60", len(s.Cases))
	}
	rs := s.Run(context.Background(), c)
	for _, r := range rs.Cases {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
	t.Logf("%d passed, %d failed", rs.Passed, rs.Failed)
}

// otherLMK returns a variant LMK other than the test LMK: random odd-parity pairs.
func otherLMK(t *testing.T) *keys.LMK {
	t.Helper()
	var pairs [keys.NumPairs][16]byte
	for i := range pairs {
		if _, err := rand.Read(pairs[i][:]); err != nil {
			t.Fatal(err)
		}
		keys.AdjustParity(pairs[i][:])
	}
	l, err := keys.NewLMK(pairs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Against an HSM with another LMK, the cases that depend on the LMK fail, and
// their failure details carry codes and lengths only: no hex run long enough
// to be a key, PIN block or PIN under LMK, no PAN.
func TestSuiteFailsAgainstAnotherLMKWithoutLeaking(t *testing.T) {
	_, c := startSim(t, simulator.Config{LMK: otherLMK(t)})
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Run(context.Background(), c)
	if rs.Failed < len(s.Cases)/2 {
		t.Errorf("have %d of %d cases failed; want most of them", rs.Failed, len(s.Cases))
	}
	byName := map[string]Result{}
	for _, r := range rs.Cases {
		byName[r.Name] = r
	}
	for _, name := range []string{"NC test LMK check value", "vector/CA TPK->ZPK, ISO 0 -> ISO 0", "CA ISO 0 to ISO 0, U keys", "JE then JG round trip, 4-digit PIN"} {
		if byName[name].Status != Fail {
			t.Errorf("%s: have %s want fail", name, byName[name].Status)
		}
	}
	// Cases that do not touch the LMK still pass.
	for _, name := range []string{"B2 echo text", "unknown command XX is 68"} {
		if byName[name].Status != Pass {
			t.Errorf("%s: have %s %s want pass", name, byName[name].Status, byName[name].Detail)
		}
	}
	secretish := regexp.MustCompile(`[0-9A-Fa-f]{12,}`)
	for _, r := range rs.Cases {
		if secretish.MatchString(r.Detail) {
			t.Errorf("%s: failure detail has a long hex or digit run: %q", r.Name, r.Detail)
		}
	}
}

func TestSuiteIsDeterministicPerSeed(t *testing.T) {
	a, _ := New(Options{Seed: 5})
	b, _ := New(Options{Seed: 5})
	c, _ := New(Options{Seed: 6})
	same, differ := true, false
	for i := range a.Cases {
		same = same && a.Cases[i].Name == b.Cases[i].Name && bytes.Equal(a.Cases[i].Request, b.Cases[i].Request)
		differ = differ || !bytes.Equal(a.Cases[i].Request, c.Cases[i].Request)
	}
	if !same || !differ {
		t.Errorf("same seed gives the same cases: %v; another seed gives other requests: %v", same, differ)
	}
}

func TestClearPINPolicySkip(t *testing.T) {
	_, c := startSim(t, simulator.Config{})
	s, err := New(Options{ClearPIN: ClearPINSkip})
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Run(context.Background(), c)
	n := 0
	for _, cs := range s.Cases {
		if cs.ClearPIN {
			n++
		}
	}
	if n == 0 || rs.Skipped != n || rs.Failed != 0 {
		t.Errorf("have %d skipped, %d failed; want the %d clear-PIN cases skipped and none failed", rs.Skipped, rs.Failed, n)
	}
	if _, err := ParseClearPINPolicy("sometimes"); err == nil {
		t.Error("ParseClearPINPolicy accepted an unknown policy")
	}
}

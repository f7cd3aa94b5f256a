package conformance

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// The format 48 cases pass against a simulator under the test AES
// key-block LMK, over the wire.
func TestISO4CasesAgainstKeyBlockSimulator(t *testing.T) {
	l := keys.TestAESKeyBlockLMK()
	_, c := startSim(t, simulator.Config{KeyBlockLMK: l})
	s, err := New(Options{KeyBlockLMK: l})
	if err != nil {
		t.Fatal(err)
	}
	iso4, err := ISO4Cases(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(iso4) < 60 || len(s.Cases) < len(iso4) {
		t.Errorf("have %d ISO-4 cases in a suite of %d, want at least 60", len(iso4), len(s.Cases))
	}
	cmds := map[string]int{}
	public := 0
	for _, c := range iso4 {
		cmds[c.Command]++
		if c.Source != "generated" {
			public++
		}
	}
	for _, cmd := range []string{"CA", "CC", "JE", "JG", "DC", "EC", "DA", "EA"} {
		if cmds[cmd] == 0 {
			t.Errorf("no %s case", cmd)
		}
	}
	if public < len(iso4)*3/4 {
		t.Errorf("only %d of %d ISO-4 cases name a public vector", public, len(iso4))
	}
	rs := s.Run(context.Background(), c)
	for _, r := range rs.Cases {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
	t.Logf("%d passed, %d failed", rs.Passed, rs.Failed)
}

// The cases are the same for the same seed and LMK, and fail against a
// target under another LMK (the suite really checks the answers).
func TestISO4CasesDeterministicAndDiscriminating(t *testing.T) {
	l := keys.TestAESKeyBlockLMK()
	a, err := ISO4Cases(l, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ISO4Cases(l, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d and %d cases", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Request, b[i].Request) {
			t.Fatalf("case %d differs between two runs with the same seed", i)
		}
	}

	// Another AES key-block LMK: every S key fails its MAC (A4).
	other, err := keys.NewKeyBlockLMK(mustClear(t, strings.Repeat("0123456789ABCDEF", 4)))
	if err != nil {
		t.Fatal(err)
	}
	_, c := startSim(t, simulator.Config{KeyBlockLMK: other})
	rs := (&Suite{Cases: a}).Run(context.Background(), c)
	if rs.Passed > len(a)/10 {
		t.Errorf("%d of %d cases pass against a target under another LMK", rs.Passed, len(a))
	}
}

// mustClear returns the clear key of hex h.
func mustClear(t *testing.T, h string) keys.ClearKey {
	t.Helper()
	return testvec.Make(t, h, keys.NewClearKey)
}

// Under a Triple DES key-block LMK the cases are the refusals of format 48
// and JE/JG in format 01; they pass against such a simulator.
func TestISO4CasesTDESKeyBlockLMK(t *testing.T) {
	l := keys.TestTDESKeyBlockLMK()
	_, c := startSim(t, simulator.Config{KeyBlockLMK: l})
	s, err := New(Options{KeyBlockLMK: l})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 6 {
		t.Errorf("have %d cases, want at least 6", len(s.Cases))
	}
	rs := s.Run(context.Background(), c)
	for _, r := range rs.Cases {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
}

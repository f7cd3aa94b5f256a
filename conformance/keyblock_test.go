package conformance

import (
	"context"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// TestKeyBlockSuitePassesAgainstKeyBlockSimulator runs the key-block suite
// against simulators under the two test key-block LMKs: every case passes,
// and the suite holds the import, export, round-trip and error cases the
// contract names (hostcmd-keyblocks.md §3, §6-§8).
func TestKeyBlockSuitePassesAgainstKeyBlockSimulator(t *testing.T) {
	for _, l := range []*keys.KeyBlockLMK{keys.TestAESKeyBlockLMK(), keys.TestTDESKeyBlockLMK()} {
		_, c := startSim(t, simulator.Config{KeyBlockLMK: l})
		s, err := New(Options{KeyBlockLMK: l})
		if err != nil {
			t.Fatal(err)
		}
		rs := s.Run(context.Background(), c)
		for _, r := range rs.Cases {
			if r.Status != Pass {
				t.Errorf("LMK %c: %s: %s %s", l.Algorithm(), r.Name, r.Status, r.Detail)
			}
		}
		names := make([]string, len(s.Cases))
		for i, c := range s.Cases {
			names[i] = c.Name
		}
		all := strings.Join(names, "\n")
		for _, want := range []string{"A0 generate S key", "A0 generate and export as TR-31 B", "A0 generate and export as Thales",
			"A6 import TR-31 A block", "A6 import TR-31 B block", "A6 import TR-31 C block", "A6 import Thales 0",
			"as TR-31 B", "as a Thales block", "is A4", "is A5", "is AC", "is A6", "is AA", "CI TDES DUKPT with S", "G0 TDES DUKPT with S",
			"A6 import ThalesSim A0 trace, key under ZMK scheme U", "A6 import a key under a ZMK in scheme T", "A6 import a single-length key under a ZMK"} {
			if !strings.Contains(all, want) {
				t.Errorf("LMK %c: no case named %q", l.Algorithm(), want)
			}
		}
		if l.Algorithm() == 'A' {
			for _, want := range []string{"A6 import TR-31 D block", "as TR-31 D", "A6 import Thales 1", "G0 AES DUKPT with S",
				"CC ISO 4 public block 1 (X9.24-3) to ISO 0", "CC ISO 0 (TDES ZPK) to ISO 4", "CA ISO 4 (AES TPK) to ISO 4", "CC ISO 4 block with another PAN is 20"} {
				if !strings.Contains(all, want) {
					t.Errorf("LMK A: no case named %q", want)
				}
			}
		}
		t.Logf("LMK %c: %d passed, %d failed", l.Algorithm(), rs.Passed, rs.Failed)
	}
}

// TestKeyBlockSuiteFailsAgainstTheWrongLMK: the suite is not one that
// passes whatever the target: against a variant-LMK simulator, or one under
// the other key-block LMK, most cases fail.
func TestKeyBlockSuiteFailsAgainstTheWrongLMK(t *testing.T) {
	s, err := New(Options{KeyBlockLMK: keys.TestAESKeyBlockLMK()})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []simulator.Config{{}, {KeyBlockLMK: keys.TestTDESKeyBlockLMK()}} {
		_, c := startSim(t, cfg)
		rs := s.Run(context.Background(), c)
		if rs.Failed < len(s.Cases)/2 {
			t.Errorf("against the wrong LMK: %d of %d cases failed, want most", rs.Failed, len(s.Cases))
		}
	}
}

// TestVariantSuiteExportsToTR31: the variant suite's A8 cases (variant LMK
// to TR-31) are there and pass against the variant simulator.
func TestVariantSuiteExportsToTR31(t *testing.T) {
	_, c := startSim(t, simulator.Config{})
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Select([]string{"A8"}, nil); err != nil {
		t.Fatal(err)
	}
	rs := s.Run(context.Background(), c)
	names := ""
	for _, r := range rs.Cases {
		names += r.Name + "\n"
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
	for _, want := range []string{"A8 variant ZPK scheme U as TR-31 B", "A8 variant TAK scheme T as TR-31 C", "A8 variant single-length TPK as TR-31 A", "is BB"} {
		if !strings.Contains(names, want) {
			t.Errorf("no case %q", want)
		}
	}
}

package conformance

import (
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
)

// TestMixG0FreshKSNs: --mix G0 sends TDES DUKPT translations whose KSNs
// are all distinct and valid for their descriptor (the answers are checked
// against the simulator by TestLoadItemsMatchSimulator).
func TestMixG0FreshKSNs(t *testing.T) {
	m, err := ParseMix("G0:10,CA:1")
	if err != nil {
		t.Fatal(err)
	}
	items, err := loadItems(m, 16, 11)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, it := range items["G0"] {
		req, err := hostcmd.ParseRequest(it.req)
		if err != nil {
			t.Fatal(err)
		}
		g := req.(*hostcmd.G0)
		d, _ := dukpt.ParseKSNDescriptor(g.KSNDescriptor)
		if _, err := d.ParseTDES(g.KSN); err != nil || seen[g.KSN] {
			t.Errorf("KSN %s: %v, repeated %v", g.KSN, err, seen[g.KSN])
		}
		seen[g.KSN] = true
	}
	if len(seen) != 16 {
		t.Fatalf("%d G0 requests, want 16", len(seen))
	}
}

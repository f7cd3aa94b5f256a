package pool

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// The LMK guard compares NC's check value whatever kind of LMK the HSM
// holds (docs/spec/hostcmd-keyblocks.md §1): a pool configured with the test AES
// key-block LMK's check value brings a key-block simulator up and
// quarantines a variant one.
func TestPoolGuardsAKeyBlockLMK(t *testing.T) {
	kb := startSim(t, simulator.Config{KeyBlockLMK: keys.TestAESKeyBlockLMK()})
	variant := startSim(t, simulator.Config{})
	cv := keys.TestAESKeyBlockLMK().CheckValue()
	cfg := testConfig(HSMConfig{Name: "kb", Addr: kb.Addr()}, HSMConfig{Name: "variant", Addr: variant.Addr()})
	cfg.LMKCheckValue = strings.ToUpper(hex.EncodeToString(cv[:]))
	p := newPool(t, cfg)
	waitState(t, p, "kb", Up)
	waitState(t, p, "variant", LMKMismatch)
}

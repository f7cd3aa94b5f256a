package simtest

import (
	"log/slog"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// StartSim starts a simulated HSM for one test (on 127.0.0.1:0 unless cfg
// says otherwise, its log discarded unless cfg gives a logger) and closes it
// when the test ends (ours).
func StartSim(t testing.TB, cfg simulator.Config) *simulator.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := simulator.Start(cfg)
	if err != nil {
		t.Fatalf("simulator.Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OtherLMK returns a variant LMK that is not the public test LMK, for tests
// of LMK mismatch: every byte of pair i is derived from i and odd-parity
// adjusted (ours).
func OtherLMK(t testing.TB) *keys.LMK {
	t.Helper()
	var pairs [keys.NumPairs][16]byte
	for i := range pairs {
		for j := range pairs[i] {
			pairs[i][j] = byte(i*16+j)*37 + 11
		}
		keys.AdjustParity(pairs[i][:])
	}
	lmk, err := keys.NewLMK(pairs)
	if err != nil {
		t.Fatalf("NewLMK: %v", err)
	}
	return lmk
}

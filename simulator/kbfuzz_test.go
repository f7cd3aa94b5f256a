package simulator

import (
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// FuzzExecuteKeyBlock feeds arbitrary request bodies to a simulator under
// the test AES key-block LMK and to one under the variant test LMK, seeded
// with the key-block commands (A0, A6 of every source form, A8 both ways,
// CI, G0): neither may panic, and every answer is the command's response
// code and a valid error code, with no fields after an error.
func FuzzExecuteKeyBlock(f *testing.F) {
	l := keys.TestAESKeyBlockLMK()
	zmk := sBlock(f, l, tr31.Header{KeyUsage: "K0", Algorithm: 'T', ModeOfUse: 'B'}, rsZMKClear)
	bdk := sBlock(f, l, tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'X'}, clearBDK)
	zpk := sBlock(f, l, tr31.Header{KeyUsage: "72", Algorithm: 'T', ModeOfUse: 'B'}, rsKey)
	for _, ex := range a6Examples {
		f.Add([]byte("A6FFF" + ex.zmk + "R" + ex.block + "S"))
		f.Add([]byte("A8FFF" + ex.zmk + zpk + "R%00!" + string(ex.version)))
	}
	for _, s := range []string{
		"A6FFF" + zmk + rsKeyUnderZMK + "S#72B00S01KS0800AB",
		"A6FFF" + zmk + "0123456789ABCDEF" + "S#M1C00N00",
		"A8FFF" + zmk + zpk + "S&N",
		"A01FFFS" + zmk + "R#P0T2E00E00&N!B",
		"A8001" + rsZMK + rsKeyUnderLMK + "R%00&P0B00E01KS0800AB!B",
		"CI" + bdk + zpk + "605FFFF9876543210E000011B9C1845EB993A7A01401234567890",
		"G0" + bdk + zpk + "A05FFFF9876543210E000011B9C1845EB993A7A0101401234567890",
	} {
		f.Add([]byte(s))
	}
	kb, err := NewKeyBlockHSM(l)
	if err != nil {
		f.Fatal(err)
	}
	hs := []*HSM{kb, NewHSM(nil)}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, h := range hs {
			if err := badAnswer(body, h.Execute(nil, body)); err != nil {
				t.Fatalf("%s: %v", h.LMKKind(), err)
			}
		}
	})
}

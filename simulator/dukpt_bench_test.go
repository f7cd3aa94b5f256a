package simulator

import "testing"

// BenchmarkExecuteDUKPT: one CI (TDES DUKPT, KSN with 1 counter bit) and
// one G0 in its AES form (1 counter bit) through HSM.Execute, the
// contract's vectors (docs/spec/hostcmd-dukpt.md §5). The keys stay in the
// HSM's key cache; the DUKPT derivation runs on every request.
func BenchmarkExecuteDUKPT(b *testing.B) {
	benchExecute(b, func(testing.TB) *HSM { return NewHSM(nil) }, []struct{ name, body string }{
		{"CI", "CI" + dukptBDK + dukptZPK + "605FFFF9876543210E000011B9C1845EB993A7A01401234567890"},
		{"G0-AES", "G0" + dukptAESBDK + dukptZPK2 + "018123456789012345600000001A912150391AB65A67E52883D81CE2D1548014111111111111111;"},
	})
}

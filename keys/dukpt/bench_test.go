package dukpt

import "testing"

// The derivations a DUKPT translation (CI/G0) runs per request: BDK and KSN
// to a PIN key. TDES cost grows with the counter's set bits (one
// non-reversible step, two DES key schedules, per bit); AES with the same
// (one AES key schedule per bit). The KSNs below have 1 and 10 (TDES) or 1
// and 16 (AES) bits set: the cheapest and dearest a terminal can send.
func BenchmarkDeriveTDES(b *testing.B) {
	bdk := clearKey(b, tdesBDK)
	for _, bc := range []struct{ name, ksn string }{
		{"bits=1", "FFFF9876543210E00001"},
		{"bits=10", "FFFF9876543210FFF800"},
	} {
		ksn := mustKSN(b, bc.ksn)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := DeriveTDES(bdk, ksn, VariantPIN)
				if err != nil {
					b.Fatal(err)
				}
				k.Destroy()
			}
		})
	}
}

func BenchmarkDeriveAES(b *testing.B) {
	for _, bc := range []struct{ name, bdk, ksn string }{
		{"AES128/bits=1", aes128BDK, "123456789012345600000001"},
		{"AES128/bits=16", aes128BDK, "1234567890123456FFFF0000"},
		{"AES256/bits=1", aes256BDK, "123456789012345600000001"},
		{"AES256/bits=16", aes256BDK, "1234567890123456FFFF0000"},
	} {
		bdk := clearKey(b, bc.bdk)
		ksn := mustAESKSN(b, bc.ksn)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := DeriveAES(bdk, ksn, UsagePIN, AES128)
				if err != nil {
					b.Fatal(err)
				}
				k.Destroy()
			}
		})
	}
}

func BenchmarkParseKSN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseKSN("FFFF9876543210E00015"); err != nil {
			b.Fatal(err)
		}
	}
}

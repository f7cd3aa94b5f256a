package tr31

import "testing"

// BenchmarkUnwrap unwraps one block of each version under a KBPK built once
// (the vectors A.7.2.1, A.7.2.2, A.7.4 and the CryptoCarver Thales 1 block).
func BenchmarkUnwrap(b *testing.B) {
	vf := loadVectors(b)
	for _, c := range []struct {
		name   string
		v      blockVector
		thales bool
	}{{"A", vf.TR31[0], false}, {"B", vf.TR31[1], false}, {"D", vf.TR31[4], false}, {"Thales1", vf.Thales[0], true}} {
		p := c.v.kbpk(b)
		unwrap := p.Unwrap
		if c.thales {
			unwrap = p.UnwrapThales
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, k, err := unwrap(c.v.Block)
				if err != nil {
					b.Fatal(err)
				}
				k.Destroy()
			}
		})
	}
}

// BenchmarkNewKBPK measures building a KBPK (key schedules and, for B and
// D, the CMAC derivations), the cost Unwrap(kbpk, ...) adds per call.
func BenchmarkNewKBPK(b *testing.B) {
	vf := loadVectors(b)
	for _, v := range []blockVector{vf.TR31[1], vf.TR31[4]} {
		k := clearKey(b, v.KBPK)
		alg := byte('T')
		if v.KBPKAlg == "A" {
			alg = 'A'
		}
		b.Run(string(alg), func(b *testing.B) {
			for b.Loop() {
				if _, err := NewKBPK(alg, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package emv

import (
	"testing"
)

// BenchmarkARQC measures the issuer's per-transaction work for each profile:
// derive the ICC master key from the IMK, derive the session key, compute
// and compare the ARQC (the IMK cipher is built once, outside the loop).
// Target: at most 5 µs/op (docs/performance.md).
func BenchmarkARQC(b *testing.B) {
	seen := map[string]bool{}
	for _, r := range loadVectors(b).Profiles {
		if seen[r.Profile] { // the first vector of each profile
			continue
		}
		seen[r.Profile] = true
		p := mustProfile(b, r.Profile)
		imk := block(b, r.IMK)
		atc, un := [2]byte(unhexN(b, r.ATC, 2)), [4]byte(unhexN(b, r.UN, 4))
		data, arqc := unhex(b, r.Data), [8]byte(unhexN(b, r.ARQC, 8))
		b.Run(r.Profile, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ok, err := VerifyARQC(imk, p, r.PAN, r.PSN, atc, un, data, arqc)
				if err != nil || !ok {
					b.Fatal("verification failed")
				}
			}
		})
	}
}

// BenchmarkParseTLV measures decoding a typical field 55.
func BenchmarkParseTLV(b *testing.B) {
	in := unhex(b, field55)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTLV(in); err != nil {
			b.Fatal(err)
		}
	}
}

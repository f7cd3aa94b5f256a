package pin

import (
	"testing"
)

// BenchmarkTranslate measures Translate with the ciphers built outside the
// loop and a reused dst. Target (ours): ISO0toISO0 0 allocs and at most
// 1 µs/op on the 2-core development machine.
func BenchmarkTranslate(b *testing.B) {
	const account = "123456789012"
	pan := testPAN
	p := mustPIN(b, "1234")
	k1 := newKey(b, tdesKeyHex, false)
	k2 := newKey(b, tdesKey2Hex, false)
	a1 := newKey(b, aesKeyHex, true)
	a2 := newKey(b, aesKey2Hex, true)
	panAccount, _ := AccountFromPAN(pan)
	cases := []struct {
		name     string
		from, to Format
		fk, tk   any
	}{
		{"ISO0toISO0", ISO0, ISO0, k1, k2},
		{"ISO0toISO3", ISO0, ISO3, k1, k2},
		{"ISO3toISO0", ISO3, ISO0, k1, k2},
		{"ISO0toIBM3624", ISO0, IBM3624, k1, k2},
		{"ISO0toISO4", ISO0, ISO4, k1, a2},
		{"ISO4toISO0", ISO4, ISO0, a1, k2},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			from, to := k1, k2
			if c.from == ISO4 {
				from = a1
			}
			if c.to == ISO4 {
				to = a2
			}
			acct := account
			srcAcct := account
			if c.from == ISO4 || c.to == ISO4 {
				acct = pan
				srcAcct = panAccount
				if c.from == ISO4 {
					srcAcct = pan
				}
			}
			src, err := EncryptBlock(nil, from, c.from, p, srcAcct, nil)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]byte, 0, 32)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _, err = Translate(dst[:0], src, from, c.from, to, c.to, acct, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPVV(b *testing.B) {
	pvk := newKey(b, tdesKey2Hex, false)
	p := mustPIN(b, "4524")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PVV(pvk, "112233445566", 1, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOffset(b *testing.B) {
	pvk := newKey(b, "0123456789ABCDEF", false)
	table, _ := ParseDecTable("0123456789012345")
	p := mustPIN(b, "1234")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := VerifyOffset(pvk, "5500000253225321", table, 4, "9708FFFFFFFF", p); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDecodeBlock(b *testing.B) {
	block := unhex(b, "041261AAAAEDCBA9")
	b.SetBytes(int64(len(block)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBlock(ISO0, block, "555555123456"); err != nil {
			b.Fatal(err)
		}
	}
}

package card

import "testing"

// BenchmarkCVV measures one CVV generation with a prepared CVK (the CW
// path after the CVK is decrypted and cached).
func BenchmarkCVV(b *testing.B) {
	k := newCVK(b, "0123456789ABCDEFFEDCBA9876543210")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Generate("4123456789012345", "8701", "101"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCVVVerify measures one CVV verification (the CY path).
func BenchmarkCVVVerify(b *testing.B) {
	k := newCVK(b, "0123456789ABCDEFFEDCBA9876543210")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := k.Verify("4123456789012345", "8701", "101", "561"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkNewCVK measures building the two DES key schedules of a CVK,
// the cost a caller pays per command when it does not cache CVKs.
func BenchmarkNewCVK(b *testing.B) {
	key := unhex(b, "0123456789ABCDEFFEDCBA9876543210")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCVK(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCAVV measures the REST CAVV path without the HSM: decode
// base64, parse the 20 bytes, verify the output.
func BenchmarkVerifyCAVV(b *testing.B) {
	k := newCVK(b, "0123456789ABCDEFFEDCBA9876543210")
	b.ReportAllocs()
	for b.Loop() {
		raw, err := DecodeCAVV("BwABCXJ5k5YCIxA0cnmTAAAAAAA=")
		if err != nil {
			b.Fatal(err)
		}
		c, err := ParseCAVV(raw)
		if err != nil {
			b.Fatal(err)
		}
		if ok, err := k.VerifyCAVV("4123456789012345", c); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkParseCAVV measures unpacking a raw CAVV.
func BenchmarkParseCAVV(b *testing.B) {
	raw := unhex(b, goCAVV)
	b.SetBytes(CAVVLen)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCAVV(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAAVHMAC measures an SPA AAV HMAC-SHA-1 check.
func BenchmarkVerifyAAVHMAC(b *testing.B) {
	key := unhex(b, "0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B")
	a, err := ParseAAV(unhex(b, "8C7CA7FBB6058B511401110000002F3547BA1EFF"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := VerifyAAVHMAC(key, "5432109876543210", a); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

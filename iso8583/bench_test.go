package iso8583

import "testing"

// Pack and Unpack of a typical authorisation request (authMessage: 12
// fields, secondary bitmap, 35-byte field 55) with each shipped spec.

func BenchmarkPack(b *testing.B) {
	for _, name := range Names() {
		s, _ := Lookup(name)
		m := authMessage()
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = m.AppendPack(buf[:0], s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnpack(b *testing.B) {
	for _, name := range Names() {
		s, _ := Lookup(name)
		raw, err := authMessage().Pack(s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Unpack(s, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

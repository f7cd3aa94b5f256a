package simulator

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkExecuteDUKPTVerify: the GO, GQ and GW vectors of
// testdata/dukptverify.json that verify (docs/spec/hostcmd-dukpt.md §10),
// each through HSM.Execute. The keys stay in the HSM's key cache; the
// DUKPT derivation runs on every request.
func BenchmarkExecuteDUKPTVerify(b *testing.B) {
	raw, err := os.ReadFile("testdata/dukptverify.json")
	if err != nil {
		b.Fatal(err)
	}
	var f struct {
		Vectors []struct{ Name, Request, Response string }
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ sub, name string }{
		{"GQ-TDES", "GQ TDES, KSN E00001, PVV verifies"},
		{"GO-TDES", "GO TDES, KSN E00002, offset verifies"},
		{"GQ-AES", "GQ AES, counter 1, PVV verifies"},
		{"GW-TDES", "GW TDES, request MAC, 8H"},
		{"GW-AES", "GW AES, request CMAC, 16H"},
	} {
		var body []byte
		for _, v := range f.Vectors {
			if v.Name == bc.name && v.Response[2:] == "00" {
				body = []byte(v.Request)
			}
		}
		if body == nil {
			b.Fatalf("no verifying vector %q", bc.name)
		}
		h := NewHSM(nil)
		dst := make([]byte, 0, 64)
		b.Run(bc.sub, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = h.Execute(dst[:0], body)
				if string(dst[2:4]) != "00" {
					b.Fatalf("answer %q", dst)
				}
			}
		})
	}
}

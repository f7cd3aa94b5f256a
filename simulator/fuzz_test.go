package simulator

import (
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// FuzzExecute feeds arbitrary request bodies to HSM.Execute, seeded with
// every testdata vector: it must never panic, and every answer must be a
// response body: the command's response code, a valid error code, and
// nothing after an error code other than 00 but the echoed trailer.
func FuzzExecute(f *testing.F) {
	for _, v := range allVectors(f) {
		f.Add(v.request(f))
	}
	for _, s := range []string{"", "N", "NC", "NC%00\x19t", "ZZ", "B2FFFF", "KQ", "KW3", "M6", "BAF", "NG"} {
		f.Add([]byte(s))
	}
	h := NewHSM(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := h.Execute(nil, body)
		if len(resp) < 4 {
			t.Fatalf("answer %q shorter than response and error codes", resp)
		}
		if len(body) >= 2 {
			rc := hostcmd.ResponseCode([2]byte{body[0], body[1]})
			if resp[0] != rc[0] || resp[1] != rc[1] {
				t.Fatalf("answer code %q for command %q", resp[:2], body[:2])
			}
		}
		code := hostcmd.Code(resp[2:4])
		if !code.Valid() {
			t.Fatalf("invalid error code %q", resp[2:4])
		}
		if code != hostcmd.OK && len(resp) > 4 && resp[4] != 0x19 {
			t.Fatalf("error %s answer carries fields", code)
		}
		if len(resp) > hostcmd.MaxFrameLen {
			t.Fatalf("answer of %d bytes", len(resp))
		}
	})
}

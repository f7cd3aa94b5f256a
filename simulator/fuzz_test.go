package simulator

import "testing"

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
		if err := badAnswer(body, h.Execute(nil, body)); err != nil {
			t.Fatal(err)
		}
	})
}

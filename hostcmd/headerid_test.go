package hostcmd

import "testing"

// Any header decodes without a panic, and every id written decodes back to
// itself.
func FuzzHeaderID(f *testing.F) {
	for _, s := range []string{"0000", "000z", "zzzz", "00A0", "-1..", "", "0", "zzzzzzzzzzzzzzzz"} {
		f.Add([]byte(s), uint64(len(s)*7919))
	}
	f.Fuzz(func(t *testing.T, h []byte, id uint64) {
		if len(h) > MaxHeaderLen {
			h = h[:MaxHeaderLen]
		}
		ids := NewHeaderIDs(len(h))
		if got, ok := ids.ID(h); ok {
			back := make([]byte, len(h))
			ids.Put(back, got)
			if string(back) != string(h) {
				t.Errorf("header %q decodes to %d, which encodes as %q", h, got, back)
			}
		}
		id %= ids.Space()
		buf := make([]byte, len(h))
		ids.Put(buf, id)
		if got, ok := ids.ID(buf); !ok || got != id {
			t.Errorf("id %d encodes as %q, decodes to %d, %v", id, buf, got, ok)
		}
	})
}

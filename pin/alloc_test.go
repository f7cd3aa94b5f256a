//go:build !race

package pin

import "testing"

// Translate and DecodeBlock do not allocate when dst has room (the race
// detector allocates on its own, hence the build tag).
func TestHotPathsDoNotAllocate(t *testing.T) {
	k1, k2 := newKey(t, tdesKeyHex, false), newKey(t, tdesKey2Hex, false)
	const acct = "123456789012"
	src, err := EncryptBlock(nil, k1, ISO0, mustPIN(t, "1234"), acct, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 16)
	for _, to := range []Format{ISO0, ISO1, ISO2, ISO3, IBM3624} {
		allocs := testing.AllocsPerRun(100, func() {
			dst, _, err = Translate(dst[:0], src, k1, ISO0, k2, to, acct, nil)
		})
		if err != nil || allocs != 0 {
			t.Errorf("Translate ISO0 to %v: %v allocs, %v", to, allocs, err)
		}
	}
	block := []byte{0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	if allocs := testing.AllocsPerRun(100, func() { _, err = DecodeBlock(ISO2, block, "") }); err != nil || allocs != 0 {
		t.Errorf("DecodeBlock: %v allocs, %v", allocs, err)
	}
}

package pin

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodePINBlock decodes arbitrary bytes as every format. It checks that
// decoding never panics, that failures wrap a sentinel, and that an accepted
// block re-encodes to a block that decodes to the same PIN (and, for the
// formats without random fill, to the very same block). Deciphering and
// translating the input must not panic either. Seeds: testdata/pinblock.json.
func FuzzDecodePINBlock(f *testing.F) {
	var vs blockVectors
	loadJSON(f, "pinblock.json", &vs)
	for _, list := range [][]blockVector{vs.Cases, vs.Invalid} {
		for _, v := range list {
			fm := mustFormat(f, v.Format)
			acct := accountArg(f, fm, v.Account, v.PAN)
			for _, b := range []string{v.Clear, v.Decode, v.PINField, v.Encrypted} {
				if b != "" {
					f.Add(unhex(f, b), acct)
				}
			}
		}
	}
	f.Add(unhex(f, "1234FFFFFFFFFFFF"), "")
	f.Add(unhex(f, "123456789012FFFF"), "")

	tdesKey := newKey(f, tdesKeyHex, false)
	aesKey := newKey(f, aesKeyHex, true)
	f.Fuzz(func(t *testing.T, block []byte, account string) {
		for _, fm := range allFormats {
			p, err := DecodeBlock(fm, block, account)
			if err != nil {
				checkSentinel(t, err)
			} else {
				if p.Len() < MinLen || p.Len() > MaxLen {
					t.Fatalf("%v: accepted PIN of %d digits", fm, p.Len())
				}
				out, err := EncodeBlock(nil, fm, p, account, fixedRand(0x3C, 0xA7))
				if err != nil {
					t.Fatalf("%v: re-encoding an accepted PIN: %v", fm, err)
				}
				q, err := DecodeBlock(fm, out, account)
				if err != nil || !q.Equal(p) {
					t.Fatalf("%v: re-encoded block decodes to another PIN: %v", fm, err)
				}
				if !needsRandom(fm) && !bytes.Equal(out, block) {
					t.Fatalf("%v: re-encoding gives %X, input was %X", fm, out, block)
				}
			}
			key := tdesKey
			if fm == ISO4 {
				key = aesKey
			}
			if _, err := DecryptBlock(key, fm, block, account); err != nil {
				checkSentinel(t, err)
			}
			if _, _, err := Translate(nil, block, key, fm, tdesKey, ISO1, account, fixedRand(1)); err != nil {
				checkSentinel(t, err)
			}
		}
	})
}

func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			if !strings.HasPrefix(err.Error(), "pin: ") {
				t.Fatalf("error %q does not start with \"pin: \"", err)
			}
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

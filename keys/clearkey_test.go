package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/testlog"
)

func TestNewClearKeyLengths(t *testing.T) {
	for n := range 40 {
		_, err := NewClearKey(make([]byte, n))
		valid := n == 8 || n == 16 || n == 24 || n == 32
		if valid != (err == nil) {
			t.Errorf("NewClearKey(%d bytes): err %v, want valid=%v", n, err, valid)
		}
		if err != nil && !errors.Is(err, ErrKeyLength) {
			t.Errorf("NewClearKey(%d bytes): err %v, want ErrKeyLength", n, err)
		}
	}
}

func TestClearKeyCopiesAndDestroys(t *testing.T) {
	b := []byte("0123456789abcdef")
	k, err := NewClearKey(b)
	if err != nil {
		t.Fatal(err)
	}
	b[0] = 'X'
	if k.Bytes()[0] != '0' {
		t.Error("NewClearKey did not copy its input")
	}
	if k.Len() != 16 || len(k.Bytes()) != 16 || cap(k.Bytes()) != 16 {
		t.Errorf("Len %d, len(Bytes) %d, cap %d, want 16", k.Len(), len(k.Bytes()), cap(k.Bytes()))
	}
	alias := k.Bytes()
	cp := k
	k.Destroy()
	if k.Len() != 0 || cp.Len() != 0 || len(cp.Bytes()) != 0 {
		t.Errorf("after Destroy: Len %d, copy Len %d, want 0", k.Len(), cp.Len())
	}
	if !bytes.Equal(alias, make([]byte, 16)) {
		t.Errorf("Destroy did not zero the key bytes")
	}
	var zero ClearKey
	zero.Destroy() // must not panic
	if zero.Len() != 0 || zero.Bytes() != nil {
		t.Error("zero ClearKey is not empty")
	}
}

func TestGenerateKey(t *testing.T) {
	for _, s := range []Scheme{SchemeSingle, SchemeU, SchemeT, SchemeX, SchemeY, SchemePair} {
		a, err := GenerateKey(s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := GenerateKey(s)
		if a.Len() != s.KeyLen() || !CheckParity(a.Bytes()) {
			t.Errorf("GenerateKey(%s): %d bytes, parity %v", s, a.Len(), CheckParity(a.Bytes()))
		}
		if bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("GenerateKey(%s) returned the same key twice", s)
		}
	}
	if _, err := GenerateKey(Scheme('Q')); !errors.Is(err, ErrScheme) {
		t.Errorf("GenerateKey(invalid): err %v, want ErrScheme", err)
	}
}

// leaks returns the first representation of secret found in out, or "".
// It looks for every fmt verb's rendering of 4-byte windows of secret (so
// "35 69 103 137", "43 105 147 211", "0x23, 0x45", "23456789" ...), the raw
// bytes and base64.
func leaks(out string, secret []byte) string {
	var reps []string
	for off := 0; off+4 <= len(secret); off += 3 {
		w := secret[off : off+4]
		for _, verb := range []string{"%d", "%o", "%b", "%x", "%X", "% x", "%#v", "%c", "%U", "%q", "%s"} {
			r := fmt.Sprintf(verb, w)
			r = strings.TrimPrefix(r, "[]byte{")
			r = strings.Trim(r, "[]{}\"")
			reps = append(reps, r)
		}
	}
	reps = append(reps, base64.StdEncoding.EncodeToString(secret)[:8])
	for _, r := range reps {
		if len(r) >= 4 && strings.Contains(out, r) {
			return r
		}
	}
	return ""
}

// TestClearKeyNeverLeaks formats, logs and marshals a ClearKey in every way
// we could think of, alone and inside other values, and looks for the key.
func TestClearKeyNeverLeaks(t *testing.T) {
	secret := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}
	secret = append(secret, []byte("PLAINTEXTKEYabcd")...) // printable too, so %s would show it
	k, err := NewClearKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	type exported struct {
		Name string
		Key  ClearKey
	}
	type unexported struct {
		name string
		key  ClearKey
	}
	type pointer struct{ K *ClearKey }
	values := map[string]any{
		"value":      k,
		"pointer":    &k,
		"exported":   exported{"zpk", k},
		"unexported": unexported{"zpk", k},
		"ptrfield":   pointer{&k},
		"slice":      []ClearKey{k, k},
		"map":        map[string]ClearKey{"k": k},
		"iface":      []any{k},
	}
	for name, v := range values {
		for _, out := range append(testlog.Renderings(t, v), fmt.Sprintf("%T", v)) {
			if r := leaks(out, secret); r != "" {
				t.Errorf("%s leaks the key (%q) in %q", name, r, out)
			}
		}
	}
	// The direct forms print the placeholder itself.
	for _, out := range []string{k.String(), k.GoString(), fmt.Sprintf("%x", k), k.LogValue().String()} {
		if out != redact.Placeholder {
			t.Errorf("have %q, want %q", out, redact.Placeholder)
		}
	}
	if j, _ := json.Marshal(k); string(j) != `"`+redact.Placeholder+`"` {
		t.Errorf("json.Marshal: have %s", j)
	}
}

// TestLMKNeverLeaks prints an LMK the same ways; its pairs and key
// schedules must not appear.
func TestLMKNeverLeaks(t *testing.T) {
	l := TestLMK()
	type holder struct {
		LMK *LMK
		lmk *LMK
		val LMK
	}
	values := map[string]any{"pointer": l, "value": *l, "struct": holder{l, l, *l}, "ptrstruct": &holder{l, l, *l}}
	// The distinctive halves of the test LMK: 7902CD1FD36EF8BA (00-01 right)
	// and 1C587F1C13924FEF (16-17 left).
	secret := append(l.s.raw[0][8:16:16], l.s.raw[8][:8]...)
	for name, v := range values {
		for _, out := range testlog.Renderings(t, v) {
			if r := leaks(out, secret); r != "" {
				t.Errorf("%s prints LMK material: %q", name, out)
			}
		}
	}
}

package keys

import (
	"bytes"
	"crypto/des"
	"errors"
	"strings"
	"sync"
	"testing"
)

var allSchemes = []Scheme{SchemeSingle, SchemeU, SchemeT, SchemeX, SchemeY, SchemePair}

var someKeyTypes = []KeyType{ZMK, ZPK, TPK, TAK, ZAK, BDK, MKAC, MKSMI, MKSMC, MKCVC3, ZEK, DEK, CVK, HMACKey, {9, 0x0E}, {5, 0x04}}

func TestRoundTripEveryScheme(t *testing.T) {
	l := TestLMK()
	for _, s := range allSchemes {
		for _, kt := range someKeyTypes {
			for range 4 {
				k, err := GenerateKey(s)
				if err != nil {
					t.Fatal(err)
				}
				ct, err := l.Encrypt(kt, s, k)
				if err != nil {
					t.Fatalf("Encrypt(%s, %s): %v", kt, s, err)
				}
				if len(ct) != s.KeyLen() {
					t.Fatalf("Encrypt(%s, %s): %d bytes", kt, s, len(ct))
				}
				if bytes.Equal(ct, k.Bytes()) {
					t.Fatalf("Encrypt(%s, %s) returned the clear key", kt, s)
				}
				back, err := l.Decrypt(kt, s, ct)
				if err != nil {
					t.Fatalf("Decrypt(%s, %s): %v", kt, s, err)
				}
				if !bytes.Equal(back.Bytes(), k.Bytes()) {
					t.Fatalf("round trip %s/%s: key changed", kt, s)
				}
			}
		}
	}
}

// TestSchemeStructure checks the relations between schemes that the
// algorithm implies: X, Y and bare pairs are the single-key ECB of each
// 8-byte part, while U and T use a different variant per part.
func TestSchemeStructure(t *testing.T) {
	l := TestLMK()
	k := mustKey(t, "0123456789ABCDEFFEDCBA98765432101A2B3C4D5E6F7080")
	parts := make([][]byte, 3)
	for i := range parts {
		part := mustKey(t, hexOf(k.Bytes()[8*i:8*i+8]))
		ct, err := l.Encrypt(PVK, SchemeSingle, part)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = ct
	}
	double := mustKey(t, hexOf(k.Bytes()[:16]))
	x, _ := l.Encrypt(PVK, SchemeX, double)
	pair, _ := l.Encrypt(PVK, SchemePair, double)
	y, _ := l.Encrypt(PVK, SchemeY, k)
	u, _ := l.Encrypt(PVK, SchemeU, double)
	tt, _ := l.Encrypt(PVK, SchemeT, k)
	ecb2 := append(append([]byte{}, parts[0]...), parts[1]...)
	ecb3 := append(append([]byte{}, ecb2...), parts[2]...)
	if !bytes.Equal(x, ecb2) || !bytes.Equal(pair, ecb2) || !bytes.Equal(y, ecb3) {
		t.Errorf("X/pair/Y are not per-part single-key ECB")
	}
	if bytes.Equal(u[:8], parts[0]) || bytes.Equal(u[8:], parts[1]) || bytes.Equal(tt[:8], parts[0]) || bytes.Equal(u[:8], tt[:8]) {
		t.Errorf("U/T parts are not under their own scheme variants")
	}
}

func hexOf(b []byte) string {
	const h = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

// TestKeyTypesAreSeparated wraps one key as every key type: cryptograms
// differ unless the two types share a variant and their LMK pairs hold the
// same value (the test LMK's 18-19 and 38-39 are both 01..01), and
// unwrapping as another type does not give the key back.
func TestKeyTypesAreSeparated(t *testing.T) {
	l := TestLMK()
	k := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	seen := map[string]KeyType{}
	for v := byte(0); v <= 9; v++ {
		for pc := byte(0); pc <= 0x0E; pc++ {
			kt := KeyType{v, pc}
			ct, err := l.Encrypt(kt, SchemeU, k)
			if err != nil {
				t.Fatal(err)
			}
			if other, ok := seen[string(ct)]; ok {
				samePair := l.s.raw[kt.LMKPair()] == l.s.raw[other.LMKPair()]
				if !samePair || other.Variant != kt.Variant {
					t.Errorf("key types %s and %s give the same cryptogram", kt, other)
				}
			}
			seen[string(ct)] = kt
		}
	}
	if len(seen) != 140 {
		t.Errorf("%d distinct cryptograms for 150 key types, want 140 (10 shared by 04/0E)", len(seen))
	}
	ct, _ := l.Encrypt(ZPK, SchemeU, k)
	back, err := l.Decrypt(TPK, SchemeU, ct)
	if err == nil && bytes.Equal(back.Bytes(), k.Bytes()) {
		t.Errorf("a ZPK unwraps as a TPK")
	}
}

// TestDecryptParityError builds cryptograms of keys with even-parity bytes
// (bypassing Encrypt's parity adjustment) and checks that Decrypt refuses
// them with ErrParity, without the key in the message.
func TestDecryptParityError(t *testing.T) {
	l := TestLMK()
	bad := unhex(t, "0123456789ABCDEFFEDCBA98765432100123456789ABCDEF")
	bad[5] ^= 1 // AB -> AA: even parity
	for _, s := range allSchemes {
		for _, kt := range []KeyType{ZPK, TPK, CVK, MKAC} {
			ct := append([]byte(nil), bad[:s.KeyLen()]...)
			vc, _ := l.ciphers(kt)
			vc.apply(s, ct, false)
			k, err := l.Decrypt(kt, s, ct)
			if !errors.Is(err, ErrParity) {
				t.Fatalf("Decrypt(%s, %s) of an even-parity key: err %v, want ErrParity", kt, s, err)
			}
			if k.Len() != 0 {
				t.Errorf("Decrypt returned a key with the parity error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "keys: ") || strings.Count(msg, "keys:") != 1 || !strings.Contains(msg, kt.String()) {
				t.Errorf("error message %q", msg)
			}
			if strings.Contains(strings.ToUpper(msg), hexOf(ct[:4])) || strings.Contains(strings.ToUpper(msg), "ABCD") {
				t.Errorf("error message %q carries key material", msg)
			}
		}
	}
}

func TestEncryptDecryptErrors(t *testing.T) {
	l := TestLMK()
	double := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	for _, s := range allSchemes {
		if s.KeyLen() == 16 {
			continue
		}
		if _, err := l.Encrypt(ZPK, s, double); !errors.Is(err, ErrKeyLength) {
			t.Errorf("Encrypt(16-byte key, %s): err %v, want ErrKeyLength", s, err)
		}
	}
	if _, err := l.Encrypt(ZPK, SchemeU, ClearKey{}); !errors.Is(err, ErrKeyLength) {
		t.Errorf("Encrypt(zero ClearKey): err %v, want ErrKeyLength", err)
	}
	aes32 := mustKey(t, strings.Repeat("01", 32))
	if _, err := l.Encrypt(ZPK, SchemeT, aes32); !errors.Is(err, ErrKeyLength) {
		t.Errorf("Encrypt(32-byte key): err %v, want ErrKeyLength", err)
	}
	for _, s := range []Scheme{0, 'S', 'u'} {
		if _, err := l.Encrypt(ZPK, s, double); !errors.Is(err, ErrScheme) {
			t.Errorf("Encrypt(scheme %q): err %v, want ErrScheme", byte(s), err)
		}
		if _, err := l.Decrypt(ZPK, s, make([]byte, 16)); !errors.Is(err, ErrScheme) {
			t.Errorf("Decrypt(scheme %q): err %v, want ErrScheme", byte(s), err)
		}
	}
	for _, s := range allSchemes {
		for _, n := range []int{0, 7, 9, 15, 17, 23, 25, 32} {
			if n == s.KeyLen() {
				continue
			}
			if _, err := l.Decrypt(ZPK, s, make([]byte, n)); !errors.Is(err, ErrKeyLength) {
				t.Errorf("Decrypt(%d bytes, %s): err %v, want ErrKeyLength", n, s, err)
			}
		}
	}
}

func TestLMKCheckValueAndPair(t *testing.T) {
	l := TestLMK()
	if TestLMK() != l {
		t.Error("TestLMK returns a new LMK each call")
	}
	// The check value is pair 00-01 (ours), computed here with crypto/des
	// directly from the public pair, plus the OpenSSL-computed constant in
	// testdata/thales_lmk.json (TestThalesLMKVectors).
	k := unhex(t, "0101010101010101 7902CD1FD36EF8BA 0101010101010101")
	c, err := des.NewTripleDESCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	var want [8]byte
	c.Encrypt(want[:], want[:])
	if have := l.CheckValue(); have != want {
		t.Errorf("CheckValue: have %X, want %X", have, want)
	}
	// Pair(9) is 18-19 = 0101..01 0101..01: single DES under 0101010101010101.
	d, _ := des.NewCipher(unhex(t, "0101010101010101"))
	src := unhex(t, "4012345678901234")
	var a, b [8]byte
	l.Pair(9).Encrypt(a[:], src)
	d.Encrypt(b[:], src)
	if a != b {
		t.Errorf("Pair(9) (18-19): have %X, want %X", a, b)
	}
	var p0 [8]byte
	l.Pair(0).Encrypt(p0[:], make([]byte, 8))
	if p0 != want {
		t.Errorf("Pair(0) is not pair 00-01")
	}
	for _, i := range []int{-1, NumPairs} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Pair(%d) did not panic", i)
				}
			}()
			l.Pair(i)
		}()
	}
}

func TestNewLMKRejectsParity(t *testing.T) {
	var pairs [NumPairs][16]byte
	for i := range pairs {
		for j := range pairs[i] {
			pairs[i][j] = 0x01
		}
	}
	if _, err := NewLMK(pairs); err != nil {
		t.Fatalf("NewLMK(all 01): %v", err)
	}
	pairs[7][12] = 0x03
	_, err := NewLMK(pairs)
	if !errors.Is(err, ErrParity) || !strings.Contains(err.Error(), "14-15") || !strings.HasPrefix(err.Error(), "keys: ") {
		t.Errorf("NewLMK with a bad pair 14-15: err %v", err)
	}
}

// TestConcurrentUse runs wrapping, unwrapping and PIN encryption from many
// goroutines on one LMK (meaningful under -race).
func TestConcurrentUse(t *testing.T) {
	l := TestLMK()
	k := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	want, _ := l.Encrypt(TPK, SchemeU, k)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ct, err := l.Encrypt(TPK, SchemeU, k)
				if err != nil || !bytes.Equal(ct, want) {
					errs <- errors.New("Encrypt differs under concurrency")
					return
				}
				back, err := l.Decrypt(TPK, SchemeU, ct)
				if err != nil || !bytes.Equal(back.Bytes(), k.Bytes()) {
					errs <- errors.New("Decrypt differs under concurrency")
					return
				}
				enc, err := l.EncryptPIN([]byte("1234"), "550000025321")
				if err != nil {
					errs <- err
					return
				}
				if pin, err := l.DecryptPIN(enc, "550000025321"); err != nil || string(pin) != "1234" {
					errs <- errors.New("PIN round trip differs under concurrency")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

package mac

import (
	"crypto/des"
	"math/rand/v2"
	"testing"
)

// TestTDESMatchesCryptoDES checks the table-driven DES behind Retail bit for
// bit against crypto/des on random keys and blocks, both directions.
func TestTDESMatchesCryptoDES(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key, src := make([]byte, 24), make([]byte, 8)
	have, want := make([]byte, 8), make([]byte, 8)
	for i := range 2000 {
		for j := range key {
			key[j] = byte(rng.Uint32())
		}
		for j := range src {
			src[j] = byte(rng.Uint32())
		}
		copy(key[16:], key[:8])
		ref, err := des.NewTripleDESCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRetail(key[:16])
		if err != nil {
			t.Fatal(err)
		}
		r.Block().Encrypt(have, src)
		ref.Encrypt(want, src)
		if !Equal(have, want) {
			t.Fatalf("case %d encrypt: have %X, want %X", i, have, want)
		}
		r.Block().Decrypt(have, src)
		ref.Decrypt(want, src)
		if !Equal(have, want) {
			t.Fatalf("case %d decrypt: have %X, want %X", i, have, want)
		}
		// Single DES: the same key in both halves.
		single, _ := des.NewCipher(key[:8])
		copy(key[8:16], key[:8])
		r2, _ := NewRetail(key[:16])
		r2.Block().Encrypt(have, src)
		single.Encrypt(want, src)
		if !Equal(have, want) {
			t.Fatalf("case %d single DES: have %X, want %X", i, have, want)
		}
	}
}

// TestRetailMatchesReference checks Retail.MAC against alg3Ref over every
// message length 0..40 and all three paddings.
func TestRetailMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	key := make([]byte, 16)
	msg := make([]byte, 40)
	for j := range key {
		key[j] = byte(rng.Uint32())
	}
	for j := range msg {
		msg[j] = byte(rng.Uint32())
	}
	r, err := NewRetail(key)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(msg) + 1 {
		for _, p := range []Padding{PaddingNone, PaddingMethod1, PaddingMethod2} {
			if p == PaddingNone && (n == 0 || n%8 != 0) {
				continue
			}
			have, err := r.MAC(nil, msg[:n], p)
			if err != nil {
				t.Fatal(err)
			}
			if want := alg3Ref(t, key, msg[:n], p); !Equal(have, want) {
				t.Errorf("len %d %v: have %X, want %X", n, p, have, want)
			}
		}
	}
}

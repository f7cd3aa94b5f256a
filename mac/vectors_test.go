package mac

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// vector is one row of testdata/vectors.json; each row names its source.
type vector struct {
	Source  string `json:"source"`
	Cipher  string `json:"cipher"`
	Key     string `json:"key"`
	IV      string `json:"iv"`
	Hex     string `json:"hex"`
	Msg     string `json:"msg"`
	ASCII   string `json:"ascii"`
	Padding int    `json:"padding"`
	MAC     string `json:"mac"`
	K1      string `json:"k1"`
	K2      string `json:"k2"`
	Plain   string `json:"plain"`
	Out     string `json:"cipher_out"`
}

type vectorFile struct {
	Retail      []vector `json:"retail"`
	CMAC        []vector `json:"cmac"`
	CMACSubkeys []vector `json:"cmac_subkeys"`
	HMACSHA256  []vector `json:"hmac_sha256"`
	HMACSHA1    []vector `json:"hmac_sha1"`
	Alg1        []vector `json:"alg1"`
	DES         []struct {
		Source, Key, Plain, Cipher string
	} `json:"des"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var v vectorFile
	testvec.LoadJSON(t, "testdata/vectors.json", &v)
	if len(v.Retail) == 0 || len(v.CMAC) == 0 || len(v.HMACSHA256) == 0 || len(v.Alg1) == 0 || len(v.DES) == 0 {
		t.Fatal("testdata/vectors.json: a group is empty")
	}
	return &v
}

func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

// message returns the row's message from whichever of ascii, hex or msg it uses.
func (v vector) message(t testing.TB) []byte {
	switch {
	case v.ASCII != "":
		return []byte(v.ASCII)
	case v.Hex != "":
		return unhex(t, v.Hex)
	}
	return unhex(t, v.Msg)
}

func newBlock(t testing.TB, name string, key []byte) cipher.Block {
	t.Helper()
	var b cipher.Block
	var err error
	switch name {
	case "AES":
		b, err = aes.NewCipher(key)
	case "TDES", "DES":
		b, err = tdes.New(key)
	default:
		t.Fatalf("unknown cipher %q", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRetailVectors(t *testing.T) {
	for _, v := range loadVectors(t).Retail {
		t.Run(v.Source, func(t *testing.T) {
			want := unhex(t, v.MAC)
			r, err := NewRetail(unhex(t, v.Key))
			if err != nil {
				t.Fatal(err)
			}
			have, err := r.MAC(nil, v.message(t), Padding(v.Padding))
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(have[:len(want)], want) {
				t.Errorf("MAC: have %X, want %X", have[:len(want)], want)
			}
			one, err := Alg3(unhex(t, v.Key), v.message(t), Padding(v.Padding))
			if err != nil || !Equal(one, have) {
				t.Errorf("Alg3: have %X (%v), want %X", one, err, have)
			}
			ok, err := r.Verify(v.message(t), Padding(v.Padding), want)
			if err != nil || !ok {
				t.Errorf("Verify(right MAC) = %v, %v; want true", ok, err)
			}
			bad := append([]byte(nil), want...)
			bad[len(bad)-1] ^= 1
			if ok, _ := r.Verify(v.message(t), Padding(v.Padding), bad); ok {
				t.Error("Verify accepted a MAC with one bit flipped")
			}
		})
	}
}

func TestCMACVectors(t *testing.T) {
	for _, v := range loadVectors(t).CMAC {
		t.Run(v.Source, func(t *testing.T) {
			b := newBlock(t, v.Cipher, unhex(t, v.Key))
			have, want := CMAC(b, v.message(t)), unhex(t, v.MAC)
			if !Equal(have, want) {
				t.Errorf("have %X, want %X", have, want)
			}
		})
	}
}

func TestCMACSubkeys(t *testing.T) {
	for _, v := range loadVectors(t).CMACSubkeys {
		t.Run(v.Source, func(t *testing.T) {
			b := newBlock(t, v.Cipher, unhex(t, v.Key))
			k := make([]byte, b.BlockSize())
			b.Encrypt(k, k)
			subkey(k, 0x87)
			if want := unhex(t, v.K1); !Equal(k, want) {
				t.Errorf("K1: have %X, want %X", k, want)
			}
			subkey(k, 0x87)
			if want := unhex(t, v.K2); !Equal(k, want) {
				t.Errorf("K2: have %X, want %X", k, want)
			}
		})
	}
}

func TestHMACVectors(t *testing.T) {
	vf := loadVectors(t)
	for _, g := range []struct {
		name string
		rows []vector
		f    func(key, msg []byte) []byte
	}{
		{"sha256", vf.HMACSHA256, HMACSHA256},
		{"sha1", vf.HMACSHA1, HMACSHA1},
	} {
		for _, v := range g.rows {
			t.Run(g.name+"/"+v.Source, func(t *testing.T) {
				have, want := g.f(unhex(t, v.Key), v.message(t)), unhex(t, v.MAC)
				if !Equal(have, want) {
					t.Errorf("have %x, want %x", have, want)
				}
			})
		}
	}
}

func TestAlg1Vectors(t *testing.T) {
	for _, v := range loadVectors(t).Alg1 {
		t.Run(v.Source, func(t *testing.T) {
			b := newBlock(t, v.Cipher, unhex(t, v.Key))
			msg := v.message(t)
			if v.IV != "" { // fold the CBC IV into the first block
				msg = append([]byte(nil), msg...)
				for i, x := range unhex(t, v.IV) {
					msg[i] ^= x
				}
			}
			have, err := Alg1(b, msg, Padding(v.Padding))
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, v.MAC); !Equal(have, want) {
				t.Errorf("have %X, want %X", have, want)
			}
		})
	}
}

func TestDESKnownAnswer(t *testing.T) {
	for _, v := range loadVectors(t).DES {
		t.Run(v.Source, func(t *testing.T) {
			key := unhex(t, v.Key)
			// A double-length key with KL = KR is single DES.
			r, err := NewRetail(append(append([]byte(nil), key...), key...))
			if err != nil {
				t.Fatal(err)
			}
			have := make([]byte, 8)
			r.Block().Encrypt(have, unhex(t, v.Plain))
			if want := unhex(t, v.Cipher); !Equal(have, want) {
				t.Errorf("have %X, want %X", have, want)
			}
			r.Block().Decrypt(have, have)
			if want := unhex(t, v.Plain); !Equal(have, want) {
				t.Errorf("decrypt: have %X, want %X", have, want)
			}
		})
	}
}

// alg3Ref is MAC algorithm 3 written the long way with crypto/des, as an
// independent implementation to check Retail against.
func alg3Ref(t testing.TB, key, msg []byte, p Padding) []byte {
	t.Helper()
	padded, err := Pad(nil, msg, 8, p)
	if err != nil {
		t.Fatal(err)
	}
	kl, _ := des.NewCipher(key[:8])
	kr, _ := des.NewCipher(key[8:])
	s := make([]byte, 8)
	for i := 0; i < len(padded); i += 8 {
		for j := range 8 {
			s[j] ^= padded[i+j]
		}
		kl.Encrypt(s, s)
	}
	kr.Decrypt(s, s)
	kl.Encrypt(s, s)
	return s
}

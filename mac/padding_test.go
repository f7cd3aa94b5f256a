package mac

import (
	"bytes"
	"crypto/aes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestPad checks the padding rules of ISO/IEC 9797-1:2011 clause 6.3
// (methods 1 and 2) and the "none" option.
func TestPad(t *testing.T) {
	for _, c := range []struct {
		name string
		msg  string
		bs   int
		p    Padding
		want string // hex; "" with err
		err  error
	}{
		{"m1 empty is one zero block", "", 8, PaddingMethod1, "0000000000000000", nil},
		{"m1 aligned adds nothing", "0102030405060708", 8, PaddingMethod1, "0102030405060708", nil},
		{"m1 unaligned", "010203", 8, PaddingMethod1, "0102030000000000", nil},
		{"m2 empty", "", 8, PaddingMethod2, "8000000000000000", nil},
		{"m2 aligned adds a block", "0102030405060708", 8, PaddingMethod2, "01020304050607088000000000000000", nil},
		{"m2 seven bytes", "01020304050607", 8, PaddingMethod2, "0102030405060780", nil},
		{"m2 aes block", "01", 16, PaddingMethod2, "01800000000000000000000000000000", nil},
		{"none aligned", "01020304050607080102030405060708", 8, PaddingNone, "01020304050607080102030405060708", nil},
		{"none unaligned", "010203", 8, PaddingNone, "", ErrUnaligned},
		{"none empty", "", 8, PaddingNone, "", ErrUnaligned},
		{"unknown method", "01", 8, Padding(3), "", ErrPadding},
	} {
		t.Run(c.name, func(t *testing.T) {
			have, err := Pad([]byte{0xEE}, unhex(t, c.msg), c.bs, c.p)
			if !errors.Is(err, c.err) {
				t.Fatalf("err: have %v, want %v", err, c.err)
			}
			if c.err != nil {
				if !bytes.Equal(have, []byte{0xEE}) {
					t.Errorf("dst changed on error: %X", have)
				}
				return
			}
			if want := append([]byte{0xEE}, unhex(t, c.want)...); !bytes.Equal(have, want) {
				t.Errorf("have %X, want %X", have, want)
			}
		})
	}
	if _, err := Pad(nil, nil, 0, PaddingMethod1); err == nil {
		t.Error("block size 0 accepted")
	}
}

func TestErrorsCarryNoData(t *testing.T) {
	key := unhex(t, "0123456789ABCDEFFEDCBA9876543210")
	msg := []byte("SECRETSECRET")
	r, _ := NewRetail(key)
	_, err1 := r.MAC(nil, msg, PaddingNone)
	_, err2 := Alg3(key[:15], msg, PaddingMethod1)
	_, err3 := Alg1(r.Block(), msg, PaddingNone)
	for _, err := range []error{err1, err2, err3} {
		if err == nil {
			t.Fatal("want an error")
		}
		s := err.Error()
		if !strings.HasPrefix(s, "mac: ") || strings.Contains(s, "SECRET") || strings.Contains(strings.ToUpper(s), "0123456789") {
			t.Errorf("error %q leaks data or lacks the package prefix", s)
		}
	}
}

func TestKeyLength(t *testing.T) {
	for _, n := range []int{0, 8, 15, 17, 24, 32} {
		_, err := NewRetail(make([]byte, n))
		var ks KeySizeError
		if !errors.As(err, &ks) || int(ks) != n {
			t.Errorf("NewRetail(%d bytes): have %v, want KeySizeError(%d)", n, err, n)
		}
		if _, err := Alg3(make([]byte, n), []byte("x"), PaddingMethod1); err == nil {
			t.Errorf("Alg3(%d-byte key) accepted", n)
		}
	}
}

func TestAlg1MatchesRetailWithEqualHalves(t *testing.T) {
	// With KL = KR, MAC algorithm 3 reduces to algorithm 1 with single DES
	// (ISO/IEC 9797-1: the output transformation becomes one DES block).
	key := unhex(t, "0123456789ABCDEF0123456789ABCDEF")
	r, _ := NewRetail(key)
	for _, msg := range []string{"", "a", "Now is the time for all ", "0123456789abcdef0"} {
		for _, p := range []Padding{PaddingMethod1, PaddingMethod2} {
			a1, err := Alg1(r.Block(), []byte(msg), p)
			if err != nil {
				t.Fatal(err)
			}
			a3, _ := r.MAC(nil, []byte(msg), p)
			if !Equal(a1, a3) {
				t.Errorf("%q %v: alg1 %X, alg3 %X", msg, p, a1, a3)
			}
		}
	}
}

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"0102", "0102", true},
		{"0102", "0103", false},
		{"0102", "010203", false},
		{"", "", false},
		{"", "01", false},
	} {
		if have := Equal(unhex(t, c.a), unhex(t, c.b)); have != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, have, c.want)
		}
	}
}

func TestVerifyTagLength(t *testing.T) {
	r, _ := NewRetail(unhex(t, "0123456789ABCDEFFEDCBA9876543210"))
	msg := []byte("Now is the time for all ")
	full, _ := r.MAC(nil, msg, PaddingMethod1)
	for n := 0; n <= 9; n++ {
		tag := append(append([]byte(nil), full...), 0)[:n]
		ok, err := r.Verify(msg, PaddingMethod1, tag)
		if err != nil {
			t.Fatal(err)
		}
		if want := n >= 4 && n <= 8; ok != want {
			t.Errorf("tag of %d bytes: verified %v, want %v", n, ok, want)
		}
	}
	if _, err := r.Verify([]byte("abc"), PaddingNone, full); !errors.Is(err, ErrUnaligned) {
		t.Errorf("unaligned message with PaddingNone: have %v, want ErrUnaligned", err)
	}
}

func TestCMACPanicsOnOddBlockSize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("CMAC accepted a 32-byte block cipher")
		}
	}()
	CMAC(wideBlock{}, nil)
}

// wideBlock is a fake 256-bit block cipher.
type wideBlock struct{}

func (wideBlock) BlockSize() int          { return 32 }
func (wideBlock) Encrypt(dst, src []byte) { copy(dst, src) }
func (wideBlock) Decrypt(dst, src []byte) { copy(dst, src) }

func TestAlg1AES(t *testing.T) {
	// Alg1 works on 128-bit blocks: the MAC is one AES block, and a one-bit
	// change of the message changes it.
	b, _ := aes.NewCipher(make([]byte, 16))
	m1, err := Alg1(b, []byte("abc"), PaddingMethod2)
	if err != nil || len(m1) != 16 {
		t.Fatalf("Alg1: %X, %v", m1, err)
	}
	m2, _ := Alg1(b, []byte("abd"), PaddingMethod2)
	if Equal(m1, m2) {
		t.Error("different messages gave the same MAC")
	}
}

func TestPaddingString(t *testing.T) {
	for p, want := range map[Padding]string{PaddingNone: "none", PaddingMethod1: "ISO9797-1 method 1", PaddingMethod2: "ISO9797-1 method 2", 7: "Padding(7)"} {
		if have := p.String(); have != want {
			t.Errorf("%d: have %q, want %q", int(p), have, want)
		}
	}
}

func TestRetailSetKeyAndFormat(t *testing.T) {
	k1 := unhex(t, "0123456789ABCDEFFEDCBA9876543210")
	r, _ := NewRetail(unhex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB"))
	if err := r.SetKey(k1); err != nil {
		t.Fatal(err)
	}
	// ISO/IEC 9797-1:2011 Annex B.4 (see testdata/vectors.json).
	m, _ := r.MAC(nil, []byte("Now is the time for all "), PaddingMethod1)
	if want := unhex(t, "A1C72E74EA3FA9B6"); !Equal(m, want) {
		t.Errorf("after SetKey: have %X, want %X", m, want)
	}
	if err := r.SetKey(k1[:8]); err == nil {
		t.Error("SetKey accepted an 8-byte key")
	}
	m2, _ := r.MAC(nil, []byte("Now is the time for all "), PaddingMethod1)
	if !Equal(m, m2) {
		t.Error("a failed SetKey changed the key")
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %x", r, *r, *r, *r)} {
		if !strings.Contains(s, "REDACTED") || strings.Contains(s, "{") {
			t.Errorf("Retail prints %q", s)
		}
	}
}

package pin

import (
	"bytes"
	"crypto/aes"
	"errors"
	"testing"
)

type iso4Vector struct {
	Source    string `json:"source"`
	PIN       string `json:"pin"`
	PAN       string `json:"pan"`
	Key       string `json:"key"`
	Random    string `json:"random"`
	PINField  string `json:"pin_field"`
	PANField  string `json:"pan_field"`
	Encrypted string `json:"encrypted"`
}

// TestISO4Vectors: the X9.24-3:2017 format 4 examples (testdata/iso4.json,
// source beside each) step by step and through the one-call API.
func TestISO4Vectors(t *testing.T) {
	var vf struct {
		Cases []iso4Vector `json:"cases"`
	}
	loadJSON(t, "iso4.json", &vf)
	if len(vf.Cases) < 9 {
		t.Fatalf("%d cases", len(vf.Cases))
	}
	for _, v := range vf.Cases {
		key := newKey(t, v.Key, true)
		p := mustPIN(t, v.PIN)
		field, err := ISO4PINField(p, fixedRand(unhex(t, v.Random)...))
		if err != nil || hexUpper(field[:]) != v.PINField {
			t.Errorf("%s: PIN field %X, %v", v.Source, field, err)
		}
		if v.PANField != "" {
			pf, err := ISO4PANField(v.PAN)
			if err != nil || hexUpper(pf[:]) != v.PANField {
				t.Errorf("%s: PAN field %X, %v", v.Source, pf, err)
			}
		}
		block, err := EncipherISO4(key, field, v.PAN)
		if err != nil || hexUpper(block[:]) != v.Encrypted {
			t.Errorf("%s: enciphered %X, %v", v.Source, block, err)
		}
		back, err := DecipherISO4(key, unhex(t, v.Encrypted), v.PAN)
		if err != nil || hexUpper(back[:]) != v.PINField {
			t.Errorf("%s: deciphered %X, %v", v.Source, back, err)
		}
		q, err := DecodeISO4PINField(back)
		if err != nil || !q.Equal(p) {
			t.Errorf("%s: decoded PIN: %v", v.Source, err)
		}
		// The one-call API agrees.
		enc, err := EncryptBlock(nil, key, ISO4, p, v.PAN, fixedRand(unhex(t, v.Random)...))
		if err != nil || hexUpper(enc) != v.Encrypted {
			t.Errorf("%s: EncryptBlock %X, %v", v.Source, enc, err)
		}
		if q, err := DecryptBlock(key, ISO4, unhex(t, v.Encrypted), v.PAN); err != nil || !q.Equal(p) {
			t.Errorf("%s: DecryptBlock: %v", v.Source, err)
		}
	}
}

// TestISO4WrongKey: the openemv/dukpt issue 1 block deciphered under the
// wrong key (the IK, not the PIN key) gives a field that does not decode:
// DecipherISO4 succeeds, DecodeISO4PINField refuses.
func TestISO4WrongKey(t *testing.T) {
	block := unhex(t, "A5345078DE652954CAFE125E9495D8F5")
	field, err := DecipherISO4(newKey(t, "11111111111111111111111111111111", true), block, "1234123412341234")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeISO4PINField(field); !errors.Is(err, ErrInvalidBlock) && !errors.Is(err, ErrPINLength) {
		t.Errorf("wrong key: %v", err)
	}
}

func TestISO4Errors(t *testing.T) {
	aesKey := newKey(t, aesKeyHex, true)
	tdesKey := newKey(t, tdesKeyHex, false)
	var field [16]byte
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"encipher with TDES", second(EncipherISO4(tdesKey, field, "1234")), ErrKey},
		{"encipher nil key", second(EncipherISO4(nil, field, "1234")), ErrKey},
		{"encipher empty PAN", second(EncipherISO4(aesKey, field, "")), ErrAccount},
		{"encipher 20-digit PAN", second(EncipherISO4(aesKey, field, "12345678901234567890")), ErrAccount},
		{"decipher short block", second(DecipherISO4(aesKey, make([]byte, 8), "1234")), ErrInvalidBlock},
		{"decipher with TDES", second(DecipherISO4(tdesKey, make([]byte, 16), "1234")), ErrKey},
		{"decipher bad PAN", second(DecipherISO4(aesKey, make([]byte, 16), "12a4")), ErrAccount},
		{"PAN field of 0 digits", second(ISO4PANField("")), ErrAccount},
		{"PIN field of a 3-digit PIN", second(ISO4PINField(PIN{n: 3, d: [12]byte{'1', '2', '3'}}, nil)), ErrPINLength},
		{"decode control 0", second(DecodeISO4PINField([16]byte{0x04, 0x12, 0x34, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA})), ErrInvalidBlock},
		{"decode fill F", second(DecodeISO4PINField([16]byte{0x44, 0x12, 0x34, 0xFF, 0xAA, 0xAA, 0xAA, 0xAA})), ErrInvalidBlock},
		{"decode length 3", second(DecodeISO4PINField([16]byte{0x43, 0x12, 0x3A, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA})), ErrPINLength},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if _, err := ISO4PINField(mustPIN(t, "1234"), bytes.NewReader(nil)); err == nil {
		t.Error("failing random source: no error")
	}
}

// FuzzDecipherISO4 deciphers arbitrary blocks under a fixed AES key with an
// arbitrary PAN and decodes the field. Nothing may panic, errors wrap a
// sentinel, and a block that decodes enciphers back to itself from the
// field it gave.
func FuzzDecipherISO4(f *testing.F) {
	var vf struct {
		Cases []iso4Vector `json:"cases"`
	}
	loadJSON(f, "iso4.json", &vf)
	for _, v := range vf.Cases {
		f.Add(unhex(f, v.Encrypted), v.PAN)
		f.Add(unhex(f, v.PINField), v.PAN)
	}
	f.Add([]byte{}, "")
	k, err := aes.NewCipher(unhex(f, "AF8CB133A78F8DC2D1359F18527593FB"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, block []byte, pan string) {
		field, err := DecipherISO4(k, block, pan)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		p, err := DecodeISO4PINField(field)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if p.Len() < MinLen || p.Len() > MaxLen {
			t.Fatalf("accepted PIN of %d digits", p.Len())
		}
		again, err := EncipherISO4(k, field, pan)
		if err != nil || !bytes.Equal(again[:], block) {
			t.Fatalf("re-encipher: %X %v", again, err)
		}
		// Any 16 bytes decode through the field form as through the
		// block form.
		var asField [16]byte
		copy(asField[:], block)
		_, e1 := DecodeISO4PINField(asField)
		_, e2 := DecodeBlock(ISO4, block, pan)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("DecodeISO4PINField and DecodeBlock disagree: %v / %v", e1, e2)
		}
	})
}

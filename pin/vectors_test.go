package pin

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"testing"
)

type blockVector struct {
	Source    string `json:"source"`
	Format    string `json:"format"`
	PIN       string `json:"pin"`
	PAN       string `json:"pan"`
	Account   string `json:"account"`
	Clear     string `json:"clear"`
	Decode    string `json:"decode"`
	Key       string `json:"key"`
	Encrypted string `json:"encrypted"`
	Random    string `json:"random"`
	PANField  string `json:"pan_field"`
	B         string `json:"b"`
	A         string `json:"a"`
	PINField  string `json:"pin_field"`
	Error     string `json:"error"`
}

type blockVectors struct {
	Cases     []blockVector `json:"cases"`
	PANFields []blockVector `json:"pan_fields"`
	Invalid   []blockVector `json:"invalid"`
}

var sentinels = map[string]error{
	"ErrInvalidBlock": ErrInvalidBlock,
	"ErrPINLength":    ErrPINLength,
	"ErrFormat":       ErrFormat,
	"ErrPINDigits":    ErrPINDigits,
	"ErrAccount":      ErrAccount,
	"ErrDecTable":     ErrDecTable,
	"ErrKey":          ErrKey,
	"ErrInvalidInput": ErrInvalidInput,
}

// Vectors from testdata/pinblock.json; each case names its source (PSEC,
// MOOV, JPOS, ep2, CC).
func TestPINBlockVectors(t *testing.T) {
	var vs blockVectors
	loadJSON(t, "pinblock.json", &vs)
	for _, v := range vs.Cases {
		t.Run(v.Source, func(t *testing.T) {
			f := mustFormat(t, v.Format)
			want := mustPIN(t, v.PIN)
			acct := accountArg(t, f, v.Account, v.PAN)
			var rnd *cycleReader
			if v.Random != "" {
				rnd = fixedRand(unhex(t, v.Random)...)
			}
			if v.Clear != "" {
				have, err := EncodeBlock(nil, f, want, acct, nil)
				if err != nil || hexUpper(have) != v.Clear {
					t.Errorf("EncodeBlock: have %X, %v; want %s", have, err, v.Clear)
				}
			}
			for _, clear := range []string{v.Clear, v.Decode, v.PINField} {
				if clear == "" {
					continue
				}
				p, err := DecodeBlock(f, unhex(t, clear), acct)
				if err != nil || !p.Equal(want) {
					t.Errorf("DecodeBlock(%s): have %s, %v; want %s", clear, digits(p), err, v.PIN)
				}
			}
			if v.PINField != "" && rnd != nil {
				have, err := EncodeBlock(nil, f, want, acct, fixedRand(unhex(t, v.Random)...))
				if err != nil || hexUpper(have) != v.PINField {
					t.Errorf("EncodeBlock PIN field: have %X, %v; want %s", have, err, v.PINField)
				}
			}
			if v.Key == "" {
				return
			}
			key := keyFor(t, f, v.Key)
			enc := unhex(t, v.Encrypted)
			if !needsRandom(f) || rnd != nil {
				have, err := EncryptBlock(nil, key, f, want, acct, rnd)
				if err != nil || !bytes.Equal(have, enc) {
					t.Errorf("EncryptBlock: have %X, %v; want %s", have, err, v.Encrypted)
				}
			}
			p, err := DecryptBlock(key, f, enc, acct)
			if err != nil || !p.Equal(want) {
				t.Errorf("DecryptBlock: have %s, %v; want %s", digits(p), err, v.PIN)
			}
			if f == ISO4 {
				checkISO4Steps(t, v)
			}
		})
	}
	for _, v := range vs.PANFields {
		if have, err := panField(v.PAN); err != nil || hexUpper(have[:]) != v.PANField {
			t.Errorf("%s: panField: have %X, %v; want %s", v.Source, have, err, v.PANField)
		}
	}
	for _, v := range vs.Invalid {
		f := mustFormat(t, v.Format)
		acct := accountArg(t, f, v.Account, v.PAN)
		_, err := DecodeBlock(f, unhex(t, v.Decode), acct)
		if !errors.Is(err, sentinels[v.Error]) {
			t.Errorf("%s: DecodeBlock(%s): have %v, want %s", v.Source, v.Decode, err, v.Error)
		}
	}
}

// checkISO4Steps follows the two-step decipherment of an ISO 4 vector one
// step at a time: B = D(block), A = B XOR PAN field, PIN field = D(A).
func checkISO4Steps(t *testing.T, v blockVector) {
	t.Helper()
	key := keyFor(t, ISO4, v.Key)
	pf, err := panField(v.PAN)
	if err != nil {
		t.Fatal(err)
	}
	if v.PANField != "" && hexUpper(pf[:]) != v.PANField {
		t.Errorf("PAN field: have %X, want %s", pf, v.PANField)
	}
	b := unhex(t, v.Encrypted)
	key.Decrypt(b, b)
	if v.B != "" && hexUpper(b) != v.B {
		t.Errorf("B: have %X, want %s", b, v.B)
	}
	for i := range b {
		b[i] ^= pf[i]
	}
	if v.A != "" && hexUpper(b) != v.A {
		t.Errorf("A: have %X, want %s", b, v.A)
	}
	key.Decrypt(b, b)
	if v.PINField != "" && hexUpper(b) != v.PINField {
		t.Errorf("PIN field: have %X, want %s", b, v.PINField)
	}
}

type pvvVector struct {
	Source    string `json:"source"`
	PVK       string `json:"pvk"`
	PAN       string `json:"pan"`
	PVKI      int    `json:"pvki"`
	PIN       string `json:"pin"`
	PVV       string `json:"pvv"`
	TSP       string `json:"tsp"`
	Encrypted string `json:"encrypted"`
}

// Visa PVV vectors from testdata/pvv.json (PSEC, JPOS, CC).
func TestPVVVectors(t *testing.T) {
	var vs struct{ Cases []pvvVector }
	loadJSON(t, "pvv.json", &vs)
	for _, v := range vs.Cases {
		t.Run(v.Source, func(t *testing.T) {
			pvk := newKey(t, v.PVK, false)
			p := mustPIN(t, v.PIN)
			acct, err := AccountFromPAN(v.PAN)
			if err != nil {
				t.Fatal(err)
			}
			have, err := PVV(pvk, acct, v.PVKI, p)
			if err != nil || string(have[:]) != v.PVV {
				t.Errorf("PVV: have %s, %v; want %s", have[:], err, v.PVV)
			}
			if ok, err := VerifyPVV(pvk, acct, v.PVKI, p, v.PVV); !ok || err != nil {
				t.Errorf("VerifyPVV(right PVV): have %v, %v", ok, err)
			}
			wrong := []byte(v.PVV)
			wrong[3] = '0' + (wrong[3]-'0'+1)%10
			if ok, err := VerifyPVV(pvk, acct, v.PVKI, p, string(wrong)); ok || err != nil {
				t.Errorf("VerifyPVV(wrong PVV): have %v, %v", ok, err)
			}
			if v.TSP != "" {
				// The published TSP is account digits 2-12, PVKI, PIN.
				if tsp := acct[1:] + string('0'+byte(v.PVKI)) + v.PIN; tsp != v.TSP {
					t.Errorf("TSP: have %s, want %s", tsp, v.TSP)
				}
				b := unhex(t, v.TSP)
				pvk.Encrypt(b, b)
				if hexUpper(b) != v.Encrypted {
					t.Errorf("E(TSP): have %X, want %s", b, v.Encrypted)
				}
			}
		})
	}
}

type ibmVector struct {
	Source         string            `json:"source"`
	PVK            string            `json:"pvk"`
	Table          string            `json:"table"`
	ValidationData string            `json:"validation_data"`
	PAN            string            `json:"pan"`
	SliceStart     int               `json:"slice_start"`
	SliceLength    int               `json:"slice_length"`
	Pad            string            `json:"pad"`
	PayShieldData  string            `json:"payshield_data"`
	Account        string            `json:"account"`
	Encrypted      string            `json:"encrypted"`
	Intermediate   string            `json:"intermediate"`
	Natural        string            `json:"natural"`
	Offsets        map[string]string `json:"offsets"`
}

// validationData builds the 16 hex digits of a vector by the convention it
// is written in.
func (v ibmVector) validationData(t *testing.T) string {
	t.Helper()
	switch {
	case v.PayShieldData != "":
		vd, err := ExpandValidationData(v.PayShieldData, v.Account)
		if err != nil {
			t.Fatal(err)
		}
		if v.ValidationData != "" && vd != v.ValidationData {
			t.Errorf("ExpandValidationData: have %s, want %s", vd, v.ValidationData)
		}
		return vd
	case v.PAN != "":
		vd, err := PadValidationData(v.PAN[v.SliceStart:v.SliceStart+v.SliceLength], v.Pad[0])
		if err != nil {
			t.Fatal(err)
		}
		return vd
	}
	return v.ValidationData
}

// IBM 3624 vectors from testdata/ibm3624.json (PSEC, CC, payShield DA/EA).
func TestIBM3624Vectors(t *testing.T) {
	var vs struct{ Cases []ibmVector }
	loadJSON(t, "ibm3624.json", &vs)
	for _, v := range vs.Cases {
		t.Run(v.Source, func(t *testing.T) {
			pvk := newKey(t, v.PVK, false)
			table, err := ParseDecTable(v.Table)
			if err != nil {
				t.Fatal(err)
			}
			vd := v.validationData(t)
			if v.Encrypted != "" {
				b := unhex(t, vd)
				pvk.Encrypt(b, b)
				if hexUpper(b) != v.Encrypted {
					t.Errorf("E(validation data): have %X, want %s", b, v.Encrypted)
				}
			}
			if v.Intermediate != "" {
				ip, err := intermediatePIN(pvk, vd, &table)
				var s []byte
				for _, d := range ip {
					s = append(s, '0'+d)
				}
				if err != nil || string(s) != v.Intermediate {
					t.Errorf("intermediate PIN: have %s, %v; want %s", s, err, v.Intermediate)
				}
			}
			nat, err := NaturalPIN(pvk, vd, table, len(v.Natural))
			if err != nil || digits(nat) != v.Natural {
				t.Errorf("NaturalPIN: have %s, %v; want %s", digits(nat), err, v.Natural)
			}
			for offset, pinDigits := range v.Offsets {
				p := mustPIN(t, pinDigits)
				if have, err := Offset(pvk, vd, table, p); err != nil || have != offset {
					t.Errorf("Offset(PIN %s): have %s, %v; want %s", pinDigits, have, err, offset)
				}
				padded, err := PadOffset(offset)
				if err != nil {
					t.Fatal(err)
				}
				for _, off := range []string{offset, padded} {
					if ok, err := VerifyOffset(pvk, vd, table, len(pinDigits), off, p); !ok || err != nil {
						t.Errorf("VerifyOffset(%s, PIN %s): have %v, %v", off, pinDigits, ok, err)
					}
				}
				wrong := []byte(offset)
				wrong[0] = '0' + (wrong[0]-'0'+1)%10
				if ok, err := VerifyOffset(pvk, vd, table, len(pinDigits), string(wrong), p); ok || err != nil {
					t.Errorf("VerifyOffset(wrong offset %s): have %v, %v", wrong, ok, err)
				}
			}
		})
	}
}

type hostCmdVectors struct {
	Translate []struct {
		Source     string `json:"source"`
		FromKey    string `json:"from_key"`
		FromFormat string `json:"from_format"`
		ToKey      string `json:"to_key"`
		ToFormat   string `json:"to_format"`
		Account    string `json:"account"`
		Src        string `json:"src"`
		Dst        string `json:"dst"`
		PINLength  int    `json:"pin_length"`
	} `json:"translate"`
	Encrypt []struct {
		Source  string `json:"source"`
		Key     string `json:"key"`
		Format  string `json:"format"`
		Account string `json:"account"`
		PIN     string `json:"pin"`
		Block   string `json:"block"`
	} `json:"encrypt"`
	PVV []struct {
		pinUnderKey
		PVKI     int    `json:"pvki"`
		PVV      string `json:"pvv"`
		WrongPVV string `json:"wrong_pvv"`
	} `json:"pvv"`
	IBM3624 []struct {
		pinUnderKey
		Table         string `json:"table"`
		PayShieldData string `json:"payshield_data"`
		CheckLength   int    `json:"check_length"`
		Offset        string `json:"offset"`
		WrongOffset   string `json:"wrong_offset"`
	} `json:"ibm3624"`
}

// pinUnderKey is what the PIN verification vectors share: a PIN block under
// a key, the account it is bound to, and the PVK that verifies the PIN.
type pinUnderKey struct {
	Source  string `json:"source"`
	Key     string `json:"key"`
	Format  string `json:"format"`
	Block   string `json:"block"`
	Account string `json:"account"`
	PVK     string `json:"pvk"`
}

// open deciphers the vector's PIN block and makes its PVK. When the block
// does not decipher it reports the error and returns ok false.
func (v pinUnderKey) open(t *testing.T) (p PIN, pvk cipher.Block, ok bool) {
	t.Helper()
	f := mustFormat(t, v.Format)
	p, err := DecryptBlock(keyFor(t, f, v.Key), f, unhex(t, v.Block), v.Account)
	if err != nil {
		t.Errorf("%s: DecryptBlock: %v", v.Source, err)
		return PIN{}, nil, false
	}
	return p, newKey(t, v.PVK, false), true
}

// payShield host-command examples (ThalesSim tests and the payShield DA/EA
// example) from testdata/hostcmd.json, run through this package's
// operations with the clear keys behind the LMK cryptograms.
func TestHostCommandVectors(t *testing.T) {
	var vs hostCmdVectors
	loadJSON(t, "hostcmd.json", &vs)
	for _, v := range vs.Translate {
		from, to := mustFormat(t, v.FromFormat), mustFormat(t, v.ToFormat)
		out, n, err := Translate(nil, unhex(t, v.Src), keyFor(t, from, v.FromKey), from,
			keyFor(t, to, v.ToKey), to, v.Account, nil)
		if err != nil || hexUpper(out) != v.Dst || n != v.PINLength {
			t.Errorf("%s: Translate: have %X (length %d), %v; want %s (length %d)",
				v.Source, out, n, err, v.Dst, v.PINLength)
		}
	}
	for _, v := range vs.Encrypt {
		f := mustFormat(t, v.Format)
		key := keyFor(t, f, v.Key)
		p := mustPIN(t, v.PIN)
		if out, err := EncryptBlock(nil, key, f, p, v.Account, nil); err != nil || hexUpper(out) != v.Block {
			t.Errorf("%s: EncryptBlock: have %X, %v; want %s", v.Source, out, err, v.Block)
		}
		if have, err := DecryptBlock(key, f, unhex(t, v.Block), v.Account); err != nil || !have.Equal(p) {
			t.Errorf("%s: DecryptBlock: have %s, %v; want %s", v.Source, digits(have), err, v.PIN)
		}
	}
	for _, v := range vs.PVV {
		p, pvk, ok := v.open(t)
		if !ok {
			continue
		}
		if ok, err := VerifyPVV(pvk, v.Account, v.PVKI, p, v.PVV); !ok || err != nil {
			t.Errorf("%s: VerifyPVV(%s): have %v, %v", v.Source, v.PVV, ok, err)
		}
		if ok, err := VerifyPVV(pvk, v.Account, v.PVKI, p, v.WrongPVV); ok || err != nil {
			t.Errorf("%s: VerifyPVV(%s): have %v, %v", v.Source, v.WrongPVV, ok, err)
		}
	}
	for _, v := range vs.IBM3624 {
		p, pvk, ok := v.open(t)
		if !ok {
			continue
		}
		table, err := ParseDecTable(v.Table)
		if err != nil {
			t.Fatal(err)
		}
		vd, err := ExpandValidationData(v.PayShieldData, v.Account)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := VerifyOffset(pvk, vd, table, v.CheckLength, v.Offset, p); !ok || err != nil {
			t.Errorf("%s: VerifyOffset(%s): have %v, %v", v.Source, v.Offset, ok, err)
		}
		if ok, err := VerifyOffset(pvk, vd, table, v.CheckLength, v.WrongOffset, p); ok || err != nil {
			t.Errorf("%s: VerifyOffset(%s): have %v, %v", v.Source, v.WrongOffset, ok, err)
		}
		off, err := Offset(pvk, vd, table, p)
		if padded, _ := PadOffset(off); err != nil || padded != v.Offset {
			t.Errorf("%s: Offset: have %s, %v; want %s", v.Source, padded, err, v.Offset)
		}
	}
}

package pin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testlog"
)

func TestParsePIN(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"1234", nil},
		{"0000", nil},
		{"123456789012", nil},
		{"123", ErrPINLength},
		{"1234567890123", ErrPINLength},
		{"", ErrPINLength},
		{"123A", ErrPINDigits},
		{"12 4", ErrPINDigits},
		{"1234\x00", ErrPINDigits},
		{"１２３４", ErrPINDigits}, // full-width digits: 12 bytes, none decimal
	}
	for _, tt := range tests {
		p, err := ParsePIN(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParsePIN(%q): have %v, want %v", tt.in, err, tt.want)
			continue
		}
		if err == nil && digits(p) != tt.in {
			t.Errorf("ParsePIN(%q): digits %q", tt.in, digits(p))
		}
		if err != nil && p.Len() != 0 {
			t.Errorf("ParsePIN(%q) failed but returned %d digits", tt.in, p.Len())
		}
		q, err2 := ParsePINBytes([]byte(tt.in))
		if !errors.Is(err2, tt.want) || !q.Equal(p) {
			t.Errorf("ParsePINBytes(%q) differs from ParsePIN: %v", tt.in, err2)
		}
	}
}

func TestPINEqual(t *testing.T) {
	a, b := mustPIN(t, "1234"), mustPIN(t, "1234")
	for _, tt := range []struct {
		x, y PIN
		want bool
	}{
		{a, b, true},
		{a, mustPIN(t, "1235"), false},
		{a, mustPIN(t, "12340"), false},
		{mustPIN(t, "0000"), mustPIN(t, "00000"), false},
		{PIN{}, PIN{}, true},
		{a, PIN{}, false},
	} {
		if have := tt.x.Equal(tt.y); have != tt.want {
			t.Errorf("Equal(%s, %s): have %v", digits(tt.x), digits(tt.y), have)
		}
	}
}

func TestPINAppendDigits(t *testing.T) {
	p := mustPIN(t, "0987654321")
	if have := string(p.AppendDigits([]byte("x"))); have != "x0987654321" || p.Len() != 10 {
		t.Errorf("have %q, length %d", have, p.Len())
	}
}

// A PIN never reaches text: no fmt verb, no slog handler, no JSON.
func TestPINNeverPrints(t *testing.T) {
	const digs = "918273645"
	p := mustPIN(t, digs)
	type Holder struct {
		P   PIN
		Ptr *PIN
	}
	h := Holder{P: p, Ptr: &p}
	for _, v := range []any{p, &p, h, []PIN{p}, map[string]PIN{"k": p}} {
		for _, out := range testlog.Renderings(t, v) {
			if leaks(out, digs) || !strings.Contains(out, "[REDACTED]") {
				t.Errorf("%T printed the PIN: %s", v, out)
			}
		}
	}
	if s := p.String() + p.GoString(); leaks(s, digs) || !strings.Contains(s, "[REDACTED]") {
		t.Errorf("String/GoString: %s", s)
	}
}

// leaks reports whether out shows digs as text, as hex of the ASCII digits,
// or as the decimal byte values fmt prints for a byte array.
func leaks(out, digs string) bool {
	var dec []string
	for _, c := range []byte(digs) {
		dec = append(dec, fmt.Sprint(c))
	}
	return strings.Contains(out, digs) ||
		strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", digs)) ||
		strings.Contains(out, strings.Join(dec, " "))
}

func TestFormatNamesAndSizes(t *testing.T) {
	tests := []struct {
		f    Format
		name string
		code string // payShield, docs/spec/hostcmd.md §2
		size int
	}{
		{ISO0, "ISO0", "01", 8},
		{ISO1, "ISO1", "05", 8},
		{ISO2, "ISO2", "34", 8},
		{ISO3, "ISO3", "47", 8},
		{ISO4, "ISO4", "48", 16},
		{IBM3624, "IBM3624", "03", 8},
	}
	for _, tt := range tests {
		if tt.f.String() != tt.name || tt.f.PayShieldCode() != tt.code || tt.f.BlockSize() != tt.size {
			t.Errorf("%d: have %s %s %d; want %s %s %d", tt.f, tt.f, tt.f.PayShieldCode(), tt.f.BlockSize(), tt.name, tt.code, tt.size)
		}
		if f, err := ParseFormat(tt.name); err != nil || f != tt.f {
			t.Errorf("ParseFormat(%s): have %v, %v", tt.name, f, err)
		}
		if f, err := ParsePayShieldCode(tt.code); err != nil || f != tt.f {
			t.Errorf("ParsePayShieldCode(%s): have %v, %v", tt.code, f, err)
		}
	}
	for _, name := range []string{"", "iso0", "ISO5", "ISO-0", "IBM 3624", "Format(1)"} {
		if _, err := ParseFormat(name); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseFormat(%q): have %v, want ErrFormat", name, err)
		}
	}
	for _, code := range []string{"", "00", "02", "04", "35", "41", "42", "1", "010"} {
		if _, err := ParsePayShieldCode(code); !errors.Is(err, ErrFormat) {
			t.Errorf("ParsePayShieldCode(%q): have %v, want ErrFormat", code, err)
		}
	}
	for _, f := range []Format{-1, 6, 100} {
		if f.String() != fmt.Sprintf("Format(%d)", int(f)) || f.BlockSize() != 0 || f.PayShieldCode() != "" {
			t.Errorf("invalid %d: %s %d %q", int(f), f, f.BlockSize(), f.PayShieldCode())
		}
	}
}

func TestAccountFromPAN(t *testing.T) {
	tests := []struct {
		pan, want string
		err       error
	}{
		// payShield host command manual account field example
		// (docs/reference/hsm-protocol.md §2).
		{"5044070000253211", "407000025321", nil},
		// JPOS testTranslatePINImpl: 13-digit PAN.
		{"1234567890120", "123456789012", nil},
		// 19-digit PAN.
		{"1234567890123456789", "789012345678", nil},
		// Shorter than 13: zero-padded on the left (ISO 9564-1 format 0 rule).
		{"123456789012", "012345678901", nil},
		{"12345678", "000001234567", nil},
		{"1234567", "", ErrAccount},
		{"12345678901234567890", "", ErrAccount},
		{"411111111111111A", "", ErrAccount},
		{"", "", ErrAccount},
	}
	for _, tt := range tests {
		have, err := AccountFromPAN(tt.pan)
		if have != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("AccountFromPAN(%s): have %q, %v; want %q, %v", tt.pan, have, err, tt.want, tt.err)
		}
	}
}

func TestPVVRejects(t *testing.T) {
	pvk := newKey(t, tdesKey2Hex, false)
	p := mustPIN(t, "1234")
	acct := "112233445566"
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"pvki -1", second(PVV(pvk, acct, -1, p)), ErrInvalidInput},
		{"pvki 10", second(PVV(pvk, acct, 10, p)), ErrInvalidInput},
		{"account 11 digits", second(PVV(pvk, acct[:11], 1, p)), ErrAccount},
		{"account is a PAN", second(PVV(pvk, "1122334455667788", 1, p)), ErrAccount},
		{"zero PIN", second(PVV(pvk, acct, 1, PIN{})), ErrPINLength},
		{"AES PVK", second(PVV(newKey(t, aesKeyHex, true), acct, 1, p)), ErrKey},
		{"nil PVK", second(PVV(nil, acct, 1, p)), ErrKey},
		{"pvv 3 digits", second(VerifyPVV(pvk, acct, 1, p, "123")), ErrInvalidInput},
		{"pvv non-digit", second(VerifyPVV(pvk, acct, 1, p, "12a4")), ErrInvalidInput},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: have %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// The Visa PVV uses the 4 left-most PIN digits only (PSEC vector 8523 with
// digits appended to the PIN).
func TestPVVUsesFourLeftmostDigits(t *testing.T) {
	pvk := newKey(t, tdesKey2Hex, false)
	acct, _ := AccountFromPAN("1122334455667788")
	for _, digs := range []string{"4524", "45249", "452400000000"} {
		have, err := PVV(pvk, acct, 1, mustPIN(t, digs))
		if err != nil || string(have[:]) != "8523" {
			t.Errorf("PVV(%s): have %s, %v; want 8523", digs, have[:], err)
		}
	}
	if ok, _ := VerifyPVV(pvk, acct, 1, mustPIN(t, "4525"), "8523"); ok {
		t.Error("a wrong PIN verified")
	}
}

func TestParseDecTable(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"0123456789012345", nil},
		{"1234567890123456", nil},
		{"9876543210654321", nil},
		{"0011223344556677", nil},          // 8 different, each twice
		{"0000111122223333", ErrDecTable},  // 4 different
		{"0123456700000000", ErrDecTable},  // 0 nine times
		{"0000123456789999", nil},          // 0 and 9 four times each: allowed
		{"012345678901234", ErrDecTable},   // 15 digits
		{"01234567890123456", ErrDecTable}, // 17 digits
		{"012345678901234A", ErrDecTable},
	}
	for _, tt := range tests {
		if _, err := ParseDecTable(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseDecTable(%s): have %v, want %v", tt.in, err, tt.want)
		}
	}
	pvk := newKey(t, tdesKey2Hex, false)
	if _, err := NaturalPIN(pvk, "1122334455667788", DecTable{}, 4); !errors.Is(err, ErrDecTable) {
		t.Errorf("zero DecTable: have %v, want ErrDecTable", err)
	}
}

func TestValidationDataHelpers(t *testing.T) {
	// payShield convention: the N takes the last 5 account digits.
	expand := []struct{ data, acct, want string }{
		{"55000002532N", "550000025321", "5500000253225321"},
		{"N12345678901", "550000025321", "2532112345678901"},
		{"abcdef01234N", "000000012345", "ABCDEF0123412345"},
	}
	for _, tt := range expand {
		if have, err := ExpandValidationData(tt.data, tt.acct); err != nil || have != tt.want {
			t.Errorf("ExpandValidationData(%s): have %s, %v; want %s", tt.data, have, err, tt.want)
		}
	}
	for _, tt := range []struct{ data, acct string }{
		{"550000025321", "550000025321"},  // no N
		{"5500000253NN", "550000025321"},  // two N
		{"55000002532N1", "550000025321"}, // 13 characters
		{"5500000253N", "550000025321"},   // 11 characters
		{"55000002532G", "550000025321"},  // not hex
		{"55000002532n", "550000025321"},  // lower-case n is not the marker
		{"55000002532N", "55000002532"},   // short account
	} {
		if _, err := ExpandValidationData(tt.data, tt.acct); err == nil {
			t.Errorf("ExpandValidationData(%s, %s): no error", tt.data, tt.acct)
		}
	}
	pad := []struct {
		data string
		pad  byte
		want string
	}{
		{"11223344556677", 'F', "11223344556677FF"},
		{"11223344556677", 'f', "11223344556677FF"},
		{"1", '0', "1000000000000000"},
		{"0123456789abcdef", 'F', "0123456789ABCDEF"},
	}
	for _, tt := range pad {
		if have, err := PadValidationData(tt.data, tt.pad); err != nil || have != tt.want {
			t.Errorf("PadValidationData(%s, %c): have %s, %v; want %s", tt.data, tt.pad, have, err, tt.want)
		}
	}
	for _, tt := range []struct {
		data string
		pad  byte
	}{{"", 'F'}, {"11223344556677889", 'F'}, {"1122X", 'F'}, {"1122", 'G'}} {
		if _, err := PadValidationData(tt.data, tt.pad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("PadValidationData(%s, %c): have %v", tt.data, tt.pad, err)
		}
	}
}

func TestOffsetPadding(t *testing.T) {
	for _, tt := range []struct{ digits, field string }{
		{"9708", "9708FFFFFFFF"},
		{"123456", "123456FFFFFF"},
		{"123456789012", "123456789012"},
	} {
		if have, err := PadOffset(tt.digits); err != nil || have != tt.field {
			t.Errorf("PadOffset(%s): have %s, %v", tt.digits, have, err)
		}
		if have, err := UnpadOffset(tt.field); err != nil || have != tt.digits {
			t.Errorf("UnpadOffset(%s): have %s, %v", tt.field, have, err)
		}
	}
	if have, err := UnpadOffset("9708ffffffff"); err != nil || have != "9708" {
		t.Errorf("UnpadOffset lower case: have %s, %v", have, err)
	}
	for _, bad := range []string{"", "970", "9708F", "970FFFFFFFFF", "9708FFFFFFF1", "9708FFFFFFFFF", "97A8FFFFFFFF", "1234567890123"} {
		if _, err := UnpadOffset(bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("UnpadOffset(%q): have %v", bad, err)
		}
	}
	for _, bad := range []string{"970", "1234567890123", "12a4"} {
		if _, err := PadOffset(bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("PadOffset(%q): have %v", bad, err)
		}
	}
}

// VerifyOffset with a check length below the PIN length compares the
// right-most check-length digits (IBM ICSF 3624 PIN verification); a PIN
// shorter than the check length, or of another length than the offset, does
// not verify. Inputs: the payShield DA example (natural PIN 2536...).
func TestVerifyOffsetCheckLength(t *testing.T) {
	pvk := newKey(t, "0123456789ABCDEF", false)
	table, _ := ParseDecTable("0123456789012345")
	vd, _ := ExpandValidationData("55000002532N", "550000025321")
	nat, err := NaturalPIN(pvk, vd, table, 6)
	if err != nil {
		t.Fatal(err)
	}
	if digits(nat)[:4] != "2536" {
		t.Fatalf("natural PIN of 6 does not extend the vector's 2536: %s", digits(nat))
	}
	p := mustPIN(t, "123456")
	off, err := Offset(pvk, vd, table, p)
	if err != nil || len(off) != 6 {
		t.Fatalf("Offset: %s, %v", off, err)
	}
	// Change the left-most PIN digit: still verifies with check length 4 or
	// 5 (only right-most digits are checked), not with 6.
	q := mustPIN(t, "923456")
	for _, tt := range []struct {
		check int
		p     PIN
		want  bool
	}{
		{6, p, true}, {4, p, true}, {4, q, true}, {5, q, true}, {6, q, false},
		{4, mustPIN(t, "12345"), false},   // length differs from the offset
		{4, mustPIN(t, "1234567"), false}, // length differs from the offset
	} {
		ok, err := VerifyOffset(pvk, vd, table, tt.check, off, tt.p)
		if ok != tt.want || err != nil {
			t.Errorf("check %d, PIN %s: have %v, %v; want %v", tt.check, digits(tt.p), ok, err, tt.want)
		}
	}
	long, _ := Offset(pvk, vd, table, mustPIN(t, "1234"))
	if ok, err := VerifyOffset(pvk, vd, table, 5, long, mustPIN(t, "1234")); ok || err != nil {
		t.Errorf("PIN shorter than the check length: have %v, %v; want false", ok, err)
	}
	for _, tt := range []struct {
		name  string
		check int
		off   string
		vd    string
		want  error
	}{
		{"check 3", 3, off, vd, ErrInvalidInput},
		{"check 13", 13, off, vd, ErrInvalidInput},
		{"offset 3 digits", 4, "123", vd, ErrInvalidInput},
		{"offset non-digit", 4, "12A4", vd, ErrInvalidInput},
		{"validation data 15", 4, off, vd[:15], ErrInvalidInput},
		{"validation data not hex", 4, off, "55000002532N5321", ErrInvalidInput},
	} {
		if _, err := VerifyOffset(pvk, tt.vd, table, tt.check, tt.off, p); !errors.Is(err, tt.want) {
			t.Errorf("%s: have %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := NaturalPIN(pvk, vd, table, 13); !errors.Is(err, ErrPINLength) {
		t.Errorf("NaturalPIN(13): have %v", err)
	}
	if _, err := NaturalPIN(newKey(t, aesKeyHex, true), vd, table, 4); !errors.Is(err, ErrKey) {
		t.Errorf("NaturalPIN with AES: have %v", err)
	}
}

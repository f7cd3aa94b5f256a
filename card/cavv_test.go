package card

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// TestCAVVVectors checks the pablom/go-cavv CAVV row: unpacking, packing,
// the substituted CVV inputs, the output and its verification.
func TestCAVVVectors(t *testing.T) {
	for _, v := range loadVectors(t).VisaCAVV {
		raw := unhex(t, v.CAVV)
		c, err := ParseCAVV(raw)
		if err != nil {
			t.Fatalf("%s: ParseCAVV: %v", v.Source, err)
		}
		want := CAVV{
			AuthResultsCode:  v.ARC,
			SecondFactorCode: v.SecondFactorCode,
			KeyIndicator:     v.KeyIndicator,
			Output:           redact.String(v.Output),
			ATN:              v.ATN,
		}
		if c != want {
			t.Errorf("%s: ParseCAVV: have %+v (output %s), want %+v (output %s)", v.Source, c, c.Output.Reveal(), want, v.Output)
		}
		if have := c.Append(nil); !bytes.Equal(have, raw) {
			t.Errorf("%s: Append: have %X, want %X", v.Source, have, raw)
		}

		pan16, exp, sc, err := CAVVInput(v.PAN, c)
		if err != nil || pan16+exp+sc != v.CVVInput {
			t.Errorf("%s: CAVVInput = %s %s %s, %v; want %s", v.Source, pan16, exp, sc, err, v.CVVInput)
		}
		k := newCVK(t, v.Key)
		if have, err := k.CAVVValue(v.PAN, c); have != v.Output || err != nil {
			t.Errorf("%s: CAVVValue = %q, %v; want %s", v.Source, have, err, v.Output)
		}
		// The CW/CY route: the plain CVV algorithm over CAVVInput's fields.
		if have, err := k.Generate(pan16, exp, sc); have != v.Output || err != nil {
			t.Errorf("%s: Generate(CAVVInput) = %q, %v; want %s", v.Source, have, err, v.Output)
		}
		if ok, err := k.VerifyCAVV(v.PAN, c); !ok || err != nil {
			t.Errorf("%s: VerifyCAVV = %v, %v; want true", v.Source, ok, err)
		}

		// The same 20 bytes as hex (both cases) and as base64 in every form.
		std := base64.StdEncoding.EncodeToString(raw)
		if v.CAVVBase64 != "" && std != v.CAVVBase64 {
			t.Errorf("%s: base64: have %s, want %s", v.Source, std, v.CAVVBase64)
		}
		for _, s := range []string{
			v.CAVV, strings.ToLower(v.CAVV), std,
			base64.RawStdEncoding.EncodeToString(raw),
			base64.URLEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw),
		} {
			b, err := DecodeCAVV(s)
			if err != nil || !bytes.Equal(b, raw) {
				t.Errorf("%s: DecodeCAVV(%s) = %X, %v", v.Source, s, b, err)
			}
		}
	}
}

// TestCAVVPANNormalisation checks the jPOS CAVV rows. jPOS feeds the PAN
// unpadded, so its published values (204, 439) are reproduced by the plain
// CVV algorithm over PAN, UPN and ARC‖SFAC. CAVVValue follows the Visa text
// and our contract (PAN right-justified in 16 digits) and gives other values
// for this 12-digit PAN: regression points computed here (743, 671). For a
// 16-digit PAN the two readings coincide (pablom/go-cavv row: 972).
func TestCAVVPANNormalisation(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.JPOSCAVV {
		k := newCVK(t, v.Key)
		sc := string('0'+v.ARC) + v.SecondFactorCode
		if have, err := k.Generate(v.PAN, v.UPN, sc); have != v.JPOSValue || err != nil {
			t.Errorf("%s: jPOS reading: have %q, %v; want %s", v.Source, have, err, v.JPOSValue)
		}
		c := CAVV{AuthResultsCode: v.ARC, SecondFactorCode: v.SecondFactorCode, ATN: "000000000000" + v.UPN}
		if have, err := k.CAVVValue(v.PAN, c); have != v.PaddedValue || err != nil {
			t.Errorf("%s: padded reading (regression): have %q, %v; want %s", v.Source, have, err, v.PaddedValue)
		}
	}
	for _, v := range vf.VisaCAVV {
		k := newCVK(t, v.Key)
		jpos, err := k.Generate(v.PAN, v.ATN[12:], string('0'+v.ARC)+v.SecondFactorCode)
		c := CAVV{AuthResultsCode: v.ARC, SecondFactorCode: v.SecondFactorCode, ATN: v.ATN}
		ours, err2 := k.CAVVValue(v.PAN, c)
		if err != nil || err2 != nil || jpos != ours || ours != v.Output {
			t.Errorf("%s: jPOS reading %q (%v), ours %q (%v), want both %s", v.Source, jpos, err, ours, err2, v.Output)
		}
	}
}

// TestCAVVInputPAN checks the 16-digit normalisation of CAVVInput.
func TestCAVVInputPAN(t *testing.T) {
	c := CAVV{AuthResultsCode: 0, SecondFactorCode: "01", ATN: "1234567890123456"}
	tests := []struct{ pan, want string }{
		{"4123456789012345", "4123456789012345"},
		{"123456789012", "0000123456789012"},
		{"1", "0000000000000001"},
		{"530030100000088888", "0030100000088888"},
		{"5300301000000888881", "0301000000888881"},
	}
	for _, tt := range tests {
		pan16, exp, sc, err := CAVVInput(tt.pan, c)
		if pan16 != tt.want || exp != "3456" || sc != "001" || err != nil {
			t.Errorf("CAVVInput(%s) = %s, %s, %s, %v; want %s, 3456, 001", tt.pan, pan16, exp, sc, err, tt.want)
		}
	}
}

// goCAVV is the pablom/go-cavv CAVV (see testdata).
const goCAVV = "0700010972799396022310347279930000000000"

// TestVerifyCAVVRejects checks that the go-cavv CAVV fails under a wrong
// key, PAN, ATN, results code or second factor code, or with another
// output.
func TestVerifyCAVVRejects(t *testing.T) {
	good, err := ParseCAVV(unhex(t, goCAVV))
	if err != nil {
		t.Fatal(err)
	}
	const key, pan = "0123456789ABCDEFFEDCBA9876543210", "4123456789012345"
	tests := []struct {
		name     string
		key, pan string
		edit     func(*CAVV)
	}{
		{"wrong key", "0123456789ABCDEFFEDCBA9876543212", pan, nil},
		{"wrong PAN", key, "4123456789012346", nil},
		{"ATN last digits changed", key, pan, func(c *CAVV) { c.ATN = c.ATN[:15] + "4" }},
		{"results code changed", key, pan, func(c *CAVV) { c.AuthResultsCode = 0 }},
		{"second factor changed", key, pan, func(c *CAVV) { c.SecondFactorCode = "01" }},
		{"output changed", key, pan, func(c *CAVV) { c.Output = "973" }},
	}
	for _, tt := range tests {
		c := good
		if tt.edit != nil {
			tt.edit(&c)
		}
		ok, err := newCVK(t, tt.key).VerifyCAVV(tt.pan, c)
		if ok || err != nil {
			t.Errorf("%s: VerifyCAVV = %v, %v; want false, nil", tt.name, ok, err)
		}
	}
	// The ATN's first 12 digits, the key indicator, version, action and IP
	// are not inputs of CAVV algorithm 2: changing them keeps it valid.
	c := good
	c.ATN = "0000000000007993"
	c.KeyIndicator, c.Version, c.Action, c.IP = "02", 1, 2, [4]byte{10, 0, 0, 1}
	if ok, err := newCVK(t, key).VerifyCAVV(pan, c); !ok || err != nil {
		t.Errorf("non-input fields changed: VerifyCAVV = %v, %v; want true", ok, err)
	}
}

// TestParseCAVVRejects changes one nibble or the length of the go-cavv CAVV
// and checks that the error names the field.
func TestParseCAVVRejects(t *testing.T) {
	good := unhex(t, goCAVV)
	tests := []struct {
		name  string
		edit  func([]byte) []byte
		field string
	}{
		{"19 bytes", func(b []byte) []byte { return b[:19] }, "length"},
		{"21 bytes", func(b []byte) []byte { return append(b, 0) }, "length"},
		{"empty", func([]byte) []byte { return nil }, "length"},
		{"ARC low nibble A", func(b []byte) []byte { b[0] = 0x0A; return b }, "authentication results code"},
		{"ARC high nibble set", func(b []byte) []byte { b[0] = 0x17; return b }, "authentication results code"},
		{"SFAC nibble F", func(b []byte) []byte { b[1] = 0x0F; return b }, "second factor code"},
		{"key indicator nibble B", func(b []byte) []byte { b[2] = 0xB1; return b }, "key indicator"},
		{"output leading nibble", func(b []byte) []byte { b[3] = 0x19; return b }, "output"},
		{"output nibble C", func(b []byte) []byte { b[4] = 0x7C; return b }, "output"},
		{"unpredictable number nibble D", func(b []byte) []byte { b[5] = 0xD9; return b }, "unpredictable number"},
		{"ATN nibble E", func(b []byte) []byte { b[10] = 0xE0; return b }, "ATN"},
		{"ATN last nibble A", func(b []byte) []byte { b[14] = 0x9A; return b }, "ATN"},
		{"unpredictable number differs from ATN", func(b []byte) []byte { b[6] = 0x94; return b }, "unpredictable number"},
		{"version nibble A", func(b []byte) []byte { b[15] = 0xA0; return b }, "version and action"},
		{"action nibble F", func(b []byte) []byte { b[15] = 0x0F; return b }, "version and action"},
	}
	for _, tt := range tests {
		b := tt.edit(bytes.Clone(good))
		c, err := ParseCAVV(b)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrCAVV) || errors.Is(err, ErrAAV) {
			t.Errorf("%s: ParseCAVV error %v; want a CAVV *FieldError for %q", tt.name, err, tt.field)
		}
		if c != (CAVV{}) {
			t.Errorf("%s: ParseCAVV returned a non-zero CAVV with its error", tt.name)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "card: CAVV ") || strings.Contains(err.Error(), "7993")) {
			t.Errorf("%s: error text %q", tt.name, err)
		}
	}
	// The IP bytes are binary: any value parses and round-trips.
	b := bytes.Clone(good)
	copy(b[16:], []byte{0xFF, 0xAB, 0x00, 0x9C})
	c, err := ParseCAVV(b)
	if err != nil || c.IP != [4]byte{0xFF, 0xAB, 0x00, 0x9C} || !bytes.Equal(c.Append(nil), b) {
		t.Errorf("IP bytes: %v, %v", c.IP, err)
	}
}

func TestDecodeCAVVRejects(t *testing.T) {
	raw := unhex(t, goCAVV)
	std := base64.StdEncoding.EncodeToString(raw) // BwABCXJ5k5YCIxA0cnmTAAAAAAA=
	tests := []struct{ name, s string }{
		{"empty", ""},
		{"38 hex digits", goCAVV[:38]},
		{"42 hex digits", goCAVV + "00"},
		{"non-hex digit", "G" + goCAVV[1:]},
		{"base64 of 21 bytes", base64.StdEncoding.EncodeToString(append(raw, 0))},
		{"base64 of 19 bytes", base64.StdEncoding.EncodeToString(raw[:19])},
		{"bad base64 character", "*" + std[1:]},
		{"space", " " + std[1:]},
		{"newline instead of padding", std[:27] + "\n"},
		{"newline inside", std[:10] + "\n" + std[11:]},
		{"padding in the middle", std[:5] + "=" + std[6:]},
		{"double padding", std[:26] + "=="},
		{"std and URL alphabets mixed", "+-" + std[2:]},
		{"non-canonical trailing bits", std[:26] + "B="},
		{"unpadded non-canonical", std[:26] + "B"},
	}
	for _, tt := range tests {
		b, err := DecodeCAVV(tt.s)
		var fe *FieldError
		if b != nil || !errors.As(err, &fe) || fe.Field != "encoding" || !errors.Is(err, ErrCAVV) {
			t.Errorf("%s: DecodeCAVV = %X, %v; want nil and an encoding error", tt.name, b, err)
		}
	}
}

func TestCAVVValidateAndAppend(t *testing.T) {
	good, _ := ParseCAVV(unhex(t, goCAVV))
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(parsed) = %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*CAVV)
		field string
	}{
		{"results code 10", func(c *CAVV) { c.AuthResultsCode = 10 }, "authentication results code"},
		{"results code as ASCII", func(c *CAVV) { c.AuthResultsCode = '7' }, "authentication results code"},
		{"second factor 1 digit", func(c *CAVV) { c.SecondFactorCode = "0" }, "second factor code"},
		{"key indicator letters", func(c *CAVV) { c.KeyIndicator = "0A" }, "key indicator"},
		{"output 4 digits", func(c *CAVV) { c.Output = "0972" }, "output"},
		{"output empty", func(c *CAVV) { c.Output = "" }, "output"},
		{"ATN 15 digits", func(c *CAVV) { c.ATN = c.ATN[1:] }, "ATN"},
		{"version 10", func(c *CAVV) { c.Version = 10 }, "version and action"},
		{"action 15", func(c *CAVV) { c.Action = 15 }, "version and action"},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		err := c.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: Validate = %v; want field %q", tt.name, err, tt.field)
		}
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "card: CAVV.Append of an invalid CAVV") {
					t.Errorf("%s: Append recovered %v; want its panic", tt.name, r)
				}
			}()
			c.Append(nil)
		}()
	}
	// A hand-built valid CAVV appends to an existing buffer.
	c := CAVV{AuthResultsCode: 0, SecondFactorCode: "02", KeyIndicator: "01", Output: "005", ATN: "0000000000000042", Version: 1, Action: 3, IP: [4]byte{192, 0, 2, 1}}
	have := c.Append([]byte("x"))
	want := append([]byte("x"), unhex(t, "00020100050042000000000000004213C0000201")...)
	if !bytes.Equal(have, want) {
		t.Errorf("Append: have %X, want %X", have, want)
	}
	if back, err := ParseCAVV(have[1:]); err != nil || back != c {
		t.Errorf("ParseCAVV(Append) = %+v, %v", back, err)
	}
}

func TestCAVVInputErrors(t *testing.T) {
	good, _ := ParseCAVV(unhex(t, goCAVV))
	k := newCVK(t, "0123456789ABCDEFFEDCBA9876543210")
	bad := good
	bad.ATN = "960223103472799X"
	for _, tt := range []struct {
		name string
		pan  string
		c    CAVV
		want error
	}{
		{"empty PAN", "", good, ErrPAN},
		{"20-digit PAN", "41234567890123456789", good, ErrPAN},
		{"PAN with letter", "41234567890123A5", good, ErrPAN},
		{"bad ATN", "4123456789012345", bad, ErrCAVV},
	} {
		if _, _, _, err := CAVVInput(tt.pan, tt.c); !errors.Is(err, tt.want) {
			t.Errorf("%s: CAVVInput err = %v, want %v", tt.name, err, tt.want)
		}
		if v, err := k.CAVVValue(tt.pan, tt.c); v != "" || !errors.Is(err, tt.want) {
			t.Errorf("%s: CAVVValue = %q, %v, want %v", tt.name, v, err, tt.want)
		}
		if ok, err := k.VerifyCAVV(tt.pan, tt.c); ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyCAVV = %v, %v, want %v", tt.name, ok, err, tt.want)
		}
	}
	noOut := good
	noOut.Output = "97"
	if ok, err := k.VerifyCAVV("4123456789012345", noOut); ok || !errors.Is(err, ErrCAVV) {
		t.Errorf("2-digit output: VerifyCAVV = %v, %v", ok, err)
	}
}

// TestResultsCode checks Visa table D-2 (via pablom/go-cavv visa_cavv.go).
func TestResultsCode(t *testing.T) {
	for status, want := range map[byte]byte{'Y': 0, 'A': 7, 'U': 5, 'N': 9, 'R': 9} {
		if have, err := ResultsCode(status); have != want || err != nil {
			t.Errorf("ResultsCode(%c) = %d, %v; want %d", status, have, err, want)
		}
	}
	for _, status := range []byte{'C', 'D', 'I', 'y', 0, '0'} {
		if _, err := ResultsCode(status); !errors.Is(err, ErrTransStatus) {
			t.Errorf("ResultsCode(%q): err = %v, want ErrTransStatus", status, err)
		}
	}
}

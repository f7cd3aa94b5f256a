package card

import (
	"errors"
	"strings"
	"testing"
)

// TestGenerateVectors checks Generate against every CVV row of
// testdata/vectors.json (sources beside each row).
func TestGenerateVectors(t *testing.T) {
	for _, v := range loadVectors(t).CVV {
		k := newCVK(t, v.CVK)
		have, err := k.Generate(v.PAN, v.Expiry, v.ServiceCode)
		if err != nil {
			t.Errorf("%s: %v", v.Source, err)
			continue
		}
		if have != v.CVV {
			t.Errorf("%s: have %s, want %s", v.Source, have, v.CVV)
		}
	}
}

// TestVerifyVectors checks that each published value verifies and that a
// value differing in any one digit does not.
func TestVerifyVectors(t *testing.T) {
	for _, v := range loadVectors(t).CVV {
		k := newCVK(t, v.CVK)
		ok, err := k.Verify(v.PAN, v.Expiry, v.ServiceCode, v.CVV)
		if err != nil || !ok {
			t.Errorf("%s: Verify(correct) = %v, %v", v.Source, ok, err)
		}
		for i := range ValueLen {
			b := []byte(v.CVV)
			b[i] = '0' + (b[i]-'0'+1)%10
			if ok, err := k.Verify(v.PAN, v.Expiry, v.ServiceCode, string(b)); ok || err != nil {
				t.Errorf("%s: Verify(digit %d changed) = %v, %v", v.Source, i, ok, err)
			}
		}
	}
}

// TestVerifyRejectsWrongInputs checks that the classic example (561) fails
// with a wrong key, PAN, expiry or service code.
func TestVerifyRejectsWrongInputs(t *testing.T) {
	const key = "0123456789ABCDEFFEDCBA9876543210" // classic published example
	tests := []struct {
		name                 string
		key, pan, exp, sc, v string
	}{
		{"wrong CVK (a key bit, not a parity bit)", "0123456789ABCDEFFEDCBA9876543212", "4123456789012345", "8701", "101", "561"},
		{"swapped halves", "FEDCBA98765432100123456789ABCDEF", "4123456789012345", "8701", "101", "561"},
		{"wrong PAN", key, "4123456789012346", "8701", "101", "561"},
		{"shorter PAN", key, "412345678901234", "8701", "101", "561"},
		{"wrong expiry", key, "4123456789012345", "0187", "101", "561"},
		{"wrong service code", key, "4123456789012345", "8701", "201", "561"},
	}
	for _, tt := range tests {
		k := newCVK(t, tt.key)
		ok, err := k.Verify(tt.pan, tt.exp, tt.sc, tt.v)
		if err != nil || ok {
			t.Errorf("%s: Verify = %v, %v; want false, nil", tt.name, ok, err)
		}
	}
	// And the unmodified row does verify, so the cases above fail for their
	// own reason.
	if ok, err := newCVK(t, key).Verify("4123456789012345", "8701", "101", "561"); !ok || err != nil {
		t.Fatalf("classic example: Verify = %v, %v", ok, err)
	}
}

// TestInputErrors checks the sentinel error for every malformed input, and
// that no error message repeats the value it rejects.
func TestInputErrors(t *testing.T) {
	k := newCVK(t, "0123456789ABCDEFFEDCBA9876543210")
	const pan, exp, sc = "4123456789012345", "8701", "101"
	tests := []struct {
		name              string
		pan, exp, sc, val string
		want              error
	}{
		{"empty PAN", "", exp, sc, "561", ErrPAN},
		{"20-digit PAN", "41234567890123456789", exp, sc, "561", ErrPAN},
		{"PAN with letter", "412345678901234A", exp, sc, "561", ErrPAN},
		{"PAN with space", "4123 56789012345", exp, sc, "561", ErrPAN},
		{"PAN with F", "412345678901234F", exp, sc, "561", ErrPAN},
		{"expiry 3 digits", pan, "870", sc, "561", ErrExpiry},
		{"expiry 5 digits", pan, "87011", sc, "561", ErrExpiry},
		{"expiry with slash", pan, "87/1", sc, "561", ErrExpiry},
		{"service code 2 digits", pan, exp, "10", "561", ErrServiceCode},
		{"service code 4 digits", pan, exp, "1010", "561", ErrServiceCode},
		{"service code non-digit", pan, exp, "1:1", "561", ErrServiceCode},
		{"value 2 digits", pan, exp, sc, "56", ErrValue},
		{"value 4 digits", pan, exp, sc, "5610", ErrValue},
		{"value non-digit", pan, exp, sc, "56A", ErrValue},
		{"value empty", pan, exp, sc, "", ErrValue},
		{"PAN checked before value", "", exp, sc, "", ErrPAN},
	}
	for _, tt := range tests {
		ok, err := k.Verify(tt.pan, tt.exp, tt.sc, tt.val)
		if ok || !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify = %v, %v; want false, %v", tt.name, ok, err, tt.want)
		}
		if tt.want != ErrValue {
			if v, err := k.Generate(tt.pan, tt.exp, tt.sc); v != "" || !errors.Is(err, tt.want) {
				t.Errorf("%s: Generate = %q, %v; want \"\", %v", tt.name, v, err, tt.want)
			}
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "card: ") {
				t.Errorf("%s: error %q does not start with \"card: \"", tt.name, msg)
			}
			for _, s := range []string{tt.pan, tt.exp, tt.sc, tt.val} {
				if len(s) >= 2 && strings.Contains(msg, s) {
					t.Errorf("%s: error %q contains an input value", tt.name, msg)
				}
			}
		}
	}
}

// TestPANLengths checks the accepted PAN lengths 1..19 (the 19-digit case
// fills 26 of the 32 input digits).
func TestPANLengths(t *testing.T) {
	k := newCVK(t, "0123456789ABCDEFFEDCBA9876543210")
	const digits = "4123456789012345678"
	for n := 1; n <= MaxPANLen; n++ {
		v, err := k.Generate(digits[:n], "8701", "101")
		if err != nil || len(v) != ValueLen || !isDigits(v) {
			t.Errorf("PAN of %d digits: Generate = %q, %v", n, v, err)
		}
	}
}

func TestNewCVKKeyLengths(t *testing.T) {
	for _, n := range []int{0, 8, 15, 17, 24, 32} {
		if _, err := NewCVK(make([]byte, n)); !errors.Is(err, ErrKey) {
			t.Errorf("NewCVK(%d bytes): err = %v, want ErrKey", n, err)
		}
	}
	for _, n := range [][2]int{{8, 7}, {7, 8}, {16, 8}, {0, 0}} {
		if _, err := NewCVKPair(make([]byte, n[0]), make([]byte, n[1])); !errors.Is(err, ErrKey) {
			t.Errorf("NewCVKPair(%d, %d bytes): err = %v, want ErrKey", n[0], n[1], err)
		}
	}
}

// TestNewCVKPairMatchesNewCVK checks that two halves give the same CVVs as
// the 16-byte form (jPOS testCalculateCVDImpl2: 453).
func TestNewCVKPairMatchesNewCVK(t *testing.T) {
	k, err := NewCVKPair(unhex(t, "1234567812345678"), unhex(t, "8765432187654321"))
	if err != nil {
		t.Fatal(err)
	}
	if have, err := k.Generate("123456789012", "1108", "000"); have != "453" || err != nil {
		t.Errorf("Generate = %q, %v; want 453", have, err)
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		sc   string // ServiceCode("101")
	}{
		{"cvv", CVV, "101"},
		{"cvv2", CVV2, ServiceCodeCVV2},
		{"icvv", ICVV, ServiceCodeICVV},
	}
	for _, tt := range tests {
		k, err := ParseKind(tt.name)
		if err != nil || k != tt.kind {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", tt.name, k, err, tt.kind)
		}
		if s := k.String(); s != tt.name {
			t.Errorf("%v.String() = %q, want %q", tt.kind, s, tt.name)
		}
		if sc := k.ServiceCode("101"); sc != tt.sc {
			t.Errorf("%v.ServiceCode(101) = %q, want %q", tt.kind, sc, tt.sc)
		}
		b, err := k.MarshalText()
		var back Kind
		if err != nil || back.UnmarshalText(b) != nil || back != k {
			t.Errorf("%v: text round trip gave %v (%v)", tt.kind, back, err)
		}
	}
	for _, s := range []string{"", "CVV", "cvc", "cvv1", "icvv ", "cvv3"} {
		if _, err := ParseKind(s); !errors.Is(err, ErrKind) {
			t.Errorf("ParseKind(%q): err = %v, want ErrKind", s, err)
		}
	}
	var zero Kind
	if err := zero.UnmarshalText([]byte("CVV2")); !errors.Is(err, ErrKind) || zero != 0 {
		t.Errorf("UnmarshalText(CVV2) = %v, kind %v", err, zero)
	}
	if _, err := zero.MarshalText(); !errors.Is(err, ErrKind) {
		t.Errorf("Kind(0).MarshalText: err = %v, want ErrKind", err)
	}
	if zero.String() != "unknown" || zero.ServiceCode("101") != "" {
		t.Errorf("Kind(0): String %q, ServiceCode %q", zero.String(), zero.ServiceCode("101"))
	}
}

// TestKindsMatchVectors checks that the kinds select the service codes the
// CryptoCarver rows use (CVV2 765, iCVV 133 for PAN 4111..., 2512).
func TestKindsMatchVectors(t *testing.T) {
	k := newCVK(t, "0123456789ABCDEFFEDCBA9876543210")
	for kind, want := range map[Kind]string{CVV: "139", CVV2: "765", ICVV: "133"} {
		have, err := k.Generate("4111111111111111", "2512", kind.ServiceCode("201"))
		if have != want || err != nil {
			t.Errorf("%v: have %q, %v; want %s", kind, have, err, want)
		}
	}
}

// TestParityBitsIgnored documents that DES ignores the low bit of each key
// byte, so a CVK differing only in parity gives the same CVV (the simulator,
// not this package, rejects keys with bad parity).
func TestParityBitsIgnored(t *testing.T) {
	k := newCVK(t, "0123456789ABCDEFFEDCBA9876543211")
	if have, err := k.Generate("4123456789012345", "8701", "101"); have != "561" || err != nil {
		t.Errorf("Generate = %q, %v; want 561", have, err)
	}
}

package keys

import (
	"errors"
	"strings"
	"testing"
)

// TestLMKPairOfPairCodes checks the pair code -> LMK pair table of the
// Thales key type table (ThalesSim KeyTypeTable.ParseKeyTypeCode; payment-crypto.md
// §8.1; hsm-protocol.md §3.2).
func TestLMKPairOfPairCodes(t *testing.T) {
	want := map[string]string{
		"00": "04-05", "01": "06-07", "02": "14-15", "03": "16-17", "04": "18-19",
		"05": "20-21", "06": "22-23", "07": "24-25", "08": "26-27", "09": "28-29",
		"0A": "30-31", "0B": "32-33", "0C": "34-35", "0D": "36-37", "0E": "38-39",
	}
	for code, pair := range want {
		kt, err := ParsePairCode(code)
		if err != nil {
			t.Fatalf("ParsePairCode(%q): %v", code, err)
		}
		if have := pairLabel(kt.LMKPair()); have != pair {
			t.Errorf("pair code %s: LMK pair %s, want %s", code, have, pair)
		}
		if kt.Variant != 0 {
			t.Errorf("ParsePairCode(%q) variant %d, want 0", code, kt.Variant)
		}
	}
}

// TestNamedKeyTypes checks the named key types against the contract's table
// (docs/spec/hostcmd.md §3).
func TestNamedKeyTypes(t *testing.T) {
	tests := []struct {
		name    string
		kt      KeyType
		code    string
		pair    string
		variant byte
	}{
		{"ZMK", ZMK, "000", "04-05", 0},
		{"ZPK", ZPK, "001", "06-07", 0},
		{"TPK", TPK, "002", "14-15", 0},
		{"TMK", TMK, "002", "14-15", 0},
		{"PVK", PVK, "002", "14-15", 0},
		{"TAK", TAK, "003", "16-17", 0},
		{"ZAK", ZAK, "008", "26-27", 0},
		{"BDK", BDK, "009", "28-29", 0},
		{"MKAC", MKAC, "109", "28-29", 1},
		{"MKSMI", MKSMI, "209", "28-29", 2},
		{"MKSMC", MKSMC, "309", "28-29", 3},
		{"MKCVC3", MKCVC3, "709", "28-29", 7},
		{"ZEK", ZEK, "00A", "30-31", 0},
		{"DEK", DEK, "00B", "32-33", 0},
		{"CVK", CVK, "402", "14-15", 4},
		{"HMACKey", HMACKey, "10C", "34-35", 1},
	}
	for _, tc := range tests {
		if have := tc.kt.String(); have != tc.code {
			t.Errorf("%s.String() = %q, want %q", tc.name, have, tc.code)
		}
		if have := pairLabel(tc.kt.LMKPair()); have != tc.pair {
			t.Errorf("%s pair %s, want %s", tc.name, have, tc.pair)
		}
		if tc.kt.Variant != tc.variant {
			t.Errorf("%s variant %d, want %d", tc.name, tc.kt.Variant, tc.variant)
		}
		parsed, err := ParseKeyType(tc.code)
		if err != nil || parsed != tc.kt {
			t.Errorf("ParseKeyType(%q) = %v, %v; want %v", tc.code, parsed, err, tc.name)
		}
	}
}

func TestParseKeyType(t *testing.T) {
	// Every valid code round-trips through String (upper case).
	n := 0
	for v := byte(0); v <= 9; v++ {
		for pc := byte(0); pc <= 0x0E; pc++ {
			kt := KeyType{v, pc}
			s := kt.String()
			p, err := ParseKeyType(s)
			if err != nil || p != kt {
				t.Errorf("ParseKeyType(%q) = %v, %v; want %v", s, p, err, kt)
			}
			if p2, err := ParseKeyType(strings.ToLower(s)); err != nil || p2 != kt {
				t.Errorf("ParseKeyType(%q) = %v, %v; want %v", strings.ToLower(s), p2, err, kt)
			}
			n++
		}
	}
	if n != 150 {
		t.Fatalf("%d codes", n)
	}
	for _, bad := range []string{"", "00", "0000", "00F", "0FF", "A02", "F02", " 02", "0 2", "-02", "0G2", "40Z", "1\x0002"} {
		if kt, err := ParseKeyType(bad); !errors.Is(err, ErrKeyType) {
			t.Errorf("ParseKeyType(%q) = %v, %v; want ErrKeyType", bad, kt, err)
		}
	}
	for _, bad := range []string{"", "0", "000", "0F", "FF", "10", "G0", "1A"} {
		if kt, err := ParsePairCode(bad); !errors.Is(err, ErrKeyType) {
			t.Errorf("ParsePairCode(%q) = %v, %v; want ErrKeyType", bad, kt, err)
		}
	}
	if kt, err := ParsePairCode("0a"); err != nil || kt != ZEK {
		t.Errorf("ParsePairCode(\"0a\") = %v, %v; want ZEK", kt, err)
	}
}

func TestInvalidKeyType(t *testing.T) {
	for _, kt := range []KeyType{{10, 0}, {0, 0x0F}, {255, 255}} {
		if kt.LMKPair() != -1 || kt.String() != "???" {
			t.Errorf("%#v: LMKPair %d, String %q", kt, kt.LMKPair(), kt.String())
		}
		if _, err := TestLMK().Encrypt(kt, SchemeU, mustKey(t, "0123456789ABCDEFFEDCBA9876543210")); !errors.Is(err, ErrKeyType) {
			t.Errorf("Encrypt(%#v): err %v, want ErrKeyType", kt, err)
		}
		if _, err := TestLMK().Decrypt(kt, SchemeU, make([]byte, 16)); !errors.Is(err, ErrKeyType) {
			t.Errorf("Decrypt(%#v): err %v, want ErrKeyType", kt, err)
		}
	}
}

func TestSchemes(t *testing.T) {
	tests := []struct {
		s      Scheme
		keyLen int
		prefix byte
		str    string
		parse  bool
	}{
		{SchemeSingle, 8, 0, "Z", true},
		{SchemeU, 16, 'U', "U", true},
		{SchemeT, 24, 'T', "T", true},
		{SchemeX, 16, 'X', "X", true},
		{SchemeY, 24, 'Y', "Y", true},
		{SchemePair, 16, 0, "pair", false},
		{Scheme(0), 0, 0, "invalid", false},
		{Scheme('S'), 0, 0, "invalid", false},
		{Scheme('u'), 0, 0, "invalid", false},
	}
	for _, tc := range tests {
		if tc.s.KeyLen() != tc.keyLen || tc.s.Prefix() != tc.prefix || tc.s.String() != tc.str {
			t.Errorf("scheme %q: KeyLen %d Prefix %q String %q; want %d %q %q",
				byte(tc.s), tc.s.KeyLen(), tc.s.Prefix(), tc.s.String(), tc.keyLen, tc.prefix, tc.str)
		}
		p, err := ParseScheme(byte(tc.s))
		if tc.parse != (err == nil) || tc.parse && p != tc.s {
			t.Errorf("ParseScheme(%q) = %v, %v", byte(tc.s), p, err)
		}
		if err != nil && !errors.Is(err, ErrScheme) {
			t.Errorf("ParseScheme(%q) err %v, want ErrScheme", byte(tc.s), err)
		}
	}
}

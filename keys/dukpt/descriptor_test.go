package dukpt

import (
	"errors"
	"strings"
	"testing"
)

// TestKSNDescriptorExamples: the three public examples of the XYZ reading
// (andyorrock.typepad.com 2006 "605" with a 16-digit KSN; ThalesSim
// KeySerialNumber.vb and its CI/G0 tests "605" with FFFF padding to 20;
// ut-codec-payshield's G0 fixture "A05" + FFFF000001315240003A) and the
// length reading of J8k3/aws-payment-cryptography-hsm-proxy ("014", "018").
func TestKSNDescriptorExamples(t *testing.T) {
	tests := []struct {
		desc, field string
		ksnLen      int
		bdkID       string
		canonical   string
	}{
		{"605", "FFFF9876543210E00001", 16, "987654", "605"},
		{"605", "FFFF9876543210E00008", 16, "987654", "605"},
		{"A05", "FFFF000001315240003A", 20, "FFFF000001", "A05"},
		{"a05", "FFFF000001315240003A", 20, "FFFF000001", "A05"},
		{"014", "FFFF9876543210E00001", 20, "FFFF987654", "A05"},
	}
	for _, tt := range tests {
		d, err := ParseKSNDescriptor(tt.desc)
		if err != nil {
			t.Fatalf("%s: %v", tt.desc, err)
		}
		if d.KSNLen() != tt.ksnLen || d.FieldLen() != 20 || d.String() != tt.canonical {
			t.Errorf("%s: KSNLen %d FieldLen %d String %s", tt.desc, d.KSNLen(), d.FieldLen(), d)
		}
		k, err := d.ParseTDES(tt.field)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.desc, tt.field, err)
		}
		if got := d.BDKID(k); got != tt.bdkID {
			t.Errorf("%s %s: BDK ID %s, want %s", tt.desc, tt.field, got, tt.bdkID)
		}
	}
	// The UT fixture's counter: device ID 31524, counter 0003A.
	d, _ := ParseKSNDescriptor("A05")
	k, _ := d.ParseTDES("FFFF000001315240003A")
	if k.Counter() != 0x3A {
		t.Errorf("UT fixture counter %X", k.Counter())
	}
	a, err := ParseKSNDescriptor("018")
	if err != nil || !a.AES || a.FieldLen() != 24 || a.String() != "018" {
		t.Fatalf("018: %+v %v", a, err)
	}
	if ak, err := a.ParseAES("123456789012345600000001"); err != nil || ak.Counter() != 1 {
		t.Errorf("AES field: %v", err)
	}
	if a.BDKID(KSN{}) != "" {
		t.Error("AES BDKID")
	}
}

func TestKSNDescriptorErrors(t *testing.T) {
	for _, tt := range []struct{ in, msg string }{
		{"", "0 characters"},
		{"60", "2 characters"},
		{"6050", "4 characters"},
		{"6G5", "character 2"},
		{"615", "sub-key length 1"},
		{"F0F", "35-digit KSN"},
		{"B05", "21-digit KSN"},
		{"019", "sub-key length 1"},
	} {
		_, err := ParseKSNDescriptor(tt.in)
		if !errors.Is(err, ErrDescriptor) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseKSNDescriptor(%q): %v, want ErrDescriptor with %q", tt.in, err, tt.msg)
		}
	}
	d, _ := ParseKSNDescriptor("605")
	for _, tt := range []struct {
		field string
		want  error
	}{
		{"0FFF9876543210E00001", ErrDescriptor}, // padding not F
		{"9876543210E00001", ErrKSNLength},      // 16 digits: the field is 20
		{"FFFF9876543210E007FF", ErrCounter},
	} {
		if _, err := d.ParseTDES(tt.field); !errors.Is(err, tt.want) {
			t.Errorf("605 + %s: %v, want %v", tt.field, err, tt.want)
		}
	}
	if _, err := d.ParseAES("123456789012345600000001"); !errors.Is(err, ErrDescriptor) {
		t.Errorf("TDES descriptor, AES KSN: %v", err)
	}
	a, _ := ParseKSNDescriptor("018")
	if _, err := a.ParseTDES("FFFF9876543210E00001"); !errors.Is(err, ErrDescriptor) {
		t.Errorf("AES descriptor, TDES KSN: %v", err)
	}
}

// FuzzKSNDescriptor: the descriptor and KSN-field parsers never panic,
// errors wrap a sentinel, and an accepted descriptor prints as a
// descriptor that parses to itself.
func FuzzKSNDescriptor(f *testing.F) {
	f.Add("605", "FFFF9876543210E00001")
	f.Add("A05", "FFFF000001315240003A")
	f.Add("014", "FFFF9876543210E00001")
	f.Add("018", "123456789012345600000001")
	f.Add("F0F", "")
	f.Add("000", "FFFFFFFFFFFFFFF00001")
	f.Fuzz(func(t *testing.T, desc, field string) {
		d, err := ParseKSNDescriptor(desc)
		if err != nil {
			if !errors.Is(err, ErrDescriptor) {
				t.Fatalf("error %v does not wrap ErrDescriptor", err)
			}
			return
		}
		again, err := ParseKSNDescriptor(d.String())
		if err != nil || again != d {
			t.Fatalf("%q prints as %q, which parses to %+v, %v", desc, d, again, err)
		}
		var perr error
		if d.AES {
			_, perr = d.ParseAES(field)
		} else {
			var k KSN
			k, perr = d.ParseTDES(field)
			if perr == nil && len(d.BDKID(k)) != d.BDKIDLen {
				t.Fatalf("BDKID length")
			}
		}
		if perr != nil && !errors.Is(perr, ErrDescriptor) && !errors.Is(perr, ErrKSNLength) &&
			!errors.Is(perr, ErrKSNHex) && !errors.Is(perr, ErrCounter) {
			t.Fatalf("field error %v wraps no sentinel", perr)
		}
	})
}

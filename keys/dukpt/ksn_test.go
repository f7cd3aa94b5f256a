package dukpt

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKSNErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
		msg  string // a substring the error must carry
	}{
		{"", ErrKSNLength, "0 characters, want 20"},
		{"FFFF9876543210E0001", ErrKSNLength, "19 characters"},
		{"FFFF9876543210E000011", ErrKSNLength, "21 characters"},
		{"123456789012345600000001", ErrKSNLength, "24 characters, want 20"},
		{"FFFF9876543210E0000G", ErrKSNHex, "character 20"},
		{"GFFF9876543210E00001", ErrKSNHex, "character 1"},
		{"FFFF 876543210E00001", ErrKSNHex, "character 5"},
		{"FFFF9876543210E00000", ErrCounter, "zero"},
		{"FFFF9876543210E007FF", ErrCounter, "11 bits set, at most 10"},
		{"FFFF9876543210FFFFFF", ErrCounter, "21 bits set"},
		{"FFFF9876543210FFF801", ErrCounter, "11 bits set"},
	}
	for _, tt := range tests {
		_, err := ParseKSN(tt.in)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseKSN(%q): err %v, want %v containing %q", tt.in, err, tt.want, tt.msg)
		}
	}
}

func TestParseAESKSNErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
		msg  string
	}{
		{"FFFF9876543210E00001", ErrKSNLength, "20 characters, want 24"},
		{"1234567890123456000000010", ErrKSNLength, "25 characters"},
		{"12345678901234560000000x", ErrKSNHex, "character 24"},
		{"123456789012345600000000", ErrCounter, "zero"},
		{"12345678901234560001FFFF", ErrCounter, "17 bits set, at most 16"},
		{"1234567890123456FFFFFFFF", ErrCounter, "32 bits set"},
		{"1234567890123456FFFF0001", ErrCounter, "17 bits set"},
	}
	for _, tt := range tests {
		_, err := ParseAESKSN(tt.in)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseAESKSN(%q): err %v, want %v containing %q", tt.in, err, tt.want, tt.msg)
		}
	}
}

// TestKSNLimits: the last counters each standard allows.
func TestKSNLimits(t *testing.T) {
	for _, s := range []string{"FFFF9876543210E00001", "ffff9876543210fff800", "FFFF9876543210E0FFC0", "FFFF9876543210F00000"} {
		if _, err := ParseKSN(s); err != nil {
			t.Errorf("ParseKSN(%s): %v", s, err)
		}
	}
	last := mustKSN(t, "FFFF9876543210FFF800")
	if last.Counter() != MaxTDESCounter {
		t.Errorf("counter of FFF800: %X", last.Counter())
	}
	if _, err := last.Next(); !errors.Is(err, ErrCounter) {
		t.Errorf("Next after the last TDES counter: err %v", err)
	}
	lastAES := mustAESKSN(t, "1234567890123456FFFF0000")
	if lastAES.Counter() != MaxAESCounter {
		t.Errorf("counter: %X", lastAES.Counter())
	}
	if _, err := lastAES.Next(); !errors.Is(err, ErrCounter) {
		t.Errorf("Next after the last AES counter: err %v", err)
	}
}

// TestKSNNext follows the terminal's counter: X9.24-1 A.4.3 rollover steps
// (openemv/dukpt's sequence EFF800, EFF801, EFF802, EFF804 ... F00000) and
// X9.24-3 skips (0x1FFFE -> 0x20000).
func TestKSNNext(t *testing.T) {
	seq := []string{"EFF800", "EFF801", "EFF802", "EFF804", "EFF808", "EFF810", "EFF820", "EFF840", "EFF880", "EFF900", "EFFA00", "EFFC00", "F00000"}
	k := mustKSN(t, "FFFF9876543210"+seq[0])
	for _, want := range seq[1:] {
		var err error
		if k, err = k.Next(); err != nil {
			t.Fatal(err)
		}
		if got := k.String()[14:]; got != want {
			t.Fatalf("Next: have %s, want %s", got, want)
		}
	}
	// From the initial KSN the first transaction is counter 1.
	first, err := mustKSN(t, "FFFF9876543210E00001").Initial().Next()
	if err != nil || first.String() != "FFFF9876543210E00001" {
		t.Errorf("first KSN: %s, %v", first, err)
	}
	a := mustAESKSN(t, "12345678901234560001FFFE")
	a, err = a.Next()
	if err != nil || a.String() != "123456789012345600020000" {
		t.Errorf("AES Next after 0x1FFFE: %s, %v", a, err)
	}
	// Every counter Next produces is valid, and none valid is skipped
	// (checked over the first 70000 TDES counters).
	k = mustKSN(t, "FFFF9876543210E00001")
	prev := k.Counter()
	for range 70000 {
		n, err := k.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Check(); err != nil {
			t.Fatalf("Next gave an invalid KSN %s: %v", n, err)
		}
		for c := prev + 1; c < n.Counter(); c++ {
			if k.WithCounter(c).Check() == nil {
				t.Fatalf("Next skipped the valid counter %X", c)
			}
		}
		k, prev = n, n.Counter()
	}
}

func TestKSNAccessors(t *testing.T) {
	k := mustKSN(t, "FFFF9876543210E00015")
	if k.Counter() != 0x15 || k.Initial().String() != "FFFF9876543210E00000" {
		t.Errorf("Counter %X Initial %s", k.Counter(), k.Initial())
	}
	// The counter is 21 bits: bit 20 lives in the low bit of the
	// eighth byte's 5 low bits.
	f := mustKSN(t, "FFFF9876543210F00000")
	if f.Counter() != 0x100000 || f.Initial().String() != "FFFF9876543210E00000" {
		t.Errorf("F00000: counter %X initial %s", f.Counter(), f.Initial())
	}
	a := mustAESKSN(t, "1234567890123456000000FF")
	if a.Counter() != 0xFF || a.InitialKeyID() != (InitialKeyID{0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56}) {
		t.Errorf("AES accessors")
	}
	if NewAESKSN(a.InitialKeyID(), 0xFF) != a {
		t.Errorf("NewAESKSN does not rebuild the KSN")
	}
}

func TestKSNFromBytes(t *testing.T) {
	for _, n := range []int{0, 9, 11, 12} {
		if _, err := KSNFromBytes(make([]byte, n)); !errors.Is(err, ErrKSNLength) {
			t.Errorf("KSNFromBytes(%d bytes): %v", n, err)
		}
	}
	for _, n := range []int{0, 10, 11, 13} {
		if _, err := AESKSNFromBytes(make([]byte, n)); !errors.Is(err, ErrKSNLength) {
			t.Errorf("AESKSNFromBytes(%d bytes): %v", n, err)
		}
	}
	if _, err := KSNFromBytes(make([]byte, 10)); !errors.Is(err, ErrCounter) {
		t.Errorf("zero TDES KSN: %v", err)
	}
	if _, err := AESKSNFromBytes(make([]byte, 12)); !errors.Is(err, ErrCounter) {
		t.Errorf("zero AES KSN: %v", err)
	}
	k := mustKSN(t, "FFFF9876543210E00015")
	if b, err := KSNFromBytes(k[:]); err != nil || b != k {
		t.Errorf("KSNFromBytes round trip: %v", err)
	}
	a := mustAESKSN(t, "1234567890123456FFFF0000")
	if b, err := AESKSNFromBytes(a[:]); err != nil || b != a {
		t.Errorf("AESKSNFromBytes round trip: %v", err)
	}
}

package hostcmd

import "testing"

// Clear PINs (BA, NH) and IBM 3624 offsets are decimal digits followed by F
// padding (hostcmd.md §2; hsm-protocol.md, BA and DA field tables).
func TestDigitsThenF(t *testing.T) {
	tests := []struct {
		in     string
		digits int
		padded bool
	}{
		{"", 0, true},
		{"1234", 4, true},
		{"1234F", 4, true},
		{"1234ffFF", 4, true},
		{"FFFF", 0, true},
		{"12F4", 2, false},
		{"1234A", 4, false},
		{"1234F0", 4, false},
	}
	for _, tt := range tests {
		d, ok := digitsThenF([]byte(tt.in))
		if d != tt.digits || ok != tt.padded {
			t.Errorf("%q: have %d, %v want %d, %v", tt.in, d, ok, tt.digits, tt.padded)
		}
	}
}

// A response whose status is not 00 carries no fields, only RCODE, ERR and
// the echoed trailer (hostcmd.md §1).
func TestAppendResponseDropsFieldsOnError(t *testing.T) {
	tests := []struct {
		st     Status
		fields []string
		want   string
	}{
		{Status{}, []string{"1234F", "123456789012"}, "NH001234F123456789012"},
		{Status{Trailer: trl}, nil, "NH00" + trl},
		{Status{Err: InvalidLMKPIN, Trailer: trl}, []string{"1234F"}, "NH" + string(InvalidLMKPIN) + trl},
	}
	for _, tt := range tests {
		if got := string(appendResponse(nil, "NH", &tt.st, tt.fields...)); got != tt.want {
			t.Errorf("have %q want %q", got, tt.want)
		}
	}
}

// Response encoders append into the caller's buffer without allocating.
func TestResponseAppendDoesNotAllocate(t *testing.T) {
	resps := []Response{
		&JF{PINUnderLMK: "01234"},
		&JH{PINBlock: block},
		&BB{PINUnderLMK: "01234"},
		&NH{PIN: "1234F", ReferenceNumber: "123456789012", Status: Status{Trailer: trl}},
		&DD{Status: Status{Err: VerifyFailed}},
	}
	dst := make([]byte, 0, 64)
	for _, r := range resps {
		if n := testing.AllocsPerRun(100, func() { dst = r.AppendBody(dst[:0]) }); n != 0 {
			t.Errorf("%T: %v allocations", r, n)
		}
	}
}

package hostcmd

import (
	"errors"
	"testing"
)

// Typed responses built by a simulator encode to the contract's layout and
// parse back to the same bytes (hostcmd.md §4 response columns).
func TestResponsesRoundTrip(t *testing.T) {
	tests := []struct {
		cmd  string
		resp Response
		want string
	}{
		{"NC", &ND{LMKCheckValue: "F4EDC8DEB67F6E28", Firmware: "0007-E000"}, "ND00F4EDC8DEB67F6E280007-E000"},
		{"NO", &NP{IOBufferSize: 3, EthernetType: 1, TCPSockets: 64, Firmware: "0007-E000", Reserved1: "0", Reserved2: "0001"}, "NP003164" + "0007-E000" + "0" + "0001"},
		{"B2", &B3{Data: []byte("a\x19b")}, "B300a\x19b"},
		{"A0", &A1{KeyUnderLMK: KeyField{SchemeU, zpkU[1:]}, KCV: "6F1E3F"}, "A100" + zpkU + "6F1E3F"},
		{"A0", &A1{KeyUnderLMK: KeyField{SchemeU, zpkU[1:]}, KeyUnderZMK: KeyField{SchemeX, tpkU[1:]}, KCV: "6F1E3F", Status: Status{Trailer: trl}}, "A100" + zpkU + "X" + tpkU[1:] + "6F1E3F" + trl},
		{"A0", &A1{KeyUnderLMK: KeyField{SchemeSingle, zpk1}, KeyUnderZMK: KeyField{SchemeSingle, "0406FBB23A5214DF"}, KCV: "73936E"}, "A100" + zpk1 + "0406FBB23A5214DF73936E"},
		{"BU", &BV{KCV: "0035BBE340A4B763"}, "BV000035BBE340A4B763"},
		{"BU", &BV{KCV: "0035BB"}, "BV000035BB"},
		{"CC", &CD{PINLen: 12, PINBlock: block, DestinationFormat: "47"}, "CD0012" + block + "47"},
		{"JE", &JF{PINUnderLMK: "1234567890123"}, "JF001234567890123"},
		{"JG", &JH{PINBlock: block, Status: Status{Trailer: "\x19"}}, "JH00" + block + "\x19"},
		{"BA", &BB{PINUnderLMK: "01234"}, "BB0001234"},
		{"NG", &NH{PIN: "1234F", ReferenceNumber: "123456789012"}, "NH001234F123456789012"},
		{"DC", &DD{Status: Status{Err: VerifyFailed}}, "DD01"},
		{"EC", &ED{}, "ED00"},
		{"DA", &DB{Status: Status{Err: "02"}}, "DB02"},
		{"EA", &EB{Status: Status{Trailer: trl}}, "EB00" + trl},
		{"CW", &CX{CVV: "561"}, "CX00561"},
		{"CY", &CZ{Status: Status{Err: VerifyFailed}}, "CZ01"},
		{"KQ", &KR{}, "KR00"},
		{"KQ", &KR{ARPC: []byte("\x85\xBC\x09\xB3\xA4\x80\x9D\xE6")}, "KR00\x85\xBC\x09\xB3\xA4\x80\x9D\xE6"},
		{"KW", &KX{ARPC: []byte{1, 2, 3, 4}}, "KX00\x01\x02\x03\x04"},
		{"KW", &KX{ARPC: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Status: Status{Trailer: trl}}, "KX00\x01\x02\x03\x04\x05\x06\x07\x08" + trl},
		{"M6", &M7{MAC: "0123456789ABCDEF"}, "M7000123456789ABCDEF"},
		{"M8", &M9{}, "M900"},
		{"CA", &CB{Status: Status{Err: InvalidPINBlock}, PINLen: 4}, "CB20"}, // fields dropped on error
	}
	for _, tt := range tests {
		got := string(tt.resp.AppendBody(nil))
		if got != tt.want {
			t.Errorf("%T: have %q want %q", tt.resp, got, tt.want)
			continue
		}
		r, err := ParseResponse([2]byte{tt.cmd[0], tt.cmd[1]}, []byte(got))
		if err != nil {
			t.Errorf("%q: %v", got, err)
			continue
		}
		if back := string(r.AppendBody(nil)); back != tt.want {
			t.Errorf("parse+encode: have %q want %q", back, tt.want)
		}
	}
}

func TestErrorResponses(t *testing.T) {
	got := AppendErrorResponse([]byte("x"), [2]byte{'C', 'A'}, InvalidPINFormat)
	if string(got) != "xCB23" {
		t.Fatalf("have %q", got)
	}
	for _, tt := range []struct{ cmd, body string }{
		{"CA", "CB23"}, {"KQ", "KR01"}, {"KQ", "KR04" + trl}, {"NC", "ND13"}, {"M6", "M7A1"},
	} {
		r, err := ParseResponse([2]byte{tt.cmd[0], tt.cmd[1]}, []byte(tt.body))
		if err != nil {
			t.Fatalf("%q: %v", tt.body, err)
		}
		if string(r.ErrorCode()) != tt.body[2:4] || string(r.AppendBody(nil)) != tt.body {
			t.Fatalf("%q: code %s", tt.body, r.ErrorCode())
		}
	}
	// An unknown command's answer is kept raw.
	r, err := ParseResponse([2]byte{'Z', 'Z'}, []byte("Z[68"))
	if err != nil || r.ErrorCode() != CommandDisabled || r.Code() != "Z[" || string(r.AppendBody(nil)) != "Z[68" {
		t.Fatalf("raw: %v %v", r, err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("AppendErrorResponse accepted a bad code")
		}
	}()
	AppendErrorResponse(nil, [2]byte{'C', 'A'}, "5")
}

// Responses that break the contract are *ProtocolErrors naming the field.
func TestMalformedResponses(t *testing.T) {
	tests := []struct{ cmd, body, field string }{
		{"CA", "CB", ""},
		{"CA", "CD00", ""},
		{"CA", "CB0", ""},
		{"CA", "CB0!", "errorCode"},
		{"CA", "CB2001", "trailingData"}, // an error response carries no fields
		{"CA", "CB00", "pinLength"},
		{"CA", "CB0013" + block + "01", "pinLength"},
		{"CA", "CB0004" + block[:15] + "X01", "pinBlock"},
		{"CA", "CB0004" + block + "02", "destinationFormat"},
		{"CA", "CB0004" + block + "01X", "trailingData"},
		{"CA", "CB0004" + block + "01\x19\x01", "trailer"},
		{"NC", "ND00F4EDC8DEB67F6E280007-E00\x01", "firmware"},
		{"BU", "BV00123", "kcv"},
		{"BU", "BV0012345G", "kcv"},
		{"JE", "JF001234", "pinUnderLmk"},
		{"NG", "NH00123F123456789012", "pin"},
		{"NG", "NH001234F12345678901A", "referenceNumber"},
		{"NG", "NH001234F1234567890", "pin"},
		{"CW", "CX0056", "cvv"},
		{"KQ", "KR00\x01\x02\x03", "arpc"},
		{"KW", "KX00\x01\x02\x03\x04\x05", "arpc"},
		{"M6", "M7001234567", "mac"},
		{"A0", "A100" + zpkU + "6F1E3", "kcv"},
		{"A0", "A100Q", "keyUnderLmk"},
	}
	for _, tt := range tests {
		_, err := ParseResponse([2]byte{tt.cmd[0], tt.cmd[1]}, []byte(tt.body))
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Field != tt.field {
			t.Errorf("%q: have %v, want *ProtocolError on field %q", tt.body, err, tt.field)
		}
	}
}

// ParseResponseFor resolves what the response alone cannot: binary data
// that looks like a trailer, and optional fields.
func TestParseResponseForUsesTheRequest(t *testing.T) {
	kq0, _ := ParseRequest([]byte("KQ00" + mkacU + binPAN + binATC + binUN + "01" + "A" + ";" + binAC))
	kq1, _ := ParseRequest([]byte(join(kqParts...) + trl))
	kw3, _ := ParseRequest([]byte("KW42" + mkacU + binPAN + binATC + "02" + "ab" + ";" + binAC + "\x01\x02\x03\x04" + "0"))
	b2req, _ := ParseRequest([]byte("B20003\x19ab" + trl))
	bu6, _ := ParseRequest([]byte("BU011" + zpkU + ";001"))
	m6big, _ := ParseRequest([]byte(with(m6Parts, 3, "1")))
	a0m0, _ := ParseRequest([]byte("A00001U"))
	arpc19 := "\x19ABCDEFG" // an ARPC that looks like a trailer
	tests := []struct {
		req   Request
		body  string
		check func(Response) bool
	}{
		{kq0, "KR00", func(r Response) bool { return r.(*KR).ARPC == nil }},
		{kq1, "KR00" + arpc19 + trl, func(r Response) bool { return string(r.(*KR).ARPC) == arpc19 && r.(*KR).Trailer == trl }},
		{kw3, "KX00\x19abc", func(r Response) bool { return string(r.(*KX).ARPC) == "\x19abc" }},
		{b2req, "B300\x19ab" + trl, func(r Response) bool { return string(r.(*B3).Data) == "\x19ab" && r.(*B3).Trailer == trl }},
		{bu6, "BV006F1E3F", func(r Response) bool { return r.(*BV).KCV == "6F1E3F" }},
		{m6big, "M7000123456789ABCDEF", func(r Response) bool { return r.(*M7).MAC == "0123456789ABCDEF" }},
		{a0m0, "A100" + zpkU + "6F1E3F", func(r Response) bool { return r.(*A1).KeyUnderZMK.Hex == "" }},
	}
	for _, tt := range tests {
		r, err := ParseResponseFor(tt.req, []byte(tt.body))
		if err != nil {
			t.Errorf("%q: %v", tt.body, err)
			continue
		}
		if !tt.check(r) || string(r.AppendBody(nil)) != tt.body {
			t.Errorf("%q: parsed wrongly", tt.body)
		}
	}
	// Without the request the same KR body is read as a trailer.
	r, err := ParseResponse([2]byte{'K', 'Q'}, []byte("KR00"+arpc19))
	if err != nil || r.(*KR).ARPC != nil || r.(*KR).Trailer != Trailer(arpc19) {
		t.Fatalf("heuristic: %v %v", r, err)
	}
	// The request's shape must match: a 16H KCV where 6H was asked for.
	if _, err := ParseResponseFor(bu6, []byte("BV000035BBE340A4B763")); err == nil {
		t.Fatal("16H KCV accepted for KCV type 1")
	}
	if _, err := ParseResponseFor(b2req, []byte("B300\x19a")); err == nil {
		t.Fatal("short echo accepted")
	}
}

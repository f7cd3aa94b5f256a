package rest

import (
	"strings"
	"testing"
)

func TestDecodeRequestNamesTheFirstBadField(t *testing.T) {
	for _, tc := range []struct {
		name, body  string
		code, field string
	}{
		{"valid", `{"key":"alias/zpk","format":"ISO0","method":{"visaPvv":{"pvk":"alias/pvk","pvki":1,"pvv":"1234"}}}`, "", ""},
		{"empty body", ``, CodeInvalidRequest, ""},
		{"not an object", `["pan"]`, CodeInvalidRequest, ""},
		{"string", `"x"`, CodeInvalidRequest, ""},
		{"null", `null`, CodeInvalidRequest, ""},
		{"truncated in value", `{"key":"alias/zpk","pan":"41111`, CodeInvalidRequest, "pan"},
		{"truncated after key", `{"key":"alias/zpk","pan"`, CodeInvalidRequest, "pan"},
		{"truncated nested", `{"method":{"visaPvv":{"pvk":`, CodeInvalidRequest, "method.visaPvv.pvk"},
		{"syntax error", `{"key":"alias/zpk",,}`, CodeInvalidRequest, ""},
		{"bare word", `{"key":alias}`, CodeInvalidRequest, "key"},
		{"trailing data", `{"key":"alias/zpk"} {}`, CodeInvalidRequest, ""},
		{"trailing garbage", `{"key":"alias/zpk"}x`, CodeInvalidRequest, ""},
		{"unknown field", `{"key":"alias/zpk","pinblock":"00"}`, CodeUnknownField, "pinblock"},
		{"case differs", `{"Key":"alias/zpk"}`, CodeUnknownField, "Key"},
		{"unknown nested", `{"method":{"visaPvv":{"pvk":"x","pvkey":"y"}}}`, CodeUnknownField, "method.visaPvv.pvkey"},
		{"unknown method", `{"method":{"abc":{}}}`, CodeUnknownField, "method.abc"},
		{"duplicate", `{"pan":"4111111111111111","pan":"4111111111111112"}`, CodeInvalidField, "pan"},
		{"wrong type string", `{"pan":4111111111111111}`, CodeInvalidField, "pan"},
		{"wrong type int", `{"method":{"visaPvv":{"pvki":"1"}}}`, CodeInvalidField, "method.visaPvv.pvki"},
		{"fraction", `{"method":{"visaPvv":{"pvki":1.5}}}`, CodeInvalidField, "method.visaPvv.pvki"},
		{"overflow", `{"method":{"visaPvv":{"pvki":99999999999999999999999}}}`, CodeInvalidField, "method.visaPvv.pvki"},
		{"object for string", `{"key":{"a":1}}`, CodeInvalidField, "key"},
		{"array for object", `{"method":[1,2]}`, CodeInvalidField, "method"},
		{"too deep", `{"method":{"visaPvv":{"pvk":[[[[[[[[[1]]]]]]]]]}}}`, CodeInvalidField, "method.visaPvv.pvk[0][0][0][0][0]"},
		{"bad escape", `{"key":"\x"}`, CodeInvalidRequest, "key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req pinVerifyRequest
			e := decodeRequest([]byte(tc.body), &req)
			if tc.code == "" {
				if e != nil {
					t.Fatalf("have %v, want success", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("accepted; want %s on %q", tc.code, tc.field)
			}
			if e.code != tc.code || e.field != tc.field || e.status != 400 {
				t.Fatalf("have %d %s field %q (%s), want 400 %s field %q", e.status, e.code, e.field, e.message, tc.code, tc.field)
			}
		})
	}
}

func TestDecodeRequestDoesNotEchoSuspiciousFieldNames(t *testing.T) {
	for _, name := range []string{"4111111111111111", "pin 1234", strings.Repeat("a", 65), "a\"b"} {
		body := `{"` + strings.ReplaceAll(name, `"`, `\"`) + `":1}`
		var req pinVerifyRequest
		e := decodeRequest([]byte(body), &req)
		if e == nil || e.code != CodeUnknownField {
			t.Fatalf("%q: have %v, want unknown_field", name, e)
		}
		if e.field != "" || strings.Contains(e.message, name) {
			t.Fatalf("%q: the error echoes the name: field %q message %q", name, e.field, e.message)
		}
	}
}

func TestValidRequestID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"abc-123", true}, {"6f1c2a5e-0b3d-4c6f-9a1e-123456789012", true}, {"req:1.2_3", true},
		{"", false}, {strings.Repeat("a", 65), false}, {"a b", false}, {"a\nb", false},
		{"4111111111111111", false}, {"x4111111111111y", false}, {"123456789012", true},
	} {
		if have := validRequestID(tc.id); have != tc.ok {
			t.Errorf("validRequestID(%q): have %v, want %v", tc.id, have, tc.ok)
		}
	}
	if id := requestID("4111111111111111"); id == "4111111111111111" || !validRequestID(id) {
		t.Fatalf("requestID kept an unsafe id or made an invalid one: %q", id)
	}
}

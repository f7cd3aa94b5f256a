package hostcmd

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestDUKPTRequestFields: the typed CI and G0 requests carry the contract's
// fields (hostcmd-dukpt.md), hex upper-cased, and the G0 form follows its
// descriptor.
func TestDUKPTRequestFields(t *testing.T) {
	req, err := ParseRequest([]byte(strings.ToLower(join(ciParts...))[:2] + join(ciParts...)[2:]))
	if err == nil {
		t.Fatalf("lower-case command code accepted: %T", req)
	}
	low := "CI" + bdkU + ciParts[2] + "a05" + strings.ToLower(ciParts[4]) + strings.ToLower(ciParts[5]) + "01" + ciParts[7]
	req, err = ParseRequest([]byte(low))
	if err != nil {
		t.Fatal(err)
	}
	ci := req.(*CI)
	if ci.KSNDescriptor != "A05" || ci.KSN != ciParts[4] || string(ci.PINBlock) != ciParts[5] || ci.DestinationFormat != "01" ||
		string(ci.Account) != ciParts[7] || ci.BDK.Scheme != SchemeU || ci.ZPK.Hex != ciParts[2][1:] {
		t.Errorf("CI fields: %+v", *ci)
	}

	req, err = ParseRequest([]byte(join(g0AES...) + "%00"))
	if err != nil {
		t.Fatal(err)
	}
	g := req.(*G0)
	if !g.AES() || g.KSN != g0AES[4] || string(g.PINBlock) != g0AES[5] || g.SourceFormat != FormatISO4 ||
		string(g.PAN) != "4111111111111111" || g.Account != "" || g.LMKID != "00" {
		t.Errorf("G0 AES fields: %+v", *g)
	}
	req, _ = ParseRequest([]byte(join(g0Parts...)))
	if g := req.(*G0); g.AES() || g.PAN != "" || string(g.Account) != g0Parts[8] || g.SourceFormat != FormatISO0 {
		t.Errorf("G0 TDES fields: %+v", *g)
	}
}

// TestDUKPTResponses: CJ and G1 carry CB's fields.
func TestDUKPTResponses(t *testing.T) {
	for _, tc := range []struct{ cmd, body string }{
		{"CI", "CJ00047D26134E85E7DADF01"}, {"G0", "G10004F6052A5891953D7501" + trl}, {"CI", "CJ27"}, {"G0", "G120"},
	} {
		r, err := ParseResponse([2]byte{tc.cmd[0], tc.cmd[1]}, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if got := string(r.AppendBody(nil)); got != tc.body {
			t.Errorf("have %q want %q", got, tc.body)
		}
	}
	r, _ := ParseResponse([2]byte{'C', 'I'}, []byte("CJ00047D26134E85E7DADF01"))
	if cj := r.(*CJ); cj.PINLen != 4 || cj.PINBlock != "7D26134E85E7DADF" || cj.DestinationFormat != "01" {
		t.Errorf("CJ: %+v", *cj)
	}
	if _, err := ParseResponse([2]byte{'G', '0'}, []byte("G10004F6052A5891953D7548")); err == nil {
		t.Error("G1 with destination format 48 accepted")
	}
}

// TestDUKPTSecretsRedacted: a CI or G0 request printed or logged shows no
// key, PIN block, account or PAN; the KSN, which is not secret, may show.
func TestDUKPTSecretsRedacted(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, body := range []string{join(ciParts...), join(g0AES...)} {
		req, err := ParseRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		l.Info("x", "req", req)
		fmt.Fprintf(&buf, "%v %+v %#v\n", req, req, req)
	}
	out := buf.String()
	for _, secret := range []string{bdkU[1:], g0AES[1][1:], ciParts[5], g0AES[5], ciParts[7], "4111111111111111"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows a secret (%d chars)", len(secret))
		}
	}
}

// FuzzParseDUKPT fuzzes the CI and G0 request parsers: never a panic, a
// rejected body gives an *Error with a valid code, and an accepted one
// re-encodes (modulo hex case), carries a KSN that keys/dukpt accepts under
// its descriptor, and is the AES form exactly with descriptor 018.
func FuzzParseDUKPT(f *testing.F) {
	for _, parts := range [][]string{ciParts, g0Parts, g0AES} {
		f.Add([]byte(join(parts...)[2:]), parts[0] == "G0")
	}
	for _, v := range loadVectors(f) {
		if b := v.request(f); len(b) > 2 && (string(b[:2]) == "CI" || string(b[:2]) == "G0") {
			f.Add(b[2:], string(b[:2]) == "G0")
		}
	}
	f.Fuzz(func(t *testing.T, fields []byte, g0 bool) {
		body := append([]byte("CI"), fields...)
		if g0 {
			body[0], body[1] = 'G', '0'
		}
		req := parseFuzzed(t, body)
		if req == nil {
			return
		}
		var desc, ksn string
		aes := false
		switch r := req.(type) {
		case *CI:
			desc, ksn = r.KSNDescriptor, r.KSN
		case *G0:
			desc, ksn, aes = r.KSNDescriptor, r.KSN, r.AES()
			if aes != (len(r.PINBlock) == 32) || aes == (len(r.Account) == 12) {
				t.Fatalf("G0 form does not follow descriptor %s", desc)
			}
		default:
			t.Fatalf("%T", req)
		}
		if checkKSNAccepted(t, desc, ksn) != aes {
			t.Fatalf("descriptor %s accepted for the other form", desc)
		}
	})
}

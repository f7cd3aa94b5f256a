package hostcmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys/dukpt"
)

// TestDUKPTVerifyRequestFields: GO, GQ and GW carry the contract's fields
// (hostcmd-dukpt.md §§6-8), the AES forms the PAN instead of the account.
func TestDUKPTVerifyRequestFields(t *testing.T) {
	req, err := ParseRequest([]byte(join(goParts...)))
	if err != nil {
		t.Fatal(err)
	}
	g := req.(*GO)
	if g.AES() || g.KSN != goParts[4] || string(g.PINBlock) != goParts[5] || g.CheckLen != 4 || string(g.Account) != goParts[7] ||
		g.PAN != "" || string(g.Offset) != goParts[10] || string(g.ValidationData) != goParts[9] {
		t.Errorf("GO fields: %+v", *g)
	}
	req, err = ParseRequest([]byte(join(gqAES...)))
	if err != nil {
		t.Fatal(err)
	}
	q := req.(*GQ)
	if !q.AES() || q.Account != "" || string(q.PAN) != "4111111111111111" || q.PVKI != '1' || string(q.PVV) != "5462" {
		t.Errorf("GQ AES fields: %+v", *q)
	}
	low := "GW" + bdkU + "605" + "ffff9876543210e00001" + "00" + "0011" + strings.ToLower(gwParts[6]) + "9ccc7817"
	req, err = ParseRequest([]byte(low))
	if err != nil {
		t.Fatal(err)
	}
	w := req.(*GW)
	if w.KSN != gwParts[3] || string(w.Message) != "4012345678909D987" || string(w.MAC) != "9CCC7817" || w.MACKey != '0' || w.MACHexLen() != 8 {
		t.Errorf("GW fields: %+v", *w)
	}
	if out := string(w.AppendBody(nil)); out != join(gwParts...) {
		t.Errorf("GW re-encoded: %q", out)
	}
}

// FuzzParseDUKPTVerify fuzzes the GO, GQ and GW request parsers: never a
// panic, a rejected body gives an *Error naming a field with a valid code,
// and an accepted one re-encodes (modulo hex case), carries a KSN that
// keys/dukpt accepts under its descriptor, and takes the AES form (32H
// block, PAN) exactly with descriptor 018.
func FuzzParseDUKPTVerify(f *testing.F) {
	codes := []string{"GO", "GQ", "GW"}
	for _, parts := range [][]string{goParts, goAES, gqParts, gqAES, gwParts, gwAES} {
		for i, c := range codes {
			if c == parts[0] {
				f.Add([]byte(join(parts...)[2:]), uint8(i))
			}
		}
	}
	for _, v := range loadVectors(f) {
		b := v.request(f)
		for i, c := range codes {
			if len(b) > 2 && string(b[:2]) == c {
				f.Add(b[2:], uint8(i))
			}
		}
	}
	f.Fuzz(func(t *testing.T, fields []byte, which uint8) {
		req := parseFuzzed(t, append([]byte(codes[int(which)%len(codes)]), fields...))
		if req == nil {
			return
		}
		var desc, ksn string
		switch r := req.(type) {
		case *GO:
			desc, ksn = r.KSNDescriptor, r.KSN
			checkDUKPTForm(t, &r.DUKPTPIN, r.Account, r.PAN)
		case *GQ:
			desc, ksn = r.KSNDescriptor, r.KSN
			checkDUKPTForm(t, &r.DUKPTPIN, r.Account, r.PAN)
		case *GW:
			desc, ksn = r.KSNDescriptor, r.KSN
			if len(r.Message) == 0 || len(r.MAC) != r.MACHexLen() {
				t.Fatalf("GW message of %d bytes, MAC of %d", len(r.Message), len(r.MAC))
			}
		default:
			t.Fatalf("%T", req)
		}
		checkKSNAccepted(t, desc, ksn)
	})
}

// parseFuzzed parses a fuzzed body: a rejected one must give an *Error
// naming a field with a valid code (nil is returned), an accepted one must
// re-encode to the body modulo hex case.
func parseFuzzed(t *testing.T, body []byte) Request {
	t.Helper()
	req, err := ParseRequest(body)
	if err != nil {
		var he *Error
		if !errors.As(err, &he) || !he.Code.Valid() || he.Field == "" {
			t.Fatalf("not an *Error naming a field: %v", err)
		}
		return nil
	}
	if out := req.AppendBody(nil); !equalModHexCase(out, body) {
		t.Fatalf("re-encoding differs:\nhave %q\nwant %q", out, body)
	}
	return req
}

// checkKSNAccepted fails unless keys/dukpt accepts the descriptor and the
// KSN a parser accepted, and returns whether the descriptor is AES.
func checkKSNAccepted(t *testing.T, desc, ksn string) bool {
	t.Helper()
	d, err := dukpt.ParseKSNDescriptor(desc)
	if err != nil {
		t.Fatalf("descriptor %s accepted: %v", desc, err)
	}
	if d.AES {
		_, err = d.ParseAES(ksn)
	} else {
		_, err = d.ParseTDES(ksn)
	}
	if err != nil {
		t.Fatalf("KSN accepted that keys/dukpt refuses: %v", err)
	}
	return d.AES
}

func checkDUKPTForm[S ~string](t *testing.T, d *DUKPTPIN, acct, pan S) {
	t.Helper()
	if d.AES() != (len(d.PINBlock) == 32) || d.AES() == (len(acct) == 12) || d.AES() != (len(pan) >= 12) {
		t.Fatalf("form does not follow descriptor %s", d.KSNDescriptor)
	}
}

package hostcmd

import (
	"errors"
	"testing"
)

// Format 48 in JE, JG, DC, EC, DA and EA (hostcmd-keyblocks.md §9): the
// PIN key is an AES key block, so the PIN block is 32H; with format 48 the
// account is the PAN and ';'. The block is the ANSI X9.24-3:2017 format 4
// example (PIN 1234, PAN 4111111111111111); the codec does not decrypt.
const (
	iso4Block = "A912150391AB65A67E52883D81CE2D15"
	iso4PAN   = "4111111111111111"
	// A TDES PVK as an S block (shape only: the codec does not open it).
	kbPVK = "S1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE"
)

var (
	je48Parts = []string{"JE", kbZPK, iso4Block, "48", iso4PAN + ";"}
	jg48Parts = []string{"JG", kbZPK, "48", iso4PAN + ";", "01234"}
	dc48Parts = []string{"DC", kbZPK, kbPVK, iso4Block, "48", iso4PAN + ";", "1", "4402"}
	ec48Parts = []string{"EC", kbZPK, kbPVK, iso4Block, "48", iso4PAN + ";", "1", "4402"}
	da48Parts = []string{"DA", kbZPK, kbPVK, "12", iso4Block, "48", "04", iso4PAN + ";", "0123456789012345", "55000002532N", "9708FFFFFFFF"}
	ea48Parts = []string{"EA", kbZPK, kbPVK, "12", iso4Block, "48", "04", iso4PAN + ";", "0123456789012345", "55000002532N", "9708FFFFFFFF"}
)

func init() {
	validRequests = append(validRequests,
		join(je48Parts...), join(je48Parts...)+"%00"+trl,
		with(je48Parts, 4, "1;"), with(je48Parts, 4, "4111111111111111111;"),
		// An AES key with another format: a 32H block and the 12N account.
		join("JE", kbZPK, iso4Block, "01", "411111111111"),
		join(jg48Parts...), join(jg48Parts...)+"%00"+trl,
		join(dc48Parts...), join(ec48Parts...)+trl,
		join(da48Parts...), join(ea48Parts...)+"%00",
	)
}

func TestISO4VerifyRequests(t *testing.T) {
	r, err := ParseRequest([]byte(join(je48Parts...)))
	if err != nil {
		t.Fatal(err)
	}
	je := r.(*JE)
	if je.PINBlock != iso4Block || je.Format != FormatISO4 || je.Account != iso4PAN {
		t.Errorf("JE fields: format %s, block %d chars, account %d digits", je.Format, len(je.PINBlock), len(je.Account))
	}
	r, err = ParseRequest([]byte(join(jg48Parts...)))
	if err != nil {
		t.Fatal(err)
	}
	if jg := r.(*JG); jg.Account != iso4PAN || jg.PINUnderLMK != "01234" {
		t.Errorf("JG: account %d digits, PIN under LMK %d digits", len(jg.Account), len(jg.PINUnderLMK))
	}
	r, err = ParseRequest([]byte(join(dc48Parts...)))
	if err != nil {
		t.Fatal(err)
	}
	if dc := r.(*DC); dc.PINBlock != iso4Block || dc.Account != iso4PAN || dc.PVKI != '1' || dc.PVV != "4402" {
		t.Errorf("DC: block %d chars, account %d digits, PVKI %c, PVV %d digits", len(dc.PINBlock), len(dc.Account), dc.PVKI, len(dc.PVV))
	}
	r, err = ParseRequest([]byte(join(ea48Parts...)))
	if err != nil {
		t.Fatal(err)
	}
	if ea := r.(*EA); ea.PINBlock != iso4Block || ea.Account != iso4PAN || ea.CheckLen != 4 || ea.Offset != "9708FFFFFFFF" {
		t.Errorf("EA: block %d chars, account %d digits, check length %d", len(ea.PINBlock), len(ea.Account), ea.CheckLen)
	}
}

func TestISO4VerifyRequestErrors(t *testing.T) {
	for _, tt := range []struct {
		body  string
		code  Code
		field string
	}{
		// PAN of 20 digits, of none, or without ';'.
		{with(je48Parts, 4, "41111111111111111111;"), InvalidAccount, "account"},
		{with(je48Parts, 4, ";"), InvalidAccount, "account"},
		{with(je48Parts, 4, iso4PAN), InvalidAccount, "account"},
		{with(jg48Parts, 3, iso4PAN+"X"), InvalidInput, "delimiter"},
		// A 16H block under an AES key: the format is read from the block.
		{with(je48Parts, 2, iso4Block[:16]), InvalidPINFormat, "format"},
		{with(dc48Parts, 3, iso4Block[:31]+"Z"), InvalidPINBlock, "pinBlock"},
		{with(ec48Parts, 4, "49"), InvalidPINFormat, "format"},
		{with(dc48Parts, 5, "411111111111"), InvalidAccount, "account"},
		{with(da48Parts, 7, "4111111111111111111111;"), InvalidAccount, "account"},
		{with(ea48Parts, 8, "012345678901234Z"), DecimalizationError, "decimalisationTable"},
	} {
		_, err := ParseRequest([]byte(tt.body))
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code || e.Field != tt.field {
			t.Errorf("%.60q...: have %v, want %s/%s", tt.body, err, tt.code, tt.field)
		}
	}
}

func TestJH32H(t *testing.T) {
	r, err := ParseResponse([2]byte{'J', 'G'}, []byte("JH00"+iso4Block))
	if err != nil || r.(*JH).PINBlock != iso4Block {
		t.Fatalf("JH with a 32H block: %v", err)
	}
	if got := string(r.AppendBody(nil)); got != "JH00"+iso4Block {
		t.Errorf("JH re-encodes to %q", got)
	}
	for _, body := range []string{"JH00" + iso4Block[:20], "JH00" + iso4Block + "00"} {
		if _, err := ParseResponse([2]byte{'J', 'G'}, []byte(body)); err == nil {
			t.Errorf("JH with a %d-character block accepted", len(body)-4)
		}
	}
}

package hostcmd

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testlog"
)

// Key cryptograms and field values from the ThalesSim test suite and
// hsm-protocol.md §5.5/§7 (nickntg/thalessimulatorlibrary HostCommandTests.vb).
const (
	tpkU   = "U8463435FC4B4DAA0C49025272C29B12C"
	zpkU   = "U1EF828AA8F6B80EB83E19FBC373F3A85"
	zpk1   = "BAB32D775A38E4AB"
	zpkT   = "TA5E7D4FE829B0D83C5E7352636C16C7827E197349E34A5CD"
	pvkU   = "U9516F257DFAF0DE7A15099A9E4343B29"
	pvkP   = "7336D50C47128D710DF450BCB2C6461B"
	pvk1   = "FCBA7CF5972CF0DD"
	cvkU   = "U9B4934384B19946B040CD702B4D58145"
	cvkP   = "0A61E674E88C6A7EEABC38C2B2BB492F"
	mkacU  = "U7475636CC30B93B493CF5EA53799EBCC"
	takU   = "U19D25F349FD03CC3556BB05F65283CA1"
	zmkU   = "U0A26760BD07871026B6702C5F9BA25B3"
	block  = "6428EB94035AF53B"
	acct   = "550000025321"
	trl    = "\x19trailer-01"
	binPAN = "\x11\x11\x11\x11\x11\x11\x11\x00"
	binATC = "\x00\x5E"
	binUN  = "\x52\xBF\x45\x85"
	binAC  = "\x07\x6C\x57\x66\xF7\x38\xE9\xA6"
)

// join concatenates the parts of a body.
func join(parts ...string) string { return strings.Join(parts, "") }

// with returns parts joined, with part i replaced by s.
func with(parts []string, i int, s string) string {
	c := append([]string(nil), parts...)
	c[i] = s
	return join(c...)
}

var (
	caParts = []string{"CA", tpkU, zpkU, "12", block, "01", "01", acct}
	ccParts = []string{"CC", zpk1, zpkU, "12", "F7808F2CBEC63168", "03", "01", acct}
	jeParts = []string{"JE", zpkU, "91DDDA0A7C12CFAA", "01", acct}
	jgParts = []string{"JG", zpk1, "01", acct, "01234"}
	baParts = []string{"BA", "1234F", acct}
	ngParts = []string{"NG", acct, "01234"}
	dcParts = []string{"DC", tpkU, pvkU, "028DCC093FB0471F", "03", acct, "1", "4402"}
	ecParts = []string{"EC", zpkU, pvkP, "91DDDA0A7C12CFAA", "01", acct, "1", "4402"}
	daParts = []string{"DA", tpkU, pvk1, "12", block, "01", "04", acct, "0123456789012345", "55000002532N", "9708FFFFFFFF"}
	eaParts = []string{"EA", zpkU, pvkU, "12", "91DDDA0A7C12CFAA", "01", "04", acct, "0123456789012345", "55000002532N", "9708FFFFFFFF"}
	cwParts = []string{"CW", cvkU, "4123456789012345", ";", "8701", "101"}
	cyParts = []string{"CY", cvkP, "561", "4123456789012345", ";", "8701", "101"}
	buParts = []string{"BU", "02", "0", "0406FBB23A5214DF"}
	a0Parts = []string{"A0", "1", "001", "U", ";0", zmkU, "X"}
	kqParts = []string{"KQ", "1", "0", mkacU, binPAN, binATC, binUN, "05", "\x19;%0\x00", ";", binAC, "\x30\x30"}
	kwParts = []string{"KW", "3", "3", mkacU, "19", "\x12\x34\x56\x78\x90\x12\x34\x56\x78\x01", ";", binATC, "03", "\x19\x19;", ";", binAC, "\x01\x02\x03\x04", "3", ";%\x19"}
	m6Parts = []string{"M6", "0", "1", "0", "3", "2", "003", takU, "0004", "0A1B2C3D"}
	// DUKPT: the contract's CI vector and its AES form of G0 (hostcmd-dukpt.md §5).
	bdkU    = "U8E3D3E2FD5919657F05A1AA90D32A014"
	ciParts = []string{"CI", bdkU, "U9D961F6AF1D24B38AB37B320022FF57D", "605", "FFFF9876543210E00001", "1B9C1845EB993A7A", "01", "401234567890"}
	g0Parts = []string{"G0", bdkU, zpkU, "605", "FFFF9876543210E00008", "50E55547A5027551", "01", "01", "401234567890"}
	g0AES   = []string{"G0", "UC0106228334ECB2E12B49BA556660547", zpkU, "018", "123456789012345600000001", "A912150391AB65A67E52883D81CE2D15", "48", "01", "4111111111111111;"}
	m8Parts = []string{"M8", "0", "0", "1", "1", "1", "008", takU, "0003", "\x19%;", "0123456789ABCDEF"}
)

// validRequests are well-formed bodies covering every command and every
// optional part; each must round-trip byte for byte.
var validRequests = []string{
	"NC", "NC%00", "NC" + trl, "NC%01" + trl, "NC\x19",
	"NO00",
	"B20000", "B20005hello", "B20004\x19;%0%00" + trl, "B2000A0123456789",
	"A00001U", "A00002T%00", join(a0Parts...), with(a0Parts, 4, ""), with(a0Parts, 4, ";1"), "A0100AZ" + zpk1 + "Y",
	join(buParts...), "BU011" + zpkU, "BU001U93CB819F8FEE4F78BF9C4CDD84750DB1", "BU0E2" + zpkT,
	"BUFF1" + zpkU + ";001", "BUFF1" + zpkU + ";001;001", "BU011" + zpkU + ";ZZ1", "BU011" + zpkU + ";000%00" + trl,
	join(caParts...), with(caParts, 1, "0406FBB23A5214DF") + trl, with(caParts, 2, zpkT), with(caParts, 3, "04"),
	with(caParts, 6, "47") + "%00", with(caParts, 5, "34"), with(caParts, 5, "05"),
	join(ccParts...), join(jeParts...), join(jgParts...), with(jgParts, 1, zpkT), with(jgParts, 4, "1234567890123") + "%00",
	join(baParts...), with(baParts, 1, "123456789012F"), with(baParts, 1, "1234FFFF") + trl,
	join(ngParts...), join(ngParts...) + "%00" + trl,
	join(dcParts...), with(dcParts, 2, pvkP), join(ecParts...), join(daParts...), with(daParts, 10, "123456789012"), join(eaParts...),
	join(cwParts...), with(cwParts, 1, cvkP), with(cwParts, 2, "4") + trl, with(cwParts, 2, "4999988887777123456"),
	join(cyParts...), with(cyParts, 1, cvkU) + "%00",
	join(kqParts...), with(kqParts, 2, "1") + trl,
	"KQ00" + mkacU + binPAN + binATC + binUN + "01" + "A" + ";" + binAC,
	"KQ21" + mkacU + binPAN + binATC + binUN + binAC + "\x19\x19" + "%00" + trl,
	join(kwParts...),
	"KW02" + mkacU + binPAN + binATC + "01" + ";" + ";" + binAC,
	"KW12" + mkacU + binPAN + binATC + "01" + "\x19" + ";" + binAC + "\x00\x00",
	"KW42" + mkacU + binPAN + binATC + "02" + "ab" + ";" + binAC + "\x01\x02\x03\x04" + "0",
	"KW43" + mkacU + "01" + "\x1F" + ";" + binATC + "01" + "z" + ";" + binAC + "\x01\x02\x03\x04" + "F" + "0123456789ABCDE" + trl,
	join(m6Parts...), "M600011003" + takU + "0003" + "%\x19;" + "%00" + trl,
	with(m6Parts, 7, zpk1), join(m8Parts...), "M801031003" + takU + "0001" + "FF" + "0123ABCD" + trl,
	join(ciParts...), with(ciParts, 1, pvkP) + "%00", with(ciParts, 2, zpk1), with(ciParts, 3, "A05") + trl,
	with(ciParts, 3, "014"), with(ciParts, 4, "FFFF9876543210FFF800"), with(ciParts, 6, "47"),
	join(g0Parts...), with(g0Parts, 7, "34") + "%00" + trl, with(g0Parts, 3, "A05"),
	join(g0AES...), with(g0AES, 4, "1234567890123456FFFF0000") + trl, with(g0AES, 8, "411111111111;"), with(g0AES, 8, "4111111111111111111;"),
	// DUKPT verification (hostcmd-dukpt.md §§6-8).
	join(goParts...), with(goParts, 2, pvkU) + "%00" + trl, join(goAES...),
	join(gqParts...), with(gqParts, 2, pvkP) + trl, join(gqAES...),
	join(gwParts...), with(gwParts, 4, "10") + "%00", join(gwAES...) + trl,
}

var (
	goParts = []string{"GO", bdkU, pvk1, "605", "FFFF9876543210E00002", "10A01C8D02C69107", "04", "401234567890", "0123456789012345", "40123456789N", "9810FFFFFFFF"}
	goAES   = []string{"GO", g0AES[1], pvk1, "018", "123456789012345600000002", "52A00503BD34BA1383F6A7EE9FE2547F", "04", "4111111111111111;", "0123456789012345", "40123456789N", "9682FFFFFFFF"}
	gqParts = []string{"GQ", bdkU, pvkU, "605", "FFFF9876543210E00001", "1B9C1845EB993A7A", "401234567890", "1", "7415"}
	gqAES   = []string{"GQ", g0AES[1], pvkU, "018", "123456789012345600000001", "A912150391AB65A67E52883D81CE2D15", "4111111111111111;", "1", "5462"}
	gwParts = []string{"GW", bdkU, "605", "FFFF9876543210E00001", "00", "0011", "3430313233343536373839303944393837", "9CCC7817"}
	gwAES   = []string{"GW", g0AES[1], "018", "123456789012345600000001", "01", "0011", "3430313233343536373839303944393837", "A2EB5C1C35809E58"}
)

func TestValidRequestsRoundTrip(t *testing.T) {
	for _, body := range validRequests {
		req, err := ParseRequest([]byte(body))
		if err != nil {
			t.Errorf("%q: %v", body, err)
			continue
		}
		if got := req.AppendBody(nil); string(got) != body {
			t.Errorf("round trip:\nhave %q\nwant %q", got, body)
		}
		if req.Code() != body[:2] {
			t.Errorf("%q: Code() = %s", body, req.Code())
		}
		if err := ValidateRequest(req); err != nil {
			t.Errorf("%q: ValidateRequest: %v", body, err)
		}
	}
}

// TestParsersFollowTable checks that each typed parser reads the fields the
// command table declares, in the table's order, and every unconditional one.
func TestParsersFollowTable(t *testing.T) {
	seen := map[string]bool{}
	for _, body := range validRequests {
		var trace []string
		spec, ok := Lookup([2]byte{body[0], body[1]})
		if !ok {
			t.Fatalf("%q: not in the table", body)
		}
		p := newParser(spec.Code, []byte(body), 2)
		p.trace = &trace
		if _, err := spec.parse(&p); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		seen[spec.Code] = true
		j := 0
		for _, f := range spec.RequestFields {
			if j < len(trace) && trace[j] == f.Name {
				j++
				continue
			}
			if f.When == "" {
				t.Errorf("%s %q: unconditional field %s not read (read %v)", spec.Code, body, f.Name, trace)
			}
		}
		if j != len(trace) {
			t.Errorf("%s %q: read %v, not a subsequence of the table's fields", spec.Code, body, trace)
		}
	}
	for _, c := range Commands() {
		if !seen[c.Code] {
			t.Errorf("no valid request for %s", c.Code)
		}
	}
}

func TestLowerCaseHexIsAcceptedAndUpperCased(t *testing.T) {
	tests := []struct{ in, want string }{
		{strings.ToLower(join(caParts...)[2:]), join(caParts...)[2:]},
		{strings.ToLower(join(cwParts...)[2:]), join(cwParts...)[2:]},
		{"1234f" + acct, "1234F" + acct},
		{strings.ToLower(join(daParts...)[2:len(join(daParts...))-24]) + "55000002532N9708ffffffff", join(daParts...)[2:]},
		{strings.ToLower(join(m6Parts...)[2:]), join(m6Parts...)[2:]},
	}
	for _, tt := range tests {
		// Restore the command code and the scheme tags, which are not hex.
		var cmd string
		switch {
		case strings.HasPrefix(tt.want, tpkU+zpkU):
			cmd = "CA"
		case strings.HasPrefix(tt.want, cvkU):
			cmd = "CW"
		case strings.HasPrefix(tt.want, "1234F"):
			cmd = "BA"
		case strings.HasPrefix(tt.want, tpkU+pvk1):
			cmd = "DA"
		default:
			cmd = "M6"
		}
		in := []byte(cmd + tt.in)
		for i, c := range in {
			if c == 'u' { // scheme tags must be upper case
				in[i] = 'U'
			}
		}
		req, err := ParseRequest(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := string(req.AppendBody(nil)); got != cmd+tt.want {
			t.Errorf("have %q\nwant %q", got, cmd+tt.want)
		}
	}
}

// TestRequestErrors: every field's error path gives the contract's code and
// names the field (hostcmd.md §1, §2, §4).
func TestRequestErrors(t *testing.T) {
	long := strings.Repeat("x", MaxTrailerLen+1)
	tests := []struct {
		body  string
		code  Code
		field string
	}{
		// Envelope, any command.
		{"", InvalidInput, "command"},
		{"C", InvalidInput, "command"},
		{"ZZ", CommandDisabled, ""},
		{"A2", CommandDisabled, ""},
		{"NC%", InvalidLMKID, "lmkId"},
		{"NC%0", InvalidLMKID, "lmkId"},
		{"NC%0a", InvalidLMKID, "lmkId"},
		{"NC%00%00", InvalidInput, "trailingData"},
		{"NCx", InvalidInput, "trailingData"},
		{"NC\x19" + long, InvalidInput, "trailer"},
		{"NC\x19ab\x19", InvalidInput, "trailer"},
		{"NC\x19ab\n", InvalidInput, "trailer"},
		// NO.
		{"NO", InvalidInput, "mode"},
		{"NO01", InvalidInput, "mode"},
		{"NO0x", InvalidInput, "mode"},
		// B2.
		{"B2", InvalidInput, "length"},
		{"B2000G", InvalidInput, "length"},
		{"B20004abc", InvalidInput, "data"},
		{"B20002abc", InvalidInput, "trailingData"},
		// A0.
		{"A02001U", InvalidInput, "mode"},
		{"A000GU", InvalidInput, "keyType"},
		{"A00001", InvalidInput, "keySchemeLmk"},
		{"A00001X", InvalidKeyScheme, "keySchemeLmk"},
		{"A00001U;0" + zmkU + "U", InvalidInput, "trailingData"},
		{with(a0Parts, 4, ";2"), InvalidInput, "zmkTmkFlag"},
		{with(a0Parts, 5, "X"+zmkU[1:]), InvalidKeyScheme, "zmkTmk"},
		{with(a0Parts, 6, "S"), InvalidKeyScheme, "keySchemeZmk"},
		{with(a0Parts, 6, ""), InvalidInput, "keySchemeZmk"},
		// BU.
		{"BU0F0" + zpk1, InvalidKeyTypeCode, "keyTypeCode"},
		{"BU1A0" + zpk1, InvalidKeyTypeCode, "keyTypeCode"},
		{"BU0a0" + zpk1, InvalidKeyTypeCode, "keyTypeCode"},
		{"BU023" + zpk1, InvalidKeyLengthFlag, "keyLengthFlag"},
		{"BU021" + zpk1, IncompatibleKeyLength, "key"},
		{"BU020" + zpkU, IncompatibleKeyLength, "key"},
		{"BU022" + zpkU, IncompatibleKeyLength, "key"},
		{"BU021X" + zpkU[1:], InvalidKeyScheme, "key"},
		{"BUFF1" + zpkU, InvalidInput, "delimiter"},
		{"BUFF1" + zpkU + ";00", InvalidInput, "keyType"},
		{"BUFF1" + zpkU + ";00G", InvalidInput, "keyType"},
		{"BU011" + zpkU + ";001;001", InvalidInput, "trailingData"},
		{"BU011" + zpkU + ";002", InvalidInput, "kcvType"},
		{"BU011" + zpkU + "; 01", InvalidInput, "reserved1"},
		// Key fields (CA).
		{"CA", InvalidInput, "tpk"},
		{with(caParts, 1, "Z"+tpkU[1:]), InvalidKeyScheme, "tpk"},
		{with(caParts, 1, "X"+tpkU[1:]), InvalidKeyScheme, "tpk"},
		{with(caParts, 1, "S"+tpkU[1:]), InvalidInput, "tpk"}, // an S block that cannot be delimited
		{with(caParts, 1, "R"+tpkU[1:]), InvalidKeyScheme, "tpk"},
		{with(caParts, 1, "u"+tpkU[1:]), InvalidKeyScheme, "tpk"},
		{with(caParts, 1, tpkU[:32]+"G"), InvalidInput, "tpk"},
		{join(caParts[:2]...) + zpkU[:20], InvalidInput, "zpk"},
		{with(caParts, 2, "Y"+zpkT[1:]), InvalidKeyScheme, "zpk"},
		// PIN translation fields.
		{with(caParts, 3, "13"), InvalidPINLength, "maxPinLength"},
		{with(caParts, 3, "03"), InvalidPINLength, "maxPinLength"},
		{with(caParts, 3, "1x"), InvalidPINLength, "maxPinLength"},
		{with(caParts, 4, "6428EB94035AF53G"), InvalidPINBlock, "pinBlock"},
		{with(caParts, 5, "02"), InvalidPINFormat, "sourceFormat"},
		{with(caParts, 5, "49"), InvalidPINFormat, "sourceFormat"},
		{with(caParts, 6, "99"), InvalidPINFormat, "destinationFormat"},
		{with(caParts, 6, "0A"), InvalidPINFormat, "destinationFormat"},
		{with(caParts, 7, "55000002532X"), InvalidAccount, "account"},
		{with(caParts, 7, "5500000253"), InvalidInput, "account"},
		{with(caParts, 7, acct+"1"), InvalidInput, "trailingData"},
		{join(caParts...) + "%0", InvalidLMKID, "lmkId"},
		{with(ccParts, 1, "X"+zpkU[1:]), InvalidKeyScheme, "sourceZpk"},
		{with(ccParts, 2, "Q"), InvalidKeyScheme, "destinationZpk"},
		{with(ccParts, 5, "00"), InvalidPINFormat, "sourceFormat"},
		{with(jeParts, 3, "02"), InvalidPINFormat, "format"},
		{with(jeParts, 1, "zzzz"), InvalidKeyScheme, "zpk"},
		{with(jeParts, 4, "1234567890AB"), InvalidAccount, "account"},
		// PIN under LMK.
		{with(jgParts, 4, "0123"), InvalidLMKPIN, "pinUnderLmk"},
		{with(jgParts, 4, "01234567890123"), InvalidLMKPIN, "pinUnderLmk"},
		{with(jgParts, 4, ""), InvalidLMKPIN, "pinUnderLmk"},
		{with(jgParts, 4, "0123A"), InvalidLMKPIN, "pinUnderLmk"},
		{with(jgParts, 4, "01234x"), InvalidInput, "trailingData"},
		{with(ngParts, 1, "55000002532A"), InvalidAccount, "account"},
		{with(ngParts, 2, "1234"), InvalidLMKPIN, "pinUnderLmk"},
		// Clear PIN.
		{with(baParts, 1, "123F"), InvalidPINLength, "pin"},
		{with(baParts, 1, "1234567890123F"), InvalidPINLength, "pin"},
		{with(baParts, 1, "1234"), InvalidInput, "pin"},
		{with(baParts, 1, "12F4F"), InvalidInput, "pin"},
		{with(baParts, 1, "1234A"), InvalidInput, "pin"},
		{with(baParts, 1, "1234FFFFFFFFFF"), InvalidInput, "pin"},
		{with(baParts, 2, "55000002532A"), InvalidAccount, "account"},
		{"BA", InvalidPINLength, "pin"},
		{"BA" + acct, InvalidPINLength, "pin"},
		// PVV.
		// A bare 16H PVK is read as the first half of a 32H pair: the
		// misalignment surfaces at the next checked field.
		{with(dcParts, 2, zpk1), InvalidPINFormat, "format"},
		{with(dcParts, 2, "T"+zpkT[1:]), InvalidKeyScheme, "pvk"},
		{with(dcParts, 3, "28DCC093FB0471FZ"), InvalidPINBlock, "pinBlock"},
		{with(dcParts, 4, "49"), InvalidPINFormat, "format"},
		// Format 48 takes the PAN and ';' (hostcmd-keyblocks.md §9): a
		// 12N account without ';' does not delimit.
		{with(dcParts, 4, "48"), InvalidAccount, "account"},
		{with(dcParts, 6, "A"), InvalidInput, "pvki"},
		{with(dcParts, 7, "44O2"), InvalidInput, "pvv"},
		{with(dcParts, 7, "440"), InvalidInput, "pvv"},
		{with(ecParts, 1, "X"+zpkU[1:]), InvalidKeyScheme, "zpk"},
		// IBM 3624 offset.
		{with(daParts, 2, pvkP), InvalidPINLength, "maxPinLength"},
		{with(daParts, 2, "T"+zpkT[1:]), InvalidKeyScheme, "pvk"},
		{with(daParts, 3, "00"), InvalidPINLength, "maxPinLength"},
		{with(daParts, 6, "03"), InvalidInput, "checkLength"},
		{with(daParts, 6, "13"), InvalidInput, "checkLength"},
		{with(daParts, 8, "012345678901234A"), DecimalizationError, "decimalisationTable"},
		{with(daParts, 9, "550000025321"), InvalidInput, "validationData"},
		{with(daParts, 9, "5500000253NN"), InvalidInput, "validationData"},
		{with(daParts, 9, "55000002532X"), InvalidInput, "validationData"},
		{with(daParts, 10, "97F8FFFFFFFF"), InvalidInput, "offset"},
		{with(daParts, 10, "970FFFFFFFFF"), InvalidInput, "offset"},
		{with(daParts, 10, "9708FFFFFFF"), InvalidInput, "offset"},
		{with(eaParts, 1, "Y"+zpkT[1:]), InvalidKeyScheme, "zpk"},
		// CVV.
		{with(cwParts, 1, cvkP[:16]+";"), InvalidInput, "cvk"},
		{with(cwParts, 1, "T"+zpkT[1:]), InvalidKeyScheme, "cvk"},
		{with(cwParts, 2, ""), InvalidInput, "pan"},
		{with(cwParts, 2, "41234567890123456789"), InvalidInput, "pan"},
		{with(cwParts, 3, ""), InvalidInput, "pan"},
		{with(cwParts, 3, "="), InvalidInput, "delimiter"},
		{with(cwParts, 4, "87O1"), InvalidInput, "expiry"},
		{with(cwParts, 5, "10"), InvalidInput, "serviceCode"},
		{join(cyParts[:2]...) + "56", InvalidInput, "cvv"},
		{with(cyParts, 2, "5x1"), InvalidInput, "cvv"},
		// KQ.
		{with(kqParts, 1, "3"), InvalidKeyTypeCode, "mode"},
		{with(kqParts, 2, "2"), InvalidKeyLengthFlag, "scheme"},
		{with(kqParts, 3, "X"+mkacU[1:]), InvalidKeyScheme, "mkAc"},
		{join(kqParts[:4]...) + "\x11\x11", InvalidInput, "panPsn"},
		{with(kqParts, 7, "00"), DataLengthError, "dataLength"},
		{with(kqParts, 7, "0G"), DataLengthError, "dataLength"},
		{with(kqParts, 7, "06"), DataLengthError, "delimiter"},
		{with(kqParts, 7, "04"), DataLengthError, "delimiter"},
		{join(kqParts[:7]...) + "FF" + "abc", DataLengthError, "data"},
		{join(kqParts[:11]...), InvalidInput, "arc"},
		{join(kqParts[:10]...) + "\x07\x6C", InvalidInput, "arqc"},
		{join(kqParts...) + "\x00", InvalidInput, "trailingData"},
		// KW.
		{with(kwParts, 1, "5"), InvalidKeyTypeCode, "mode"},
		{with(kwParts, 2, "0"), InvalidKeyLengthFlag, "scheme"},
		{with(kwParts, 2, "1"), InvalidKeyLengthFlag, "scheme"},
		{with(kwParts, 4, "22"), InvalidInput, "panLength"},
		{with(kwParts, 4, "00"), InvalidInput, "panLength"},
		{with(kwParts, 4, "1x"), InvalidInput, "panLength"},
		{with(kwParts, 4, "17"), InvalidInput, "delimiter"},
		{with(kwParts, 8, "01"), DataLengthError, "delimiter"},
		{with(kwParts, 8, "00"), DataLengthError, "dataLength"},
		{with(kwParts, 13, "G"), InvalidInput, "propAuthDataLength"},
		{with(kwParts, 13, "4"), InvalidInput, "propAuthData"},
		{join(kwParts...) + "x", InvalidInput, "trailingData"},
		{with(kwParts, 13, "5"), InvalidInput, "propAuthData"},
		{join(kwParts[:12]...) + "\x01\x02", InvalidInput, "csu"},
		// M6 / M8.
		{with(m6Parts, 1, "1"), InvalidInput, "mode"},
		{with(m6Parts, 2, "2"), InvalidInput, "inputFormat"},
		{with(m6Parts, 3, "2"), InvalidInput, "macSize"},
		{with(m6Parts, 4, "2"), InvalidInput, "algorithm"},
		{with(m6Parts, 5, "3"), InvalidInput, "padding"},
		{with(m6Parts, 6, "001"), InvalidInput, "keyType"},
		{with(m6Parts, 6, "FFF"), InvalidInput, "keyType"},
		{with(m6Parts, 7, "S"), InvalidInput, "key"},
		{with(m6Parts, 7, "Q"), InvalidKeyScheme, "key"},
		{with(m6Parts, 8, "0000"), DataLengthError, "messageLength"},
		{with(m6Parts, 8, "00G1"), DataLengthError, "messageLength"},
		{with(m6Parts, 8, "0005"), DataLengthError, "message"},
		{with(m6Parts, 8, "0003"), InvalidInput, "trailingData"},
		{with(m6Parts, 9, "0A1B2C3G"), InvalidInput, "message"},
		{with(m8Parts, 8, "0004"), InvalidInput, "mac"},
		{with(m8Parts, 10, "0123456789ABCDE"), InvalidInput, "mac"},
		{with(m8Parts, 10, "0123456789ABCDEG"), InvalidInput, "mac"},
		{with(m8Parts, 10, "0123456789ABCDEF0"), InvalidInput, "trailingData"},
		// CI / G0 (hostcmd-dukpt.md §4): BDK forms.
		{with(ciParts, 1, "T"+zpkT[1:]), IncompatibleKeyLength, "bdk"},
		{with(ciParts, 1, "X"+bdkU[1:]), InvalidInput, "bdk"},
		{with(ciParts, 1, "S"+bdkU[1:]), InvalidInput, "bdk"},
		{with(ciParts, 1, "U"+bdkU[2:]), InvalidInput, "bdk"}, // one digit short: the ZPK's U is read
		{"CI" + pvk1, InvalidInput, "bdk"},
		{with(ciParts, 2, "X"+zpkU[1:]), InvalidKeyScheme, "zpk"},
		// Descriptor and KSN.
		{with(ciParts, 3, "615"), InvalidInput, "ksnDescriptor"},
		{with(ciParts, 3, "018"), InvalidInput, "ksnDescriptor"},
		{with(ciParts, 3, "B05"), InvalidInput, "ksnDescriptor"},
		{with(ciParts, 3, "60G"), InvalidInput, "ksnDescriptor"},
		{with(ciParts, 4, "FFFF9876543210E0000G"), InvalidInput, "ksn"},
		{with(ciParts, 4, "FFFF9876543210E00000"), InvalidInput, "ksn"},
		{with(ciParts, 4, "FFFF9876543210E007FF"), InvalidInput, "ksn"},
		{with(ciParts, 4, "0FFF9876543210E00001"), InvalidInput, "ksn"},
		{with(ciParts, 4, "FFFF9876543210E0001"), InvalidPINFormat, "destinationFormat"}, // 19H: the fields shift by one
		{join(ciParts[:4]...) + "FFFF98765432", InvalidInput, "ksn"},
		{with(g0AES, 4, "123456789012345600000000"), InvalidInput, "ksn"},
		{with(g0AES, 4, "1234567890123456FFFF0001"), InvalidInput, "ksn"}, // 17 bits
		// Syntax comes before the KSN's counter: a bad format code wins.
		{join(ciParts[0], ciParts[1], ciParts[2], ciParts[3], "FFFF9876543210E00000", ciParts[5], "48", ciParts[7]), InvalidPINFormat, "destinationFormat"},
		// PIN block, formats, account, PAN.
		{with(ciParts, 5, "1B9C1845EB993A7Z"), InvalidInput, "pinBlock"},
		{with(ciParts, 6, "48"), InvalidPINFormat, "destinationFormat"},
		{with(ciParts, 7, "40123456789A"), InvalidInput, "account"},
		{with(g0Parts, 6, "47"), InvalidPINFormat, "sourceFormat"},
		{with(g0Parts, 6, "48"), InvalidPINFormat, "sourceFormat"},
		{with(g0AES, 6, "01"), InvalidPINFormat, "sourceFormat"},
		{with(g0AES, 7, "48"), InvalidPINFormat, "destinationFormat"},
		{with(g0AES, 8, "41111111111;"), InvalidInput, "pan"},
		{with(g0AES, 8, "41111111111111111111;"), InvalidInput, "pan"},
		{with(g0AES, 8, "4111111111111111"), InvalidInput, "delimiter"},
		{with(g0AES, 5, "A912150391AB65A6"), InvalidPINFormat, "sourceFormat"}, // 16H where 32H belong
		{with(g0AES, 1, "T"+zpkT[1:]), IncompatibleKeyLength, "bdk"},
	}
	for _, tt := range tests {
		_, err := ParseRequest([]byte(tt.body))
		var he *Error
		if !errors.As(err, &he) {
			t.Errorf("%q: have %v, want *Error %s %s", tt.body, err, tt.code, tt.field)
			continue
		}
		if he.Code != tt.code || he.Field != tt.field {
			t.Errorf("%q: have %s/%s (%v), want %s/%s", tt.body, he.Code, he.Field, err, tt.code, tt.field)
		}
		if len(tt.body) >= 2 && he.Cmd != "" && he.Cmd != tt.body[:2] {
			t.Errorf("%q: Cmd %q", tt.body, he.Cmd)
		}
	}
}

// TestErrorNeverCarriesValues: messages name the command and field only.
func TestErrorNeverCarriesValues(t *testing.T) {
	body := with(caParts, 4, "6428EB94035AF53G")
	_, err := ParseRequest([]byte(body))
	msg := err.Error()
	if msg != "hostcmd: CA: pinBlock: error 20 (PIN block does not contain valid values)" {
		t.Fatalf("have %q", msg)
	}
	for _, secret := range []string{"6428EB94035AF53G", acct, tpkU[1:9]} {
		if strings.Contains(msg, secret) {
			t.Fatalf("error %q carries a value", msg)
		}
	}
	wrapped := fmt.Errorf("translating: %w", err)
	var he *Error
	if !errors.As(wrapped, &he) || he.Code != InvalidPINBlock {
		t.Fatal("errors.As through %w failed")
	}
	if !errors.Is(wrapped, &Error{Code: InvalidPINBlock}) || errors.Is(wrapped, &Error{Code: InvalidAccount}) {
		t.Fatal("errors.Is by code failed")
	}
	if got := (&Error{Code: CommandDisabled}).Error(); got != "hostcmd: error 68 (command disabled or unknown)" {
		t.Fatalf("have %q", got)
	}
}

// TestSecretsRedacted: typed requests and responses printed with any verb,
// logged or marshalled never show a secret field.
func TestSecretsRedacted(t *testing.T) {
	req, err := ParseRequest([]byte(join(caParts...)))
	if err != nil {
		t.Fatal(err)
	}
	kq, err := ParseRequest([]byte(join(kqParts...)))
	if err != nil {
		t.Fatal(err)
	}
	ba, err := ParseRequest([]byte(join(baParts...)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ParseResponse([2]byte{'C', 'A'}, []byte("CB000491DDDA0A7C12CFAA01"))
	if err != nil {
		t.Fatal(err)
	}
	var printed []string
	for _, v := range []any{req, kq, ba, resp} {
		printed = append(printed, testlog.Renderings(t, v)...)
	}
	all := strings.Join(printed, "\n")
	for _, secret := range []string{block, acct, tpkU[1:], zpkU[1:], "91DDDA0A7C12CFAA", "1234F", mkacU[1:],
		fmt.Sprintf("%x", binAC), fmt.Sprintf("%v", []byte(binAC)), fmt.Sprintf("%x", binPAN)} {
		if strings.Contains(all, secret) {
			t.Errorf("output shows a secret (%d chars)", len(secret))
		}
	}
}

func TestLookup(t *testing.T) {
	want := map[string]struct {
		resp                      string
		retry, clearPIN, isBinary bool
	}{
		"NC": {"ND", true, false, false}, "NO": {"NP", true, false, false}, "B2": {"B3", true, false, true},
		"A0": {"A1", true, false, false}, "BU": {"BV", true, false, false}, "CA": {"CB", true, false, false},
		"CC": {"CD", true, false, false}, "JE": {"JF", true, false, false}, "JG": {"JH", true, false, false},
		"BA": {"BB", false, true, false}, "NG": {"NH", false, true, false}, "DC": {"DD", true, false, false},
		"EC": {"ED", true, false, false}, "DA": {"DB", true, false, false}, "EA": {"EB", true, false, false},
		"CW": {"CX", true, false, false}, "CY": {"CZ", true, false, false}, "KQ": {"KR", true, false, true},
		"KW": {"KX", true, false, true}, "M6": {"M7", true, false, false}, "M8": {"M9", true, false, false},
		"CI": {"CJ", true, false, false}, "G0": {"G1", true, false, false},
		"GO": {"GP", true, false, false}, "GQ": {"GR", true, false, false}, "GW": {"GX", true, false, false},
		"A6": {"A7", true, false, false}, "A8": {"A9", true, false, false},
	}
	cmds := Commands()
	if len(cmds) != len(want) {
		t.Fatalf("Commands: have %d, want %d", len(cmds), len(want))
	}
	for _, c := range cmds {
		w, ok := want[c.Code]
		if !ok {
			t.Fatalf("unexpected command %s", c.Code)
		}
		s, ok := Lookup([2]byte{c.Code[0], c.Code[1]})
		if !ok || s.Code != c.Code || s.Response != w.resp || s.RetrySafe != w.retry || s.ClearPIN != w.clearPIN || s.Binary != w.isBinary {
			t.Errorf("%s: have %+v", c.Code, s)
		}
		rc := ResponseCode([2]byte{c.Code[0], c.Code[1]})
		if string(rc[:]) != c.Response {
			t.Errorf("%s: response %s, ResponseCode %s", c.Code, c.Response, rc[:])
		}
		if c.Name == "" {
			t.Errorf("%s: no name", c.Code)
		}
		for _, f := range append(c.RequestFields, c.ResponseFields...) {
			if f.Name == "" || f.Type == 0 || (f.Type == FieldKey) != (f.Keys != 0) {
				t.Errorf("%s: bad field spec %+v", c.Code, f)
			}
		}
	}
	for _, c := range []string{"ZZ", "A2", "ND", "\x00\x00", "ca"} {
		if _, ok := Lookup([2]byte{c[0], c[1]}); ok {
			t.Errorf("Lookup(%q) found", c)
		}
		if i := CommandIndex([2]byte{c[0], c[1]}); i != -1 {
			t.Errorf("CommandIndex(%q) = %d, want -1", c, i)
		}
	}
	for i, c := range cmds {
		if j := CommandIndex([2]byte{c.Code[0], c.Code[1]}); j != i {
			t.Errorf("CommandIndex(%s) = %d, want its position %d", c.Code, j, i)
		}
	}
	if NumCommands() != len(cmds) {
		t.Errorf("NumCommands() = %d, want %d", NumCommands(), len(cmds))
	}
	// Commands returns a copy.
	cmds[0].RequestFields = append(cmds[0].RequestFields, FieldSpec{Name: "x"})
	cmds[1].ResponseFields[0].Name = "changed"
	if s, _ := Lookup([2]byte{'N', 'O'}); s.ResponseFields[0].Name != "ioBufferSize" {
		t.Fatal("Commands shares the table's field slices")
	}
	if n := testing.AllocsPerRun(100, func() { Lookup([2]byte{'C', 'A'}) }); n != 0 {
		t.Fatalf("Lookup allocates %v", n)
	}
}

// Secret fields: the table marks PINs, PIN blocks, accounts/PANs, CVVs,
// PVVs, offsets, cryptograms, MACs and keys.
func TestTableSecretFlags(t *testing.T) {
	secret := map[string]bool{"pinBlock": true, "account": true, "pin": true, "pinUnderLmk": true, "pan": true, "cvv": true,
		"pvv": true, "offset": true, "arqc": true, "arpc": true, "mac": true, "panPsn": true, "decimalisationTable": true,
		"validationData": true, "referenceNumber": true, "message": true}
	for _, c := range Commands() {
		for _, f := range append(c.RequestFields, c.ResponseFields...) {
			if secret[f.Name] && !f.Secret {
				t.Errorf("%s.%s not marked secret", c.Code, f.Name)
			}
			if f.Type == FieldKey && !f.Secret {
				t.Errorf("%s.%s key field not marked secret", c.Code, f.Name)
			}
		}
	}
}

func TestKeyField(t *testing.T) {
	tests := []struct {
		in     string
		forms  KeyForms
		scheme KeyScheme
		n      int
		code   Code
	}{
		{tpkU, keysGeneric, SchemeU, 33, OK},
		{zpkT, keysGeneric, SchemeT, 49, OK},
		{zpk1 + "XYZ", keysGeneric, SchemeSingle, 16, OK},
		{pvkP, keysPVKPVV, SchemePair, 32, OK},
		{pvk1, keysPVKPVV, SchemePair, 0, InvalidInput}, // bare pair needs 32H
		{"X" + pvkP, KeyX, SchemeX, 33, OK},
		{"Y" + zpkT[1:], KeyY, SchemeY, 49, OK},
		{"X" + pvkP, keysGeneric, 0, 0, InvalidKeyScheme},
		{"S0007", keysAny, 0, 0, InvalidInput},
		{"R0007", keysGeneric, 0, 0, InvalidKeyScheme},
		{"K001", keysAny, 0, 0, InvalidKeyScheme},
		{"", keysAny, 0, 0, InvalidInput},
		{"U1234", keysAny, 0, 0, InvalidInput},
		{"u" + tpkU[1:], keysAny, 0, 0, InvalidKeyScheme},
		{strings.ToLower(tpkU[1:]) + "00", keysPVKIBM, SchemeSingle, 16, OK},
	}
	for _, tt := range tests {
		k, n, c := ParseKeyField([]byte(tt.in), tt.forms)
		if c != tt.code || n != tt.n || (c == OK && k.Scheme != tt.scheme) {
			t.Errorf("%q: have %c/%d/%s want %c/%d/%s", tt.in, k.Scheme, n, c, tt.scheme, tt.n, tt.code)
			continue
		}
		if c != OK {
			continue
		}
		if k.WireLen() != n || k.Hex != strings.ToUpper(k.Hex) {
			t.Errorf("%q: WireLen %d, Hex case", tt.in, k.WireLen())
		}
		if got := string(k.AppendWire(nil)); got != strings.ToUpper(tt.in[:n]) {
			t.Errorf("AppendWire: have %q", got)
		}
		ct, err := k.Ciphertext()
		if err != nil || len(ct) != len(k.Hex)/2 {
			t.Errorf("%q: Ciphertext %d bytes, %v", tt.in, len(ct), err)
		}
	}
	// hsm-protocol.md §5.5: U1EF8... ZPK cryptogram bytes.
	k, _, _ := ParseKeyField([]byte(zpkU), keysGeneric)
	ct, _ := k.Ciphertext()
	if fmt.Sprintf("%X", ct) != zpkU[1:] {
		t.Fatalf("Ciphertext: have %X", ct)
	}
	if s := fmt.Sprintf("%v %s %#v %x", k, k, k, k); strings.Contains(s, zpkU[1:5]) {
		t.Fatalf("KeyField prints its value: %s", s)
	}
	if _, err := (KeyField{Scheme: SchemeU, Hex: "12"}).Ciphertext(); err == nil {
		t.Fatal("Ciphertext accepted a short key")
	}
}

func TestTrailer(t *testing.T) {
	tr := MakeTrailer("abc")
	if !tr.Present() || tr.Text() != "abc" || string(tr) != "\x19abc" {
		t.Fatalf("have %q", tr)
	}
	var none Trailer
	if none.Present() || none.Text() != "" {
		t.Fatal("zero Trailer present")
	}
}

func TestCodes(t *testing.T) {
	for _, c := range []Code{OK, VerifyFailed, InvalidKeyTypeCode, InvalidKeyLengthFlag, SourceKeyParity, DestKeyParity,
		InvalidLMKID, InvalidLMKPIN, InvalidInput, NotAuthorised, InvalidPINBlock, InvalidAccount, InvalidPINFormat,
		InvalidPINLength, DecimalizationError, InvalidKeyScheme, IncompatibleKeyLength, InvalidKeyType,
		KeyFunctionNotAllowed, InternalError, CommandNotLicensed, CommandDisabled, DataLengthError} {
		if !c.Valid() || c.Description() == "unknown error code" {
			t.Errorf("code %s: valid %v, %q", c, c.Valid(), c.Description())
		}
	}
	for _, c := range []Code{"", "0", "000", "a1", "0\x00"} {
		if c.Valid() {
			t.Errorf("%q valid", c)
		}
	}
	if Code("A1").Valid() != true || Code("99").Description() != "unknown error code" {
		t.Fatal("A1 / 99")
	}
}

func TestRedactingTypes(t *testing.T) {
	k := KeyField{Scheme: SchemeU, Hex: zpkU[1:]}
	p := KeyField{Scheme: SchemePair, Hex: pvkP}
	s := SecretBytes(binAC)
	var printed []string
	for _, v := range []any{k, p, s, struct {
		K KeyField
		S SecretBytes
	}{k, s}} {
		printed = append(printed, testlog.Renderings(t, v)...)
	}
	out := strings.Join(printed, "\n")
	for _, secret := range []string{zpkU[1:7], pvkP[:6], "076C5766", "7 108 87", "BmxXZvc4"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret shown in %q", out)
		}
	}
	if k.String() != "U[REDACTED]" || p.String() != "[REDACTED]" || !strings.Contains(out, "U[REDACTED]") {
		t.Fatalf("have %q %q", k.String(), p.String())
	}
	if (KeyForms(KeyU|KeyT)).Has(KeyU) != true || (KeyForms(KeyU)).Has(KeyU|KeyT) {
		t.Fatal("KeyForms.Has")
	}
	for _, ft := range []FieldType{FieldA, FieldN, FieldH, FieldB, FieldKey, FieldDelim, 0} {
		if ft.String() == "" {
			t.Fatal("FieldType.String empty")
		}
	}
}

func TestProtocolErrorMessage(t *testing.T) {
	err := &ProtocolError{Cmd: "KQ", Field: "arpc", Msg: "malformed response"}
	if err.Error() != "hostcmd: KQ: arpc: malformed response" {
		t.Fatalf("have %q", err.Error())
	}
	wrapped := &ProtocolError{Msg: "connection lost", Err: ErrFrameTooLarge}
	if wrapped.Error() != "hostcmd: connection lost: hostcmd: frame too large" || !errors.Is(wrapped, ErrFrameTooLarge) {
		t.Fatalf("have %q", wrapped.Error())
	}
}

func TestMakeFrame(t *testing.T) {
	f := MakeFrame([]byte("0001NC"), 4)
	if string(f.Header()) != "0001" || f.Code() != [2]byte{'N', 'C'} {
		t.Fatalf("have %q", f.Bytes())
	}
	if (Frame{}).Code() != [2]byte{} {
		t.Fatal("zero Frame code")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MakeFrame accepted a frame shorter than its header and code")
		}
	}()
	MakeFrame([]byte("0001N"), 4)
}

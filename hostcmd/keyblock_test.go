package hostcmd

import (
	"errors"
	"testing"
)

// Key blocks from docs/spec/hostcmd-keyblocks.md §7 and §9 (under the test
// AES key-block LMK; the TR-31 block is TR-31:2018 Annex A.7.2.1), and the
// [UT] A0 wire fixture's response block.
const (
	kbZMK    = "S10096K0TB00N00005A634D4F5AE0F8DA24C183601EA689F810ADC8D581508552923DCBB0CCF5B56C2A5DECC8E32E1DAB"
	kbZPK    = "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
	kbTR31   = "RA0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	kbUTResp = "S00072K0TB00E0001FB8A4952BFE42179AB8D79A81943DF1FAD67CF015117EE8528E79900"
)

func init() {
	validRequests = append(validRequests,
		// A0 under a key-block LMK: [AWSS] and [UT] wire, then mode 1 with options.
		"A00FFFS#K0T2N00E00", "A00FFFS%01#K0T2B00E00",
		"A00FFFS#P0A1E00E01KS0800AB"+trl,
		"A01FFFS"+kbZMK+"R#P0T2E00E00&N!B",
		"A01FFFS;0"+kbZMK+"S%00#72T2N00S00",
		// A6 (§7 worked example) and A8.
		"A6FFF"+kbZMK+kbTR31+"S",
		"A6FFF"+kbZMK+kbTR31+"S%00#7201TS08ABCD"+trl,
		"A8FFF"+kbZMK+kbZPK+"R%00!B",
		"A8FFF;1"+kbZMK+kbZPK+"S&N"+trl,
		"A8FFF"+kbZMK+kbZPK+"R",
		// A6 of a variant-style source (the [RS] ThalesSim A0 trace's key
		// under ZMK 0808...08) and A8 from a variant LMK to TR-31 ([AWSS] form).
		"A6FFF"+kbZMK+"U631EAA5F7E6A6C9EB5A1701259A7AB54"+"S#P0B00N00",
		"A6FFF"+kbZMK+"0123456789ABCDEF"+"S%00#M1C00S01KS0600"+trl,
		"A8001U0A26760BD07871026B6702C5F9BA25B3U61F612B4FD859AA204D0D2414F18C29FR%00&P0B00E00!B",
		"A8001;0U0A26760BD07871026B6702C5F9BA25B3U61F612B4FD859AA204D0D2414F18C29FR&P0B00S02KS0600KV0800AB!A"+trl,
	)
}

func TestKeyBlockField(t *testing.T) {
	for _, tt := range []struct {
		in    string
		forms KeyForms
		n     int
		code  Code
	}{
		{kbZMK, keysGeneric, len(kbZMK), OK},
		{kbZMK + "R", keysGeneric, len(kbZMK), OK},
		{kbTR31, KeyR, len(kbTR31), OK},
		{kbTR31, keysGeneric, 0, InvalidKeyScheme},          // R is only for keys under a ZMK
		{kbZMK[:50], keysGeneric, 0, InvalidInput},          // declared length runs past the message
		{"S1009X", keysGeneric, 0, InvalidInput},            // length not digits
		{"S10015K0TB00N0000", keysGeneric, 0, InvalidInput}, // under 16
		{"S10016K0TB00N000\x01", keysGeneric, 0, InvalidInput},
		{"S", keysGeneric, 0, InvalidInput},
	} {
		k, n, c := ParseKeyField([]byte(tt.in), tt.forms)
		if c != tt.code || n != tt.n {
			t.Errorf("%.20q: have %d/%s, want %d/%s", tt.in, n, c, tt.n, tt.code)
			continue
		}
		if c == OK && (k.Hex != tt.in[1:n] || string(k.AppendWire(nil)) != tt.in[:n]) {
			t.Errorf("%.20q: field does not keep the block", tt.in)
		}
	}
}

func TestKeyBlockRequestErrors(t *testing.T) {
	for _, tt := range []struct {
		body  string
		code  Code
		field string
	}{
		{"A00FFFS", InvalidInput, "keyBlockAttributes"},                  // "#" required
		{"A00FFFS#K0T2N00E", InvalidInput, "keyBlockAttributes"},         // short
		{"A00FFFS#K0T2N00E09", OptionalBlockCount, "keyBlockAttributes"}, // over 08
		{"A00FFFS#K0T2N00E01PB0600", OptionalBlockRefused, "keyBlockAttributes"},
		{"A00FFFS#K0T2N00E02KS0600KS0600", RepeatedOptionalBlock, "keyBlockAttributes"},
		{"A00FFFS#K0T2N00E01KS03", KeyBlockHeader, "keyBlockAttributes"}, // block length under 4
		{"A00FFFS#K0T2N00E01KS0900", InvalidInput, "keyBlockAttributes"}, // block runs past the end
		{"A01FFFS" + kbZMK + "R#P0T2E00E00&E", ExportNotAllowed, "exportAttributes"},
		{"A01FFFS" + kbZMK + "R#P0T2E00E00!E", KeyBlockVersion, "tr31Version"},
		{"A01FFFS" + kbZMK + "S#P0T2E00E00!B", InvalidInput, "trailingData"}, // "!" only with R
		{"A01FFFS" + kbZMK + "X#P0T2E00E00", InvalidKeyScheme, "keySchemeZmk"},
		{"A01FFFU" + kbZMK + "R", InvalidKeyScheme, "keySchemeZmk"},
		{"A6FFF" + kbZMK + "U1EF828AA8F6B80EB83E19FBC373F3A85S", InvalidInput, "keyBlockAttributes"}, // "#" required for a variant source
		{"A6FFF" + kbZMK + "U1EF828AA8F6B80EB83E19FBC373F3A85S#P0B00N09", OptionalBlockCount, "keyBlockAttributes"},
		{"A6FFF" + kbZMK + "U1EF828AA8F6B80EB83E19FBC373F3A85S#P0B00N01PB0600", OptionalBlockRefused, "keyBlockAttributes"},
		{"A6FFF" + kbZMK + "U1EF828AA8F6B80EB83E19FBC373F3A85S#P0B00", InvalidInput, "keyBlockAttributes"}, // short
		{"A6FFF" + kbZMK + "Z1EF828AA8F6B80EB83E19FBC373F3A85S#P0B00N00", InvalidKeyScheme, "keyUnderZmk"},
		{"A8001U0A26760BD07871026B6702C5F9BA25B3U61F612B4FD859AA204D0D2414F18C29FR", InvalidInput, "exportAttributes"}, // "&" required from a variant LMK
		{"A8001U0A26760BD07871026B6702C5F9BA25B3U61F612B4FD859AA204D0D2414F18C29FR&P0B00E03", OptionalBlockCount, "exportAttributes"},
		{"A8001U0A26760BD07871026B6702C5F9BA25B3U61F612B4FD859AA204D0D2414F18C29FR&P0B00E0100060000", OptionalBlockRefused, "exportAttributes"},
		{"A6FFF" + kbZMK + kbTR31 + "U", InvalidKeyScheme, "keySchemeLmk"},
		{"A6FFF" + kbZMK + kbTR31 + "S#P001KS0600", OptionalBlockRefused, "keyBlockAttributes"},
		{"A6FFF" + kbZMK + kbTR31 + "S#P007", OptionalBlockCount, "keyBlockAttributes"},
		{"A6FFF" + kbZMK + kbTR31[:40], InvalidInput, "keyUnderZmk"},
		{"A8FFF" + kbZMK + kbZPK + "T", InvalidKeyScheme, "keySchemeZmk"},
		{"A8FFF" + kbZMK + kbZPK + "R&S", ExportNotAllowed, "exportAttributes"},
		{"A8FFF" + kbZMK + kbZPK + "R!Z", KeyBlockVersion, "tr31Version"},
		{"A8FFF" + kbZMK + kbZPK + "R#", InvalidInput, "trailingData"},
		{"A8FFF" + kbZMK + kbZPK + "R%0", InvalidLMKID, "lmkId"},
	} {
		_, err := ParseRequest([]byte(tt.body))
		var he *Error
		if !errors.As(err, &he) || he.Code != tt.code || he.Field != tt.field {
			t.Errorf("%.40q...: have %v, want %s/%s", tt.body, err, tt.code, tt.field)
		}
	}
}

func TestKeyBlockResponses(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		body string
	}{
		{"A0", "A100" + kbUTResp + "D4A3E8"},
		{"A0", "A100" + kbZPK + kbTR31 + "CB9DEA"},
		{"A6", "A700" + kbZPK + "98964F"},
		{"A8", "A900" + kbTR31 + "CB9DEA"},
		{"A8", "A900" + kbZMK + "D1D812" + trl},
		{"A8", "A9A4"},
	} {
		r, err := ParseResponse([2]byte{tt.cmd[0], tt.cmd[1]}, []byte(tt.body))
		if err != nil {
			t.Errorf("%.30q: %v", tt.body, err)
			continue
		}
		if got := string(r.AppendBody(nil)); got != tt.body {
			t.Errorf("round trip:\nhave %q\nwant %q", got, tt.body)
		}
	}
}

// Format 48 in CC (hostcmd-keyblocks.md §9's worked example) and its errors.
const ccISO4 = "CC" + kbZPK + "S1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE" +
	"12" + "A912150391AB65A67E52883D81CE2D15" + "48" + "01" + "4111111111111111;"

func init() {
	validRequests = append(validRequests, ccISO4, ccISO4+"%00"+trl,
		"CA"+kbZPK+kbZPK+"12"+"A912150391AB65A67E52883D81CE2D15"+"48"+"48"+"4;")
}

func TestISO4RequestErrors(t *testing.T) {
	head := ccISO4[:len(ccISO4)-len("4111111111111111;")]
	for _, tt := range []struct {
		body  string
		code  Code
		field string
	}{
		{head + "4111111111111111", InvalidAccount, "account"},      // no ';'
		{head + ";", InvalidAccount, "account"},                     // no digits
		{head + "41111111111111111111;", InvalidAccount, "account"}, // 20 digits
		{head + "4111111111111111:", InvalidInput, "delimiter"},
		{"CC" + kbZPK + kbZPK + "12" + "A912150391AB65A6" + "48" + "01" + "4111111111111111;", InvalidPINFormat, "sourceFormat"}, // 16H under an AES key
	} {
		_, err := ParseRequest([]byte(tt.body))
		var he *Error
		if !errors.As(err, &he) || he.Code != tt.code || he.Field != tt.field {
			t.Errorf("%.60q: have %v, want %s/%s", tt.body, err, tt.code, tt.field)
		}
	}
	r, err := ParseResponse([2]byte{'C', 'C'}, []byte("CD0004A912150391AB65A67E52883D81CE2D1548"))
	if err != nil || r.(*CD).PINBlock != "A912150391AB65A67E52883D81CE2D15" || r.(*CD).DestinationFormat != "48" {
		t.Errorf("CD with a 32H block: %v", err)
	}
}

package rest

import (
	"net/http"
	"strings"
	"testing"
)

// PVKs under the test LMK (hostcmd-dukpt.md §10): a double-length PVK
// (C8199237EA5857BC40EF9DA2B5E96BBF, ThalesSim's EC test) and a single one
// (0123456789ABCDEF, the payShield DA example). The PVVs and offsets for
// PIN 1234 were computed by this project with the pin package, itself
// checked against public vectors: PVKI 1, account 401234567890 → PVV 7415,
// account 111111111111 → 5462; table 0123456789012345, validation data
// 40123456789N → offset 9810 (account 401234567890) and 9682
// (111111111111).
const (
	restPVK  = "U9516F257DFAF0DE7A15099A9E4343B29"
	restPVK1 = "FCBA7CF5972CF0DD"
)

// The published DUKPT PIN blocks of PIN 1234: ANSI X9.24-1:2009 A.4 (PAN
// 4012345678909; openemv/dukpt, jPOS DUKPTTest) and the X9.24-3:2017
// supplement's format 4 blocks (PAN 4111111111111111; openemv/dukpt).
var (
	tdesBlocks = []struct{ ksn, block string }{
		{"FFFF9876543210E00001", "1B9C1845EB993A7A"},
		{"FFFF9876543210E00002", "10A01C8D02C69107"},
		{"FFFF9876543210E00003", "18DC07B94797B466"},
		{"FFFF9876543210E00010", "D5D9638559EF53D6"},
		{"FFFF9876543210E00015", "72105C22EBC791E6"},
		{"FFFF9876543210EFFC00", "DEFC6F09F8927B71"},
		{"FFFF9876543210F00000", "73EC88AD0AC5830E"},
	}
	aesBlocks = []struct{ ksn, block string }{
		{"123456789012345600000001", "A912150391AB65A67E52883D81CE2D15"},
		{"123456789012345600000002", "52A00503BD34BA1383F6A7EE9FE2547F"},
		{"123456789012345600000005", "881A7F77A2E04E5BEA985E342FD0B628"},
		{"123456789012345600000008", "8308BB857C17F390369F761F8EB358FA"},
	}
)

func dukptPVVBody(bdk, ksn, block, pan, pvv string) map[string]any {
	return map[string]any{"key": bdk, "keyType": "BDK", "ksn": ksn, "pan": pan, "pinBlock": block,
		"method": map[string]any{"visaPvv": map[string]any{"pvk": restPVK, "pvki": 1, "pvv": pvv}}}
}

func dukptIBMBody(bdk, ksn, block, pan, offset string) map[string]any {
	return map[string]any{"key": bdk, "keyType": "BDK", "ksn": ksn, "pan": pan, "pinBlock": block,
		"method": map[string]any{"ibm3624": map[string]any{"pvk": restPVK1, "decimalizationTable": "0123456789012345",
			"validationData": "40123456789N", "offset": offset, "checkLength": 4}}}
}

// TestPINVerifyFromDUKPT: every published DUKPT PIN block verifies as PIN
// 1234 by Visa PVV (GQ) and IBM 3624 offset (GO), and a wrong PVV or offset
// is verified false.
func TestPINVerifyFromDUKPT(t *testing.T) {
	e := newEnv(t)
	check := func(name string, body map[string]any, want bool) {
		t.Helper()
		m := e.mustStatus(http.StatusOK, "/v1/pin/verify", body)
		if m["verified"] != want {
			t.Errorf("%s: have %v, want verified %v", name, m, want)
		}
	}
	for _, b := range tdesBlocks {
		check("TDES PVV "+b.ksn, dukptPVVBody(restBDK, b.ksn, b.block, "4012345678909", "7415"), true)
		check("TDES offset "+b.ksn, with(dukptIBMBody(restBDK, b.ksn, b.block, "4012345678909", "9810"), "format", "ISO0"), true)
	}
	for _, b := range aesBlocks {
		check("AES PVV "+b.ksn, dukptPVVBody(restAESBDK, b.ksn, b.block, "4111111111111111", "5462"), true)
		check("AES offset "+b.ksn, with(dukptIBMBody(restAESBDK, b.ksn, b.block, "4111111111111111", "9682"), "format", "ISO4"), true)
	}
	b := tdesBlocks[0]
	check("TDES wrong PVV", dukptPVVBody(restBDK, b.ksn, b.block, "4012345678909", "7416"), false)
	check("TDES wrong offset", dukptIBMBody(restBDK, b.ksn, b.block, "4012345678909", "9811"), false)
	check("AES wrong PVV", dukptPVVBody(restAESBDK, aesBlocks[0].ksn, aesBlocks[0].block, "4111111111111111", "5463"), false)

	m := e.mustStatus(http.StatusOK, "/v1/pin/verify", dukptPVVBody(restBDK, b.ksn, b.block, "4012345678909", "7415"))
	if m["keyKcv"] != "08D7B4" || m["pvkKcv"] != "C19328" {
		t.Errorf("KCVs: have %v", m)
	}
	// A registered BDK by alias; the KSN says it is DUKPT.
	e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "bdk-a4", "keyType": "BDK", "cryptogram": restBDK, "kcv": "08D7B4"})
	check("BDK by alias", with(dukptPVVBody("alias/bdk-a4", b.ksn, b.block, "4012345678909", "7415"), "keyType", nil), true)
}

// TestPINVerifyDUKPTBadInput: a bad KSN, format, block or key gives a 400
// naming the field, before any host command runs.
func TestPINVerifyDUKPTBadInput(t *testing.T) {
	e := newEnv(t)
	e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "zpk-1", "keyType": "ZPK", "cryptogram": restZPK})
	tdes := dukptPVVBody(restBDK, "FFFF9876543210E00001", "1B9C1845EB993A7A", "4012345678909", "7415")
	aes := dukptPVVBody(restAESBDK, "123456789012345600000001", "A912150391AB65A67E52883D81CE2D15", "4111111111111111", "5462")
	for _, tc := range append(ksnBadCases(tdes, aes), []badFieldCase{
		{"KSN with a ZPK", "ksn", CodeInvalidField, with(tdes, "keyType", "ZPK")},
		{"TDES DUKPT with ISO 4", "format", CodeInvalidField, with(tdes, "format", "ISO4")},
		{"AES DUKPT with ISO 0", "format", CodeInvalidField, with(aes, "format", "ISO0")},
		{"AES block of 16H", "pinBlock", CodeInvalidField, with(aes, "pinBlock", "A912150391AB65A6")},
		{"TDES block of 32H", "pinBlock", CodeInvalidField, with(tdes, "pinBlock", "A912150391AB65A67E52883D81CE2D15")},
		{"single-length BDK", "key", CodeInvalidField, with(tdes, "key", "0123456789ABCDEF")},
		{"alias of a ZPK as BDK", "key", CodeKeyTypeMismatch, with(tdes, "key", "alias/zpk-1")},
		{"no method", "method", CodeInvalidField, with(tdes, "method", map[string]any{})},
		{"bad PVV", "method.visaPvv.pvv", CodeInvalidField, with(tdes, "method.visaPvv.pvv", "74A5")},
		{"short PAN", "pan", CodeInvalidField, with(tdes, "pan", "401234567890")},
	}...) {
		e.expectBadField(t, "/v1/pin/verify", tc.name, tc.code, tc.field, tc.body)
	}
}

// TestPINVerifyDUKPTHSMErrors: what only the HSM can tell comes back as a
// 400 naming the field, with the contract's code.
func TestPINVerifyDUKPTHSMErrors(t *testing.T) {
	e := newEnv(t)
	tdes := dukptPVVBody(restBDK, "FFFF9876543210E00001", "1B9C1845EB993A7A", "4012345678909", "7415")
	for _, tc := range []struct {
		name, field, hsm string
		body             map[string]any
	}{
		{"block of another KSN", "pinBlock", "20", with(tdes, "ksn", "FFFF9876543210E00002")},
		{"BDK with a parity error", "key", "10", with(tdes, "key", "U8E3D3E2FD5919657F05A1AA90D32A015")},
		// The PVK's KCV (BU, where it is the first key) finds its parity first.
		{"PVK with a parity error", "method.visaPvv.pvk", "10", with(tdes, "method.visaPvv.pvk", "U9516F257DFAF0DE7A15099A9E4343B28")},
		{"triple-length BDK", "key", "27", with(tdes, "key", wrap(t, "BDK", strings.Repeat(testClear[:16], 3)))},
		// A key of another type under the LMK (a ZPK's cryptogram) decrypts
		// under the BDK variant to a key with bad parity.
		{"a ZPK's cryptogram as BDK", "key", "10", with(tdes, "key", restZPK)},
	} {
		e.expectHSMError(t, "/v1/pin/verify", tc.name, tc.field, tc.hsm, tc.body)
	}
}

// The message of the DUKPT MAC vectors: ASCII "4012345678909D987".
const dukptMACMessage = "3430313233343536373839303944393837"

func dukptMACBody(bdk, ksn, mac string) map[string]any {
	return map[string]any{"key": bdk, "keyType": "BDK", "ksn": ksn, "message": dukptMACMessage,
		"length": len(mac) / 2, "mac": mac}
}

// TestMACVerifyFromDUKPT: the published DUKPT MACs verify through GW.
// TDES: ISO 9797-1 algorithm 3, padding method 1, under the X9.24-1:2009
// A.4 MAC request and response keys (moov-io/dukpt pkg/des/des_test.go;
// the first 4 bytes also openemv/dukpt). AES: CMAC under the X9.24-3:2017
// AES-128 keys of usage 2000 and 2001 (moov-io/dukpt pkg/aes/aes_test.go),
// left 8 or 4 bytes.
func TestMACVerifyFromDUKPT(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		body map[string]any
		want bool
	}{
		{"TDES request E00001", dukptMACBody(restBDK, "FFFF9876543210E00001", "9CCC78173FC4FB64"), true},
		{"TDES request E00001, 4 bytes", dukptMACBody(restBDK, "FFFF9876543210E00001", "9CCC7817"), true},
		{"TDES request E00002", dukptMACBody(restBDK, "FFFF9876543210E00002", "F608A9BCA6FFC311"), true},
		{"TDES request E00003, algorithm named", with(with(dukptMACBody(restBDK, "FFFF9876543210E00003", "20B59A4FEAC937E3"), "algorithm", "ISO9797_ALG3"), "padding", "ISO9797_M1"), true},
		{"TDES request E00005", dukptMACBody(restBDK, "FFFF9876543210E00005", "0202B96339022058"), true},
		{"TDES response E00001", with(dukptMACBody(restBDK, "FFFF9876543210E00001", "20364223C1FF00FA"), "direction", "RESPONSE"), true},
		{"TDES response E00004", with(dukptMACBody(restBDK, "FFFF9876543210E00004", "1EB08AEECE6FF0C2"), "direction", "RESPONSE"), true},
		{"TDES response MAC as request", dukptMACBody(restBDK, "FFFF9876543210E00001", "20364223C1FF00FA"), false},
		{"TDES MAC of another KSN", dukptMACBody(restBDK, "FFFF9876543210E00002", "9CCC78173FC4FB64"), false},
		{"AES request counter 1", dukptMACBody(restAESBDK, "123456789012345600000001", "A2EB5C1C35809E58"), true},
		{"AES request counter 2, algorithm named", with(dukptMACBody(restAESBDK, "123456789012345600000002", "4D104704C53491A6"), "algorithm", "AES_CMAC"), true},
		{"AES response counter 1", with(dukptMACBody(restAESBDK, "123456789012345600000001", "DD4E1895"), "direction", "RESPONSE"), true},
		{"AES wrong MAC", dukptMACBody(restAESBDK, "123456789012345600000001", "A2EB5C1C35809E59"), false},
	} {
		m := e.mustStatus(http.StatusOK, "/v1/mac/verify", tc.body)
		if m["verified"] != tc.want {
			t.Errorf("%s: have %v, want verified %v", tc.name, m, tc.want)
		}
		if strings.HasPrefix(tc.name, "TDES") && m["keyKcv"] != "08D7B4" {
			t.Errorf("%s: keyKcv %v, want 08D7B4", tc.name, m["keyKcv"])
		}
	}
}

// TestMACVerifyDUKPTBadInput: a bad KSN, algorithm, padding or direction
// gives a 400 naming the field, before any host command runs; what only
// the HSM can tell names the field too.
func TestMACVerifyDUKPTBadInput(t *testing.T) {
	e := newEnv(t)
	tdes := dukptMACBody(restBDK, "FFFF9876543210E00001", "9CCC7817")
	aes := dukptMACBody(restAESBDK, "123456789012345600000001", "A2EB5C1C35809E58")
	tak := map[string]any{"key": restZPK, "keyType": "TAK", "algorithm": "ISO9797_ALG3", "padding": "ISO9797_M1",
		"message": dukptMACMessage, "length": 4, "mac": "9CCC7817"}
	for _, tc := range append(ksnBadCases(tdes, aes), []badFieldCase{
		{"KSN with a TAK", "ksn", CodeInvalidField, with(tak, "ksn", "FFFF9876543210E00001")},
		{"direction with a TAK", "direction", CodeInvalidField, with(tak, "direction", "REQUEST")},
		{"algorithm 1 with a BDK", "algorithm", CodeInvalidField, with(tdes, "algorithm", "ISO9797_ALG1")},
		{"CMAC with a TDES KSN", "algorithm", CodeInvalidField, with(tdes, "algorithm", "AES_CMAC")},
		{"padding 2 with a BDK", "padding", CodeInvalidField, with(tdes, "padding", "ISO9797_M2")},
		{"padding with CMAC", "padding", CodeInvalidField, with(aes, "padding", "ISO9797_M1")},
		{"unknown direction", "direction", CodeInvalidField, with(tdes, "direction", "SIDEWAYS")},
		{"MAC of the wrong length", "mac", CodeInvalidField, with(tdes, "mac", "9CCC78")},
		{"message not hex", "message", CodeInvalidField, with(tdes, "message", "4G")},
		{"single-length BDK", "key", CodeInvalidField, with(tdes, "key", "0123456789ABCDEF")},
	}...) {
		e.expectBadField(t, "/v1/mac/verify", tc.name, tc.code, tc.field, tc.body)
	}
	for _, tc := range []struct {
		name, hsm string
		body      map[string]any
	}{
		{"BDK with a parity error", "10", with(tdes, "key", "U8E3D3E2FD5919657F05A1AA90D32A015")},
		{"triple-length BDK", "27", with(tdes, "key", wrap(t, "BDK", strings.Repeat(testClear[:16], 3)))},
		{"a ZPK's cryptogram as BDK", "10", with(tdes, "key", restZPK)},
	} {
		e.expectHSMError(t, "/v1/mac/verify", tc.name, "key", tc.hsm, tc.body)
	}
}

// badFieldCase is a request that must get a 400 with code and field.
type badFieldCase struct {
	name, field, code string
	body              map[string]any
}

// expectBadField posts body to path and expects a 400 with code, naming
// field, and no host command run.
func (e *env) expectBadField(t *testing.T, path, name, code, field string, body map[string]any) {
	t.Helper()
	before := e.sim.calls.Load()
	r := e.post(path, body)
	if r.status != http.StatusBadRequest {
		t.Errorf("%s: have %d %s, want 400", name, r.status, r.body)
		return
	}
	if c, f, _ := r.errorOf(t); c != code || f != field {
		t.Errorf("%s: have %s field %q, want %s field %q", name, c, f, code, field)
	}
	if n := e.sim.calls.Load() - before; n != 0 {
		t.Errorf("%s: %d host commands ran for a bad request", name, n)
	}
}

// expectHSMError posts body to path and expects a 400 naming field with
// the HSM's error code hsm.
func (e *env) expectHSMError(t *testing.T, path, name, field, hsm string, body map[string]any) {
	t.Helper()
	r := e.post(path, body)
	if r.status != http.StatusBadRequest {
		t.Errorf("%s: have %d %s, want 400", name, r.status, r.body)
		return
	}
	if _, f, h := r.errorOf(t); f != field || h != hsm {
		t.Errorf("%s: have field %q HSM error %q, want %q %q", name, f, h, field, hsm)
	}
}

// ksnBadCases are the bad KSNs every DUKPT route refuses with a 400
// naming ksn: tdes and aes are valid bodies with a 20- and a 24-digit KSN.
func ksnBadCases(tdes, aes map[string]any) []badFieldCase {
	return []badFieldCase{
		{"KSN not hex", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E0000G")},
		{"KSN of 19 digits", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E0001")},
		{"KSN of 21 digits", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E000010")},
		{"KSN of 22 digits", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E0000100")},
		{"counter zero", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E00000")},
		{"counter with 11 bits set", "ksn", CodeInvalidField, with(tdes, "ksn", "FFFF9876543210E007FF")},
		{"AES counter zero", "ksn", CodeInvalidField, with(aes, "ksn", "123456789012345600000000")},
		{"AES counter with 17 bits set", "ksn", CodeInvalidField, with(aes, "ksn", "12345678901234560001FFFF")},
		{"no KSN", "ksn", CodeMissingField, with(tdes, "ksn", nil)},
	}
}

package rest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// Keys of the DUKPT contract under the test LMK (docs/spec/hostcmd-dukpt.md
// §5): the ANSI X9.24-1:2009 A.4 BDK (KCV 08D7B4), the ZPK of ThalesSim's
// CI test (1C1C…, KCV 77800C), the X9.24-3:2017 supplement's AES-128 BDK,
// and the ZPK of ThalesSim's CU test (KCV 6F1E3F).
const (
	restBDK    = "U8E3D3E2FD5919657F05A1AA90D32A014"
	restZPK    = "U9D961F6AF1D24B38AB37B320022FF57D"
	restAESBDK = "UC0106228334ECB2E12B49BA556660547"
	restZPK2   = "U1EF828AA8F6B80EB83E19FBC373F3A85"
)

func dukptBody(bdk, zpk, ksn, block, pan string) map[string]any {
	return map[string]any{"incomingKey": bdk, "incomingKeyType": "BDK", "ksn": ksn, "outgoingKey": zpk,
		"outgoingFormat": "ISO0", "pan": pan, "pinBlock": block}
}

// TestPINTranslateFromDUKPT: every published DUKPT PIN block (PIN 1234)
// comes back as the same PIN under the ZPK. TDES: the ANSI X9.24-1:2009
// A.4 blocks (PAN 4012345678909; testvec.DUKPTPINBlocks), whose
// answer is ThalesSim's CI answer 7D26134E85E7DADF. AES: the X9.24-3:2017
// supplement's format 4 blocks (PAN 4111111111111111; same file),
// answer F6052A5891953D75 (hostcmd-dukpt.md §5, recomputed by
// conformance TestDUKPTContractCrypto).
func TestPINTranslateFromDUKPT(t *testing.T) {
	e := newEnv(t)
	tdesBlocks, aesBlocks := testvec.DUKPTPINBlocks(t)
	for i, b := range tdesBlocks {
		if i%3 == 2 {
			// Hex is taken in either case.
			b.KSN, b.Block = strings.ToLower(b.KSN), strings.ToLower(b.Block)
		}
		m := e.mustStatus(http.StatusOK, "/v1/pin/translate", with(dukptBody(restBDK, restZPK, b.KSN, b.Block, "4012345678909"), "incomingFormat", "ISO0"))
		if m["pinBlock"] != "7D26134E85E7DADF" || m["pinLength"] != 4.0 || m["incomingKcv"] != "08D7B4" || m["outgoingKcv"] != "77800C" {
			t.Errorf("KSN %s: have %v", b.KSN, m)
		}
	}
	for _, b := range aesBlocks {
		m := e.mustStatus(http.StatusOK, "/v1/pin/translate", dukptBody(restAESBDK, restZPK2, b.KSN, b.Block, "4111111111111111"))
		if m["pinBlock"] != "F6052A5891953D75" || m["pinLength"] != 4.0 || m["outgoingKcv"] != "6F1E3F" {
			t.Errorf("AES KSN %s: have %v", b.KSN, m)
		}
	}

	// A registered BDK by alias; the KSN says it is DUKPT.
	e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "bdk-a4", "keyType": "BDK", "cryptogram": restBDK, "kcv": "08D7B4"})
	body := dukptBody("alias/bdk-a4", restZPK, "FFFF9876543210E00001", "1B9C1845EB993A7A", "4012345678909")
	delete(body, "incomingKeyType")
	if m := e.mustStatus(http.StatusOK, "/v1/pin/translate", body); m["pinBlock"] != "7D26134E85E7DADF" || m["incomingKcv"] != "08D7B4" {
		t.Errorf("BDK by alias: have %v", m)
	}
}

// TestPINTranslateDUKPTBadInput: a bad KSN, format or key gives a 400
// naming the field, before any host command runs.
func TestPINTranslateDUKPTBadInput(t *testing.T) {
	e := newEnv(t)
	e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "zpk-1", "keyType": "ZPK", "cryptogram": restZPK})
	e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "bdk-short", "keyType": "BDK", "cryptogram": wrap(t, "BDK", testClear[:16])})
	tdes := dukptBody(restBDK, restZPK, "FFFF9876543210E00001", "1B9C1845EB993A7A", "4012345678909")
	aes := dukptBody(restAESBDK, restZPK2, "123456789012345600000001", "A912150391AB65A67E52883D81CE2D15", "4111111111111111")
	for _, tc := range append(ksnBadCases(tdes, aes), []badFieldCase{
		{"KSN with a ZPK", "ksn", CodeInvalidField, with(tdes, "incomingKeyType", "ZPK")},
		{"TDES DUKPT with ISO 4", "incomingFormat", CodeInvalidField, with(tdes, "incomingFormat", "ISO4")},
		{"AES DUKPT with ISO 0", "incomingFormat", CodeInvalidField, with(aes, "incomingFormat", "ISO0")},
		{"AES block of 16H", "pinBlock", CodeInvalidField, with(aes, "pinBlock", "A912150391AB65A6")},
		{"TDES block of 32H", "pinBlock", CodeInvalidField, with(tdes, "pinBlock", "A912150391AB65A67E52883D81CE2D15")},
		{"single-length BDK", "incomingKey", CodeInvalidField, with(tdes, "incomingKey", "0123456789ABCDEF")},
		{"alias of a ZPK as BDK", "incomingKey", CodeKeyTypeMismatch, with(tdes, "incomingKey", "alias/zpk-1")},
		{"alias of a single-length BDK", "incomingKey", CodeInvalidField, with(tdes, "incomingKey", "alias/bdk-short")},
		{"bad outgoing format", "outgoingFormat", CodeInvalidField, with(tdes, "outgoingFormat", "ISO4")},
		{"short PAN", "pan", CodeInvalidField, with(tdes, "pan", "401234567890")},
	}...) {
		e.expectBadField(t, "/v1/pin/translate", tc.name, tc.code, tc.field, tc.body)
	}
}

// TestPINTranslateDUKPTHSMErrors: what only the HSM can tell comes back as
// a 400 naming the field, with the contract's code.
func TestPINTranslateDUKPTHSMErrors(t *testing.T) {
	e := newEnv(t)
	tdes := dukptBody(restBDK, restZPK, "FFFF9876543210E00001", "1B9C1845EB993A7A", "4012345678909")
	for _, tc := range []struct {
		name, field, hsm string
		body             map[string]any
	}{
		// The E00001 block sent with KSN E00002 does not decode.
		{"block of another KSN", "pinBlock", "20", with(tdes, "ksn", "FFFF9876543210E00002")},
		{"BDK with a parity error", "incomingKey", "10", with(tdes, "incomingKey", "U8E3D3E2FD5919657F05A1AA90D32A015")},
		{"triple-length BDK", "incomingKey", "27", with(tdes, "incomingKey", wrap(t, "BDK", strings.Repeat(testClear[:16], 3)))},
		{"a ZPK's cryptogram as BDK", "incomingKey", "10", with(tdes, "incomingKey", restZPK)},
	} {
		e.expectHSMError(t, "/v1/pin/translate", tc.name, tc.field, tc.hsm, tc.body)
	}
}

package rest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// TestNoSecretReachesLogsMetricsAuditOrErrors runs every REST operation,
// successful and failing, with debug logging, and fails if a clear key, a
// clear PIN, a full PAN, a CVV, a PVV, an offset, a PIN block, a MAC, an
// ARQC/ARPC, a CAVV or a key cryptogram appears in the logs, the metrics,
// the audit log or any error body.
func TestNoSecretReachesLogsMetricsAuditOrErrors(t *testing.T) {
	const (
		clearKey = "0123456789ABCDEFFEDCBA9876543210"
		clearPIN = "918273645546" // 12 digits: unmistakable in any text
		pan      = "4929123456781234"
		pan2     = "5413330089020011"
		cavvPAN  = "4123456789012345"
	)
	e := newEnv(t)
	failing := newEnv(t, func(c *Config) {
		c.Executor = ExecutorFunc(func(context.Context, []byte) ([]byte, error) {
			return nil, &hostcmd.Error{Cmd: "CA", Code: hostcmd.InternalError}
		})
	})
	zpk, tpk, pvk := wrap(t, "ZPK", clearKey), wrap(t, "TPK", clearKey), wrap(t, "PVK", clearKey)
	cvk, imk, tak := wrap(t, "CVK", clearKey), wrap(t, "MK-AC", clearKey), wrap(t, "TAK", clearKey)
	zpkB, _ := tdes.New(mustHex(t, clearKey))
	account, _ := pin.AccountFromPAN(pan)
	p, _ := pin.ParsePIN(clearPIN)
	blk, err := pin.EncryptBlock(nil, zpkB, pin.ISO0, p, account, nil)
	if err != nil {
		t.Fatal(err)
	}
	pinBlock := strings.ToUpper(hex.EncodeToString(blk))
	// The same PIN from a DUKPT terminal loaded from clearKey as BDK.
	bdk := wrap(t, "BDK", clearKey)
	const ksn, dukptMAC = "FFFF9876543210E00003", "20B59A4FEAC937E3"
	dukptBlock := leakDUKPTBlock(t, clearKey, ksn, p, account)
	// The secret outputs, generated through the API itself.
	cvv := e.mustStatus(200, "/v1/card/generate", map[string]any{"cvk": cvk, "pan": pan, "expiry": "2512", "kind": "cvv2"})["value"].(string)
	macV := e.mustStatus(200, "/v1/mac/generate", map[string]any{"key": tak, "algorithm": "ISO9797_ALG3", "padding": "ISO9797_M2",
		"message": "0102030405060708", "length": 8})["mac"].(string)
	translated := e.mustStatus(200, "/v1/pin/translate", map[string]any{"incomingKey": zpk, "outgoingKey": zpk,
		"incomingFormat": "ISO0", "outgoingFormat": "ISO3", "pan": pan, "pinBlock": pinBlock})["pinBlock"].(string)
	cavv := "0700010972799396022310347279930000000000"
	cavvRaw := mustHex(t, cavv)
	const (
		arqc = "29CCA15AE665FA2E"
		arpc = "28993816AFAE4AEB"
		data = "0000000040000000000000000124800004800001241911050152BF45851800001C03A06010"
	)

	type call struct {
		path string
		body any
		hdr  map[string]string
	}
	translate := map[string]any{"incomingKey": zpk, "outgoingKey": zpk, "incomingFormat": "ISO0", "outgoingFormat": "ISO0", "pan": pan, "pinBlock": pinBlock}
	pvv := map[string]any{"key": zpk, "format": "ISO0", "pan": pan, "pinBlock": pinBlock,
		"method": map[string]any{"visaPvv": map[string]any{"pvk": pvk, "pvki": 1, "pvv": "7391"}}}
	ibm := map[string]any{"key": tpk, "keyType": "TPK", "format": "ISO0", "pan": pan, "pinBlock": pinBlock,
		"method": map[string]any{"ibm3624": map[string]any{"pvk": pvk, "decimalizationTable": "0123456789012345",
			"validationData": "0123456789AN", "offset": "482910374615", "checkLength": 12}}}
	card := map[string]any{"cvk": cvk, "pan": pan2, "expiry": "2512", "kind": "cvv", "serviceCode": "201", "value": cvv}
	crypto := map[string]any{"imk": imk, "pan": "1234567890123456", "psn": "00", "atc": "001C", "transactionData": data,
		"arqc": arqc, "profile": "visa-cvn10", "arpc": map[string]any{"method": 1, "arc": "3030"}}
	cavvReq := map[string]any{"key": cvk, "pan": cavvPAN, "cavv": cavv}
	macReq := map[string]any{"key": tak, "algorithm": "ISO9797_ALG3", "padding": "ISO9797_M2", "message": "0102030405060708", "length": 8, "mac": macV}
	calls := []call{
		{"/v1/pin/translate", translate, nil},
		{"/v1/pin/translate", with(translate, "incomingFormat", "ISO9"), nil},
		{"/v1/pin/translate", with(translate, "pinBlock", "FFFFFFFFFFFFFFFF"), nil}, // HSM 20
		{"/v1/pin/translate", with(translate, "pan", pan+"99999"), nil},
		{"/v1/pin/translate", with(translate, "outgoingKey", tpk), nil}, // HSM 10
		{"/v1/pin/translate", with(translate, pan, pan), nil},           // a PAN as a field name
		{"/v1/pin/translate", `{"pan":"` + pan + `","pinBlock":` + pinBlock + `}`, nil},
		{"/v1/pin/translate", `{"incomingKey":"` + zpk + `","pan":"` + pan, nil},
		{"/v1/pin/translate", translate, map[string]string{"X-Request-Id": pan}},
		{"/v1/pin/verify", pvv, nil},
		{"/v1/pin/verify", with(pvv, "method.visaPvv.pvki", 11), nil},
		{"/v1/pin/verify", ibm, nil},
		{"/v1/pin/verify", with(ibm, "method.ibm3624.checkLength", 13), nil},
		{"/v1/card/verify", card, nil},
		{"/v1/card/verify", with(card, "value", cvv+"0"), nil},
		{"/v1/card/generate", with(card, "value", nil), nil},
		{"/v1/cryptogram/verify", crypto, nil},
		{"/v1/cryptogram/verify", with(crypto, "arqc", arqc+"0"), nil},
		{"/v1/cryptogram/verify", with(crypto, "profile", "mc-cvn16"), nil}, // no un
		{"/v1/3ds/cavv/verify", cavvReq, nil},
		{"/v1/3ds/cavv/verify", with(cavvReq, "cavv", cavv[:38]+"FF"), nil},
		{"/v1/mac/generate", with(macReq, "mac", nil), nil},
		{"/v1/mac/verify", macReq, nil},
		{"/v1/mac/verify", with(macReq, "mac", macV+"00"), nil},
		{"/v1/pin/verify", with(with(with(pvv, "key", bdk), "ksn", ksn), "pinBlock", dukptBlock), nil},
		{"/v1/pin/verify", with(with(with(ibm, "key", bdk), "ksn", ksn), "pinBlock", dukptBlock), nil},
		{"/v1/pin/verify", with(with(with(pvv, "key", bdk), "ksn", ksn[:19]+"G"), "pinBlock", dukptBlock), nil},
		{"/v1/mac/verify", map[string]any{"key": bdk, "keyType": "BDK", "ksn": ksn, "message": "0102030405060708", "length": 8, "mac": dukptMAC}, nil},
		{"/v1/keys", map[string]any{"alias": "zpk-leak", "keyType": "ZPK", "cryptogram": zpk, "kcv": "000000"}, nil},
		{"/v1/keys", map[string]any{"alias": "zpk-leak", "keyType": "ZPK", "cryptogram": zpk}, nil},
		{"/v1/keys", map[string]any{"alias": "zpk-leak", "keyType": "ZPK", "cryptogram": zpk}, nil}, // 409
		{"/v1/keys", map[string]any{"alias": "zpk-gen", "keyType": "ZPK", "generate": true}, nil},
		{"/v1/pin/translate", with(translate, "incomingKey", "alias/zpk-leak"), nil},
		{"/v1/pin/translate", with(translate, "incomingKey", "alias/missing"), nil},
	}
	var errorBodies bytes.Buffer
	run := func(en *env, c call) {
		var b []byte
		if s, ok := c.body.(string); ok {
			b = []byte(s)
		} else {
			b = mustJSON(t, c.body)
		}
		r := en.do(http.MethodPost, c.path, bytes.NewReader(b), c.hdr)
		if r.status >= 400 {
			errorBodies.Write(r.body)
		}
		errorBodies.WriteString(r.header.Get("X-Request-Id") + "\n")
	}
	for _, c := range calls {
		run(e, c)
		run(failing, c)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		r := e.do(m, "/v1/keys/zpk-leak", nil, nil)
		if r.status >= 400 {
			errorBodies.Write(r.body)
		}
	}
	e.do(http.MethodGet, "/v1/keys", nil, nil)

	secrets := map[string]string{
		"clear key": clearKey, "clear PIN": clearPIN, "PAN": pan, "PAN 2": pan2, "CAVV PAN": cavvPAN,
		"PIN block": pinBlock, "translated PIN block": translated, "MAC": macV, "ARQC": arqc, "ARPC": arpc,
		"CAVV": cavv, "CAVV base64": base64.StdEncoding.EncodeToString(cavvRaw),
		"CVV": `"` + cvv + `"`, "PVV": `"7391"`, "offset": "482910374615",
		"DUKPT PIN block": dukptBlock, "DUKPT MAC": dukptMAC,
	}
	for name, c := range map[string]string{"ZPK": zpk, "TPK": tpk, "PVK": pvk, "CVK": cvk, "MK-AC": imk, "TAK": tak, "BDK": bdk} {
		secrets[name+" cryptogram"] = c[1:]
	}
	texts := map[string]string{
		"logs": e.logs.String() + failing.logs.String(), "audit": e.audit.String() + failing.audit.String(),
		"metrics": e.metrics() + failing.metrics(), "error bodies": errorBodies.String(),
	}
	if !strings.Contains(texts["logs"], `"level":"DEBUG"`) || texts["audit"] == "" || !strings.Contains(texts["error bodies"], "invalid_field") {
		t.Fatal("the test did not capture debug logs, audit lines and error bodies")
	}
	for where, text := range texts {
		upper := strings.ToUpper(text)
		for name, s := range secrets {
			if strings.Contains(upper, strings.ToUpper(s)) {
				t.Errorf("%s contain the %s", where, name)
			}
		}
	}
}

// leakDUKPTBlock is the ISO 0 block of p under the TDES DUKPT PIN key of
// the clear BDK and KSN.
func leakDUKPTBlock(t *testing.T, clearBDK, ksn string, p pin.PIN, account string) string {
	t.Helper()
	ck, err := keys.NewClearKey(mustHex(t, clearBDK))
	if err != nil {
		t.Fatal(err)
	}
	k, err := dukpt.ParseKSN(ksn)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := dukpt.DeriveTDES(ck, k, dukpt.VariantPIN)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tdes.New(pk.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	blk, err := pin.EncryptBlock(nil, b, pin.ISO0, p, account, nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(blk))
}

package rest

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/iso8583"
)

// dukptMessage is an 0200 from a DUKPT terminal: the ANSI X9.24-1:2009
// A.4 PIN block of KSN FFFF9876543210E00001 (PIN 1234, PAN 4012345678909;
// openemv/dukpt, jPOS DUKPTTest) in field 52 and the KSN in field 62.
func dukptMessage(t *testing.T, ksn string) string {
	t.Helper()
	m := iso8583.NewMessage("0200")
	m.SetString(2, "4012345678909")
	block, _ := hex.DecodeString("1B9C1845EB993A7A")
	m.Set(52, block)
	m.SetString(62, ksn)
	return strings.ToUpper(hex.EncodeToString(pack(t, m, iso8583.ISO87ASCII)))
}

// TestISO8583AuthorizeDUKPT: field 52 from a DUKPT terminal comes back
// under the ZPK as ThalesSim's CI answer for the same PIN, 7D26134E85E7DADF
// (see TestPINTranslateFromDUKPT).
func TestISO8583AuthorizeDUKPT(t *testing.T) {
	e := newEnv(t)
	ksnField := 62
	body := func(ksn string) map[string]any {
		return map[string]any{"message": dukptMessage(t, ksn), "spec": iso8583.ISO87ASCII,
			"pin": map[string]any{"bdk": restBDK, "ksnField": ksnField, "format": "ISO0",
				"translate": map[string]any{"outgoingKey": restZPK, "outgoingFormat": "ISO0"}}}
	}
	got := e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", body("FFFF9876543210E00001"))
	p, _ := got["pin"].(map[string]any)
	if p["pinBlock"] != "7D26134E85E7DADF" || p["pinLength"] != 4.0 {
		t.Fatalf("DUKPT translate: %v", got)
	}
	// A KSN that is not hex: a 400 naming the field the caller named.
	bad := e.mustStatus(http.StatusBadRequest, "/v1/iso8583/authorize", body("FFFF9876543210E0000G"))
	if fieldOf(bad) != "message.62" {
		t.Errorf("bad KSN: %v", bad)
	}
	for _, tc := range []struct {
		change func(pin map[string]any)
		field  string
	}{
		{func(p map[string]any) { delete(p, "ksnField") }, "pin.ksnField"},
		{func(p map[string]any) { p["ksnField"] = 61 }, "message.61"},
		{func(p map[string]any) { p["key"] = restZPK }, "pin.key"},
		{func(p map[string]any) { delete(p, "translate") }, "pin.translate"},
	} {
		b := body("FFFF9876543210E00001")
		tc.change(b["pin"].(map[string]any))
		if m := e.mustStatus(http.StatusBadRequest, "/v1/iso8583/authorize", b); fieldOf(m) != tc.field {
			t.Errorf("want a 400 naming %s, have %v", tc.field, m)
		}
	}
}

// fieldOf returns the field a 400 answer blames.
func fieldOf(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

package rest

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
)

// Test keys under the test LMK, wrapped from the clear key
// 0123456789ABCDEFFEDCBA9876543210 (KCV 08D7B4, payment-crypto.md §1).
const testClear = "0123456789ABCDEFFEDCBA9876543210"

// validBodies returns a valid request for every POST operation.
func validBodies(t testing.TB) map[string]map[string]any {
	zpk, tpk, pvk := wrap(t, "ZPK", testClear), wrap(t, "TPK", testClear), wrap(t, "PVK", testClear)
	cvk, imk, tak := wrap(t, "CVK", testClear), wrap(t, "MK-AC", testClear), wrap(t, "TAK", testClear)
	return map[string]map[string]any{
		"/v1/pin/translate": {"incomingKey": tpk, "incomingKeyType": "TPK", "outgoingKey": zpk, "incomingFormat": "ISO0",
			"outgoingFormat": "ISO0", "pan": "4111111111111111", "pinBlock": "0000000000000000"},
		"/v1/pin/verify": {"key": zpk, "format": "ISO0", "pan": "4111111111111111", "pinBlock": "0000000000000000",
			"method": map[string]any{"visaPvv": map[string]any{"pvk": pvk, "pvki": 1, "pvv": "1234"}}},
		"/v1/card/verify":   {"cvk": cvk, "pan": "4111111111111111", "expiry": "2512", "kind": "cvv", "serviceCode": "201", "value": "139"},
		"/v1/card/generate": {"cvk": cvk, "pan": "4111111111111111", "expiry": "2512", "kind": "cvv2"},
		"/v1/cryptogram/verify": {"imk": imk, "pan": "1234567890123456", "psn": "00", "atc": "001C",
			"transactionData": "0000000040000000000000000124800004800001241911050152BF45851800001C03A06010",
			"arqc":            "29CCA15AE665FA2E", "profile": "visa-cvn10", "arpc": map[string]any{"method": 1, "arc": "3030"}},
		"/v1/3ds/cavv/verify": {"key": cvk, "pan": "4123456789012345", "cavv": "0700010972799396022310347279930000000000"},
		"/v1/mac/generate":    {"key": tak, "algorithm": "ISO9797_ALG3", "padding": "ISO9797_M1", "message": "00112233", "length": 4},
		"/v1/mac/verify":      {"key": tak, "algorithm": "ISO9797_ALG3", "padding": "ISO9797_M1", "message": "00112233", "length": 4, "mac": "00000000"},
		"/v1/keys":            {"alias": "zpk-1", "keyType": "ZPK", "cryptogram": zpk},
	}
}

// with returns a copy of body with path (dotted) set to v, or removed when
// v is nil.
func with(body map[string]any, path string, v any) map[string]any {
	out := deepCopy(body).(map[string]any)
	m := out
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	if v == nil {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = v
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	}
	return v
}

// TestBadInputNamesTheField sends one bad field at a time and expects a 400
// naming it, before any host command is run.
func TestBadInputNamesTheField(t *testing.T) {
	e := newEnv(t)
	valid := validBodies(t)
	type tc struct {
		path, field string
		value       any // nil: remove the field
		code        string
	}
	cases := []tc{
		{"/v1/pin/translate", "incomingKey", nil, CodeMissingField},
		{"/v1/pin/translate", "incomingKey", "U0123", CodeInvalidField},
		{"/v1/pin/translate", "incomingKey", "alias/bad alias", CodeInvalidField},
		{"/v1/pin/translate", "incomingKeyType", "PVK", CodeInvalidField},
		{"/v1/pin/translate", "outgoingKey", nil, CodeMissingField},
		{"/v1/pin/translate", "incomingFormat", "ISO2", CodeInvalidField},
		{"/v1/pin/translate", "outgoingFormat", "iso0", CodeInvalidField},
		{"/v1/pin/translate", "pan", "411111111111", CodeInvalidField},
		{"/v1/pin/translate", "pan", "41111111111111112222", CodeInvalidField},
		{"/v1/pin/translate", "pan", "4111-1111-1111-1111", CodeInvalidField},
		{"/v1/pin/translate", "pinBlock", "000000000000000G", CodeInvalidField},
		{"/v1/pin/translate", "pinBlock", "00000000000000", CodeInvalidField},
		{"/v1/pin/translate", "pinBlock", nil, CodeMissingField},
		{"/v1/pin/translate", "pinLength", 4, CodeUnknownField},
		{"/v1/pin/translate", "pan", 4111111111111111, CodeInvalidField},
		{"/v1/pin/verify", "method", map[string]any{}, CodeInvalidField},
		{"/v1/pin/verify", "method.ibm3624", map[string]any{"pvk": "x"}, CodeInvalidField}, // both members
		{"/v1/pin/verify", "method.visaPvv.pvki", 10, CodeInvalidField},
		{"/v1/pin/verify", "method.visaPvv.pvki", nil, CodeMissingField},
		{"/v1/pin/verify", "method.visaPvv.pvki", "1", CodeInvalidField},
		{"/v1/pin/verify", "method.visaPvv.pvv", "12a4", CodeInvalidField},
		{"/v1/pin/verify", "method.visaPvv.pvk", nil, CodeMissingField},
		{"/v1/pin/verify", "method.visaPvv.extra", true, CodeUnknownField},
		{"/v1/pin/verify", "keyType", "TAK", CodeInvalidField},
		{"/v1/pin/verify", "format", "ISO4", CodeInvalidField},
		{"/v1/card/verify", "serviceCode", nil, CodeMissingField},
		{"/v1/card/verify", "kind", "cvc3", CodeInvalidField},
		{"/v1/card/verify", "value", "1391", CodeInvalidField},
		{"/v1/card/verify", "expiry", "25/12", CodeInvalidField},
		{"/v1/card/generate", "serviceCode", "000", CodeInvalidField}, // not with cvv2
		{"/v1/card/generate", "value", "123", CodeUnknownField},
		{"/v1/cryptogram/verify", "psn", "0", CodeInvalidField},
		{"/v1/cryptogram/verify", "atc", "1C", CodeInvalidField},
		{"/v1/cryptogram/verify", "transactionData", "ABC", CodeInvalidField},
		{"/v1/cryptogram/verify", "transactionData", strings.Repeat("00", 256), CodeInvalidField},
		{"/v1/cryptogram/verify", "arqc", "29CCA15AE665FA2", CodeInvalidField},
		{"/v1/cryptogram/verify", "profile", "visa-cvn12", CodeInvalidField},
		{"/v1/cryptogram/verify", "un", "XYZ", CodeInvalidField},
		{"/v1/cryptogram/verify", "arpc.method", 2, CodeInvalidField},
		{"/v1/cryptogram/verify", "arpc.arc", nil, CodeMissingField},
		{"/v1/cryptogram/verify", "arpc.csu", "00000000", CodeInvalidField},
		{"/v1/3ds/cavv/verify", "cavv", "07000109727993960223103472799300000000", CodeInvalidField},
		{"/v1/3ds/cavv/verify", "cavv", "0A00010972799396022310347279930000000000", CodeInvalidField}, // results code not BCD
		{"/v1/3ds/cavv/verify", "cavv", nil, CodeMissingField},
		{"/v1/mac/generate", "length", 5, CodeInvalidField},
		{"/v1/mac/generate", "length", nil, CodeMissingField},
		{"/v1/mac/generate", "algorithm", "CMAC", CodeInvalidField},
		{"/v1/mac/generate", "padding", "ISO9797_M3", CodeInvalidField},
		{"/v1/mac/generate", "message", "", CodeMissingField},
		{"/v1/mac/generate", "message", strings.Repeat("00", MaxMACMessage+1), CodeInvalidField},
		{"/v1/mac/generate", "keyType", "ZPK", CodeInvalidField},
		{"/v1/mac/verify", "mac", "0000000000000000", CodeInvalidField}, // length 4 wants 8H
		{"/v1/keys", "alias", "-zpk", CodeInvalidField},
		{"/v1/keys", "alias", nil, CodeMissingField},
		{"/v1/keys", "keyType", "ZEK", CodeInvalidField},
		{"/v1/keys", "cryptogram", nil, CodeMissingField},
		{"/v1/keys", "cryptogram", "X0123456789ABCDEF0123456789ABCDEF", CodeInvalidField},
		{"/v1/keys", "generate", true, CodeInvalidField}, // with a cryptogram
		{"/v1/keys", "kcv", "08D7", CodeInvalidField},
	}
	for _, c := range cases {
		before := e.sim.calls.Load()
		r := e.post(c.path, with(valid[c.path], c.field, c.value))
		if r.status != http.StatusBadRequest {
			t.Errorf("%s %s=%v: have %d %s, want 400", c.path, c.field, c.value, r.status, r.body)
			continue
		}
		code, field, _ := r.errorOf(t)
		wantField := c.field
		switch {
		case c.path == "/v1/pin/verify" && c.field == "method.ibm3624":
			wantField = "method"
		case c.path == "/v1/keys" && c.field == "generate":
			wantField = "cryptogram"
		}
		if code != c.code || field != wantField {
			t.Errorf("%s %s=%v: have %s field %q, want %s field %q", c.path, c.field, c.value, code, field, c.code, wantField)
		}
		if n := e.sim.calls.Load() - before; n != 0 {
			t.Errorf("%s %s: %d host commands ran for a bad request", c.path, c.field, n)
		}
	}
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		body, code, field string
	}{
		{`{"incomingKey":"U`, CodeInvalidRequest, "incomingKey"},
		{`{"incomingKey":`, CodeInvalidRequest, "incomingKey"},
		{`{"pan":"4111111111111111"`, CodeInvalidRequest, ""},
		{``, CodeInvalidRequest, ""},
		{`[1]`, CodeInvalidRequest, ""},
		{`{"pan":"1"}{"pan":"2"}`, CodeInvalidRequest, ""},
		{`{"pan":"1","pan":"2"}`, CodeInvalidField, "pan"},
		{"{\"pan\":\"\xff\"}", CodeInvalidRequest, ""},
	} {
		r := e.post("/v1/pin/translate", tc.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%q: have %d, want 400", tc.body, r.status)
			continue
		}
		if code, field, _ := r.errorOf(t); code != tc.code || field != tc.field {
			t.Errorf("%q: have %s %q, want %s %q", tc.body, code, field, tc.code, tc.field)
		}
	}
}

// TestHSMErrorsMapToFields checks that an HSM error code comes back as a
// 400 naming the field at fault, with hsmError.
func TestHSMErrorsMapToFields(t *testing.T) {
	e := newEnv(t)
	valid := validBodies(t)
	tpk := valid["/v1/pin/translate"]["incomingKey"].(string)
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		code       string
		field      string
		hsm        string
	}{
		// A TPK cryptogram read as a ZPK decrypts under another LMK pair
		// to a key with parity errors: BU answers 10.
		{"key of the wrong type", "/v1/pin/translate", with(valid["/v1/pin/translate"], "incomingKeyType", nil), CodeInvalidKey, "incomingKey", "10"},
		{"outgoing key of the wrong type", "/v1/pin/translate", with(valid["/v1/pin/translate"], "outgoingKey", tpk), CodeInvalidKey, "outgoingKey", "10"},
		// A PIN block of zeros does not decode under the key: CA answers 20.
		{"PIN block does not decode", "/v1/pin/translate", valid["/v1/pin/translate"], CodeInvalidPINBlock, "pinBlock", "20"},
		{"import of a key with parity errors", "/v1/keys", with(valid["/v1/keys"], "cryptogram", tpk), CodeInvalidKey, "cryptogram", "10"},
	} {
		r := e.post(tc.path, tc.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: have %d %s, want 400", tc.name, r.status, r.body)
			continue
		}
		code, field, hsm := r.errorOf(t)
		if code != tc.code || field != tc.field || hsm != tc.hsm {
			t.Errorf("%s: have %s %q hsmError %q, want %s %q %q", tc.name, code, field, hsm, tc.code, tc.field, tc.hsm)
		}
	}
}

func TestUnknownAliasIs404AndNamesTheField(t *testing.T) {
	e := newEnv(t)
	body := with(validBodies(t)["/v1/pin/translate"], "outgoingKey", "alias/nope")
	r := e.post("/v1/pin/translate", body)
	if r.status != http.StatusNotFound {
		t.Fatalf("have %d %s, want 404", r.status, r.body)
	}
	if code, field, _ := r.errorOf(t); code != CodeNotFound || field != "outgoingKey" {
		t.Fatalf("have %s %q, want not_found outgoingKey", code, field)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if r := e.do(m, "/v1/keys/nope", nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("%s /v1/keys/nope: have %d, want 404", m, r.status)
		}
	}
	if r := e.do(http.MethodGet, "/v1/nothing", nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown route: have %d, want 404", r.status)
	}
	if r := e.do(http.MethodGet, "/v1/pin/translate", nil, nil); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a POST route: have %d, want 405", r.status)
	}
}

func TestKeyRegistryLifecycle(t *testing.T) {
	e := newEnv(t)
	zpk := wrap(t, "ZPK", testClear)
	kcv := kcvOf(t, "ZPK", zpk)
	rec := e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "alias/zpk-1", "keyType": "ZPK",
		"cryptogram": zpk[:1] + strings.ToLower(zpk[1:]), "kcv": strings.ToLower(kcv)})
	if rec["alias"] != "alias/zpk-1" || rec["cryptogram"] != zpk || rec["kcv"] != kcv || rec["keyType"] != "ZPK" {
		t.Fatalf("record: %v", rec)
	}
	if _, err := time.Parse(time.RFC3339, rec["createdAt"].(string)); err != nil {
		t.Fatalf("createdAt: %v", err)
	}

	// 409 for the same alias, before any HSM work.
	before := e.sim.calls.Load()
	r := e.post("/v1/keys", map[string]any{"alias": "zpk-1", "keyType": "ZPK", "generate": true})
	if r.status != http.StatusConflict {
		t.Fatalf("duplicate alias: have %d %s, want 409", r.status, r.body)
	}
	if code, field, _ := r.errorOf(t); code != CodeAliasExists || field != "alias" {
		t.Fatalf("have %s %q", code, field)
	}
	if e.sim.calls.Load() != before {
		t.Fatal("a refused duplicate ran host commands")
	}

	// kcv_mismatch: the HSM's KCV is not the one given.
	r = e.post("/v1/keys", map[string]any{"alias": "zpk-2", "keyType": "ZPK", "cryptogram": zpk, "kcv": "000000"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("wrong kcv: have %d, want 400", r.status)
	}
	if code, field, _ := r.errorOf(t); code != CodeKCVMismatch || field != "kcv" {
		t.Fatalf("have %s %q, want kcv_mismatch kcv", code, field)
	}
	if r := e.do(http.MethodGet, "/v1/keys/zpk-2", nil, nil); r.status != http.StatusNotFound {
		t.Fatal("a refused import was registered")
	}

	// Generate a CVK (A0) and use it by alias; its KCV is the A0 one.
	gen := e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "cvk-1", "keyType": "CVK", "generate": true})
	if c := gen["cryptogram"].(string); len(c) != 33 || c[0] != 'U' || gen["kcv"] != kcvOf(t, "CVK", c) {
		t.Fatalf("generated key: %v", gen)
	}
	v := e.mustStatus(http.StatusOK, "/v1/card/generate", map[string]any{"cvk": "alias/cvk-1", "pan": "4111111111111111", "expiry": "2512", "kind": "cvv2"})
	if v["cvkKcv"] != gen["kcv"] {
		t.Fatalf("KCV of the alias: have %v, want %v", v["cvkKcv"], gen["kcv"])
	}
	// An alias of the wrong type for the field.
	r = e.post("/v1/pin/translate", with(validBodies(t)["/v1/pin/translate"], "outgoingKey", "alias/cvk-1"))
	if code, field, _ := r.errorOf(t); r.status != 400 || code != CodeKeyTypeMismatch || field != "outgoingKey" {
		t.Fatalf("wrong-type alias: have %d %s %q", r.status, code, field)
	}
	// keyType must agree with the registered type.
	body := with(validBodies(t)["/v1/pin/verify"], "key", "alias/zpk-1")
	body["keyType"] = "TPK"
	r = e.post("/v1/pin/verify", body)
	if code, field, _ := r.errorOf(t); r.status != 400 || code != CodeKeyTypeMismatch || field != "keyType" {
		t.Fatalf("keyType against alias: have %d %s %q", r.status, code, field)
	}

	list := e.do(http.MethodGet, "/v1/keys", nil, nil).json(t)["keys"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["alias"] != "alias/cvk-1" || list[1].(map[string]any)["alias"] != "alias/zpk-1" {
		t.Fatalf("list: %v", list)
	}
	got := e.do(http.MethodGet, "/v1/keys/zpk-1", nil, nil)
	if got.status != 200 || got.json(t)["cryptogram"] != zpk {
		t.Fatalf("get: %d %s", got.status, got.body)
	}
	del := e.do(http.MethodDelete, "/v1/keys/zpk-1", nil, nil)
	if del.status != 200 || del.json(t)["alias"] != "alias/zpk-1" {
		t.Fatalf("delete: %d %s", del.status, del.body)
	}
	if r := e.do(http.MethodGet, "/v1/keys/zpk-1", nil, nil); r.status != http.StatusNotFound {
		t.Fatal("deleted alias still there")
	}
}

func TestBodyOver64KiBIs413(t *testing.T) {
	e := newEnv(t)
	big := `{"message":"` + strings.Repeat("00", MaxBodyBytes/2) + `"}`
	r := e.post("/v1/mac/generate", big)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("have %d, want 413", r.status)
	}
	if code, _, _ := r.errorOf(t); code != CodeBodyTooLarge {
		t.Fatalf("have %s", code)
	}
	// Exactly 64 KiB is read (and then refused for its content, not size).
	exact := `{"message":"` + strings.Repeat("0", MaxBodyBytes-len(`{"message":""}`)) + `"}`
	if r := e.post("/v1/mac/generate", exact); r.status != http.StatusBadRequest {
		t.Fatalf("64 KiB body: have %d, want 400", r.status)
	}
}

// TestNoHSMIs503WithRetryAfter covers both ways an operation finds no HSM:
// the pool answers 41, or the operation's deadline passes.
func TestNoHSMIs503WithRetryAfter(t *testing.T) {
	shed := ExecutorFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, &hostcmd.Error{Cmd: "CW", Code: hostcmd.InternalError}
	})
	stuck := ExecutorFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	for name, ex := range map[string]Executor{"pool answers 41": shed, "deadline": stuck} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Executor = ex; c.OperationTimeout = 50 * time.Millisecond })
			r := e.post("/v1/card/generate", validBodies(t)["/v1/card/generate"])
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Fatalf("have %d Retry-After %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
			}
			if code, _, _ := r.errorOf(t); code != CodeUnavailable {
				t.Fatalf("have %s", code)
			}
		})
	}
}

func TestMalformedHSMAnswerIs502(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Executor = ExecutorFunc(func(context.Context, []byte) ([]byte, error) { return []byte("BV00XYZ"), nil })
	})
	r := e.post("/v1/card/generate", validBodies(t)["/v1/card/generate"])
	if r.status != http.StatusBadGateway {
		t.Fatalf("have %d %s, want 502", r.status, r.body)
	}
}

func TestRequestIDIsEchoedOrGenerated(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/v1/keys", nil, map[string]string{"X-Request-Id": "abc-123"})
	if r.header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("echo: have %q", r.header.Get("X-Request-Id"))
	}
	if !strings.Contains(e.audit.String(), `"requestId":"abc-123"`) {
		t.Fatalf("request id not in the audit log: %s", e.audit.String())
	}
	r = e.do(http.MethodGet, "/v1/keys", nil, nil)
	if id := r.header.Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("generated id %q", id)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	up := newEnv(t)
	if r := up.do(http.MethodGet, "/healthz", nil, nil); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	if r := up.do(http.MethodGet, "/readyz", nil, nil); r.status != 200 || r.json(t)["healthyHsms"] != float64(1) {
		t.Fatalf("readyz with an HSM up: %d %s", r.status, r.body)
	}
	down := newEnv(t, func(c *Config) {
		c.Status = func() Status {
			return Status{Pairs: []PairStatus{{Name: "a", HSMs: []HSMStatus{{Name: "x", State: pool.Down}}}}}
		}
	})
	if r := down.do(http.MethodGet, "/readyz", nil, nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with no HSM up: %d", r.status)
	}
	if r := down.do(http.MethodGet, "/healthz", nil, nil); r.status != 200 {
		t.Fatalf("healthz must not depend on HSMs: %d", r.status)
	}
	st := up.do(http.MethodGet, "/v1/hsms", nil, nil).json(t)
	pairs := st["pairs"].([]any)
	if len(pairs) != 1 || st["lmkCheckValue"] != "268604A55B79C2D5" {
		t.Fatalf("/v1/hsms: %v", st)
	}
}

func TestMetricsCountRoutesNotValues(t *testing.T) {
	e := newEnv(t)
	e.mustStatus(http.StatusOK, "/v1/card/generate", validBodies(t)["/v1/card/generate"])
	e.post("/v1/card/generate", `{"pan":1}`)
	e.do(http.MethodGet, "/v1/keys/some-alias", nil, nil)
	m := e.metrics()
	for _, want := range []string{
		`payhsm_rest_requests_total{method="POST",route="/v1/card/generate",status="200"} 1`,
		`payhsm_rest_requests_total{method="POST",route="/v1/card/generate",status="400"} 1`,
		`payhsm_rest_requests_total{method="GET",route="/v1/keys/{alias}",status="404"} 1`,
		`payhsm_rest_request_duration_seconds_count{route="/v1/card/generate"} 2`,
		`payhsm_rest_hsm_commands_total{cmd="CW",code="00"} 1`,
		`payhsm_rest_hsm_commands_total{cmd="BU",code="00"} 1`,
		`payhsm_rest_kcv_cache_misses_total 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, "some-alias") {
		t.Error("a path value reached a metric label")
	}
	// The second use of the same inline key hits the KCV cache.
	e.mustStatus(http.StatusOK, "/v1/card/generate", validBodies(t)["/v1/card/generate"])
	if m := e.metrics(); !strings.Contains(m, "payhsm_rest_kcv_cache_hits_total 1") ||
		!strings.Contains(m, `payhsm_rest_hsm_commands_total{cmd="BU",code="00"} 1`) {
		t.Error("second use of an inline key ran BU again")
	}
}

func TestAuditRecordsOperationsAndCommands(t *testing.T) {
	e := newEnv(t)
	e.do(http.MethodPost, "/v1/card/generate", bytes.NewReader(mustJSON(t, validBodies(t)["/v1/card/generate"])),
		map[string]string{"X-Request-Id": "req-7"})
	lines := strings.Split(strings.TrimSpace(e.audit.String()), "\n")
	// BU (the CVK's KCV), CW, then the operation.
	if len(lines) != 3 {
		t.Fatalf("have %d audit lines, want 3:\n%s", len(lines), e.audit.String())
	}
	for i, want := range []string{`"cmd":"BU"`, `"cmd":"CW"`, `"status":200`} {
		for _, common := range []string{`"requestId":"req-7"`, `"op":"card.generate"`, `"pan":"411111******1111"`, want} {
			if !strings.Contains(lines[i], common) {
				t.Errorf("audit line %d lacks %s: %s", i, common, lines[i])
			}
		}
	}
}

func TestPanicIs500AndTheServerGoesOn(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Executor = ExecutorFunc(func(context.Context, []byte) ([]byte, error) { panic("executor bug") })
	})
	r := e.post("/v1/card/generate", validBodies(t)["/v1/card/generate"])
	if r.status != http.StatusInternalServerError {
		t.Fatalf("have %d, want 500", r.status)
	}
	if code, _, _ := r.errorOf(t); code != CodeInternal {
		t.Fatalf("have %s", code)
	}
	if strings.Contains(e.logs.String(), "executor bug") {
		t.Fatal("the panic value was logged")
	}
	if r := e.do(http.MethodGet, "/healthz", nil, nil); r.status != 200 {
		t.Fatal("the handler stopped serving after a panic")
	}
}

func TestClientChosenMethodsDoNotMakeLabels(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"FOO1", "FOO2", "BREW"} {
		e.do(m, "/v1/keys", nil, nil)
	}
	m := e.metrics()
	if strings.Contains(m, "FOO1") || !strings.Contains(m, `method="other"`) {
		t.Fatal("a client-chosen method became a metric label")
	}
}

package rest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/internal/testlog"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/registry"
	"github.com/payhsm/payhsm-gw/simulator"
)

// syncBuffer captures a server's log while it runs.
type syncBuffer = testlog.Buffer

// simExecutor runs commands on the in-process simulator engine and counts
// them.
type simExecutor struct {
	hsm   *simulator.HSM
	calls atomic.Int64
}

func (e *simExecutor) Do(_ context.Context, body []byte) ([]byte, error) {
	e.calls.Add(1)
	return e.hsm.Execute(nil, body), nil
}

// env is a REST handler over the simulator with everything it writes
// captured: debug logs, audit lines, metrics.
type env struct {
	t     testing.TB
	h     http.Handler
	sim   *simExecutor
	reg   *registry.Registry
	logs  *syncBuffer
	audit *syncBuffer
	prom  *prometheus.Registry
}

func newEnv(t testing.TB, mods ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, logs: &syncBuffer{}, audit: &syncBuffer{}, prom: prometheus.NewRegistry(),
		sim: &simExecutor{hsm: simulator.NewHSM(keys.TestLMK())}}
	reg, err := registry.Open(t.TempDir(), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	e.reg = reg
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	al, err := audit.New(e.audit, audit.Options{Logger: logger, Registerer: e.prom})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Executor: e.sim, Registry: reg, Audit: al, Logger: logger, Registerer: e.prom,
		Metrics: promhttp.HandlerFor(e.prom, promhttp.HandlerOpts{}),
		Auth:    Auth{Disabled: true},
		Status: func() Status {
			return Status{LMKCheckValue: "268604A55B79C2D5", Pairs: []PairStatus{{Name: "a", HSMs: []HSMStatus{
				{Name: "sim-1", Addr: "127.0.0.1:1500", State: StateUp, LMKCheckValue: "268604A55B79C2D5"}}}}}
		},
	}
	for _, m := range mods {
		m(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

// response is a recorded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errorOf returns the error body's code and field.
func (r response) errorOf(t testing.TB) (code, field, hsmError string) {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error.Code == "" {
		t.Fatalf("not an error body (%v): %s", err, r.body)
	}
	return b.Error.Code, b.Error.Field, b.Error.HSMError
}

// checkError fails the test (Errorf, prefixed with name) unless r is an
// error answer of status with code, field and HSM error code hsm. It
// reports false when the status differs and the body was not read.
func (r response) checkError(t testing.TB, name string, status int, code, field, hsm string) bool {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: have %d %s, want %d", name, r.status, r.body, status)
		return false
	}
	c, f, h := r.errorOf(t)
	if c != code || f != field || h != hsm {
		t.Errorf("%s: have %s/%s/%q, want %s/%s/%q: %s", name, c, f, h, code, field, hsm, r.body)
	}
	return true
}

func (e *env) do(method, path string, body io.Reader, hdr map[string]string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// post sends v (a string is sent as it is, anything else as JSON).
func (e *env) post(path string, v any) response {
	e.t.Helper()
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.do(http.MethodPost, path, bytes.NewReader(b), map[string]string{"Content-Type": "application/json"})
}

// mustOK posts and fails the test unless the status is want.
func (e *env) mustStatus(want int, path string, v any) map[string]any {
	e.t.Helper()
	r := e.post(path, v)
	if r.status != want {
		e.t.Fatalf("POST %s: have %d %s, want %d", path, r.status, r.body, want)
	}
	return r.json(e.t)
}

// metrics returns the /metrics text.
func (e *env) metrics() string {
	e.t.Helper()
	r := e.do(http.MethodGet, "/metrics", nil, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("/metrics: %d", r.status)
	}
	return string(r.body)
}

// --- test keys ---

// wrap returns clear (hex) under the test LMK as key type name, scheme U
// (or single for 16H), with keys.TestLMK().Encrypt.
func wrap(t testing.TB, typ, clearHex string) string {
	t.Helper()
	kt, ok := keyTypeOf(typ)
	if !ok {
		t.Fatalf("no key type %s", typ)
	}
	b, err := hex.DecodeString(clearHex)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := keys.NewClearKey(b)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Destroy()
	s := keys.SchemeU
	switch len(b) {
	case 8:
		s = keys.SchemeSingle
	case 24:
		s = keys.SchemeT
	}
	ct, err := keys.TestLMK().Encrypt(kt, s, ck)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ToUpper(hex.EncodeToString(ct))
	if p := s.Prefix(); p != 0 {
		out = string(p) + out
	}
	return out
}

// kcvOf returns the 6H KCV of a cryptogram, computed with the keys package.
func kcvOf(t testing.TB, typ, cryptogram string) string {
	t.Helper()
	kt, _ := keyTypeOf(typ)
	s := keys.SchemeSingle
	h := cryptogram
	if cryptogram[0] == 'U' || cryptogram[0] == 'T' {
		s, h = keys.Scheme(cryptogram[0]), cryptogram[1:]
	}
	ct, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := keys.TestLMK().Decrypt(kt, s, ct)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Destroy()
	v, err := keys.CheckValue(ck)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(v[:3]))
}

// vkey is a key of testdata/vectors.json: given clear (wrapped by the
// test) or as a cryptogram.
type vkey struct {
	Type       string `json:"type"`
	Clear      string `json:"clear"`
	Cryptogram string `json:"cryptogram"`
}

func (k vkey) ref(t testing.TB) string {
	if k.Cryptogram != "" {
		return k.Cryptogram
	}
	return wrap(t, k.Type, k.Clear)
}

type vectors struct {
	PINTranslate []struct {
		Source                         string
		IncomingKey, OutgoingKey       vkey
		IncomingFormat, OutgoingFormat string
		PAN                            string `json:"pan"`
		PINBlock                       string `json:"pinBlock"`
		WantPINBlock                   string `json:"wantPinBlock"`
		WantPINLength                  int    `json:"wantPinLength"`
	} `json:"pinTranslate"`
	PVV []struct {
		Source   string
		Key, PVK vkey
		Format   string
		PAN      string `json:"pan"`
		PINBlock string `json:"pinBlock"`
		PVKI     int    `json:"pvki"`
		PVV      string `json:"pvv"`
	} `json:"pvv"`
	IBM3624 []struct {
		Source              string
		PVK                 vkey `json:"pvk"`
		PAN                 string
		DecimalizationTable string
		ValidationData      string
		PIN                 string
		Offset              string
		CheckLength         int
	} `json:"ibm3624"`
	CVV []struct {
		Source                                string
		CVK                                   vkey `json:"cvk"`
		PAN, Expiry, Kind, ServiceCode, Value string
	} `json:"cvv"`
	Cryptogram []struct {
		Source                                string
		IMK, PAN, PSN, ATC, UN, Profile, ARQC string
		TransactionData                       string
		ARPC                                  map[string]any `json:"arpc"`
		WantARPC                              string         `json:"wantArpc"`
	} `json:"cryptogram"`
	CAVV []struct {
		Source, Key, PAN, CAVV string
		Want                   map[string]any
	} `json:"cavv"`
	MAC []struct {
		Source, Key, Algorithm, Padding, Message, MAC string
		Length                                        int
	} `json:"mac"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

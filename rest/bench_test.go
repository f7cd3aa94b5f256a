package rest

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/registry"
	"github.com/payhsm/payhsm-gw/simulator"
)

// BenchmarkDecodeRequest measures strict decoding (shape walk and
// encoding/json) of a PIN verify request.
func BenchmarkDecodeRequest(b *testing.B) {
	body := mustJSON(b, validBodies(b)["/v1/pin/verify"])
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var req pinVerifyRequest
		if e := decodeRequest(body, &req); e != nil {
			b.Fatal(e)
		}
	}
}

// benchHandler is the handler over the in-process simulator with no
// logging, audit or metrics registry: the REST layer's own cost plus the
// simulator's crypto.
func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	reg, err := registry.Open(b.TempDir(), registry.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Close() })
	h, err := New(Config{Executor: &simExecutor{hsm: simulator.NewHSM(keys.TestLMK())}, Registry: reg,
		Logger: slog.New(slog.DiscardHandler), Auth: Auth{Disabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func benchOp(b *testing.B, path string, body []byte) {
	h := benchHandler(b)
	run := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	run() // fill the KCV cache
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}

// BenchmarkOperation measures whole REST operations with inline keys
// (KCVs cached after the first call), through the simulator.
func BenchmarkOperation(b *testing.B) {
	v := loadVectors(b)
	t0 := v.PINTranslate[0]
	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"PINTranslate", "/v1/pin/translate", map[string]any{"incomingKey": t0.IncomingKey.ref(b), "incomingKeyType": "TPK",
			"outgoingKey": t0.OutgoingKey.ref(b), "incomingFormat": "ISO0", "outgoingFormat": "ISO0", "pan": t0.PAN, "pinBlock": t0.PINBlock}},
		{"CardVerify", "/v1/card/verify", validBodies(b)["/v1/card/verify"]},
		{"CryptogramVerify", "/v1/cryptogram/verify", validBodies(b)["/v1/cryptogram/verify"]},
	} {
		b.Run(tc.name, func(b *testing.B) { benchOp(b, tc.path, mustJSON(b, tc.body)) })
	}
}

package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fuzzRoutes are the POST operations FuzzDecodeRequest drives.
var fuzzRoutes = []string{
	"/v1/pin/translate", "/v1/pin/verify", "/v1/card/verify", "/v1/card/generate",
	"/v1/cryptogram/verify", "/v1/3ds/cavv/verify", "/v1/mac/generate", "/v1/mac/verify", "/v1/keys",
}

// FuzzDecodeRequest posts arbitrary bodies to every request type through
// the real handler and the in-process simulator. Whatever the body, the
// handler must not panic and must answer 2xx or 4xx with a JSON body; a 4xx
// carries an error code.
func FuzzDecodeRequest(f *testing.F) {
	valid := validBodies(f)
	for i, p := range fuzzRoutes {
		b, _ := json.Marshal(valid[p])
		f.Add(uint8(i), b)
		f.Add(uint8(i), b[:len(b)/2])
		f.Add(uint8(i), []byte(`{}`))
	}
	d := loadDoc(f)
	for k, op := range d.operations() {
		bc := obj(obj(obj(op["requestBody"])["content"])["application/json"])
		for _, ex := range obj(bc["examples"]) {
			b, _ := json.Marshal(obj(ex)["value"])
			for i, p := range fuzzRoutes {
				if k == "POST "+p {
					f.Add(uint8(i), b)
				}
			}
		}
	}
	for _, s := range []string{`[`, `{"pan":`, `{"method":{"visaPvv":{"pvki":1e400}}}`, `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}`,
		`{"arpc":{"method":2,"csu":"00000000","proprietaryData":"00112233445566778899"}}`, "{\"pan\":\"\\ud800\"}"} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(4), []byte(s))
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		r := response{status: rec.Code, body: rec.Body.Bytes()}
		if r.status < 200 || r.status >= 500 || (r.status >= 300 && r.status < 400) {
			t.Fatalf("POST %s: status %d: %s", path, r.status, r.body)
		}
		var v map[string]any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("POST %s: answer is not a JSON object: %s", path, r.body)
		}
		if r.status >= 400 {
			if code, _ := obj(v["error"])["code"].(string); code == "" {
				t.Fatalf("POST %s: %d without an error code: %s", path, r.status, r.body)
			}
		}
	})
}

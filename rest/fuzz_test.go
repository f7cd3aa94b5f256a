package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// fuzzRoutes are the POST operations FuzzDecodeRequest drives.
var fuzzRoutes = []string{
	"/v1/pin/translate", "/v1/pin/verify", "/v1/card/verify", "/v1/card/generate",
	"/v1/cryptogram/verify", "/v1/3ds/cavv/verify", "/v1/mac/generate", "/v1/mac/verify", "/v1/keys",
	"/v1/keys/zpk-acq-kb/export",
}

// kbRoute marks a fuzz input that goes to the key-block-LMK simulator.
const kbRoute = 0x80

// FuzzDecodeRequest posts arbitrary bodies to every request type through
// the real handler and the in-process simulator. Whatever the body, the
// handler must not panic and must answer 2xx or 4xx with a JSON body; a 4xx
// carries an error code. Inputs with kbRoute set go to a simulator with a
// key-block LMK (TR-31 import and export, ISO4), the others to a variant one.
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
		for name, ex := range obj(bc["examples"]) {
			b, _ := json.Marshal(obj(ex)["value"])
			for i, p := range fuzzRoutes {
				if k == "POST "+p || k == "POST /v1/keys/{alias}/export" && strings.HasSuffix(p, "/export") {
					f.Add(uint8(i), b)
					if strings.HasPrefix(name, "keyBlock") {
						f.Add(uint8(i)|kbRoute, b)
					}
				}
			}
		}
	}
	// TR-31 import and export bodies: the A.7.2.1 block (keys/tr31/testdata)
	// whole, cut, with its length field or MAC damaged, under a KEK that is
	// not one.
	const block = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	kek := lmkBlock(f, "K0", 'T', 'B', 'N', "89E88CF7931444F334BD7547FC3F380C")
	keysRoute, exportRoute := uint8(slices.Index(fuzzRoutes, "/v1/keys")), uint8(len(fuzzRoutes)-1)
	for _, kb := range []string{block, block[:40], "A9999" + block[5:], block[:len(block)-1] + "0", "D0016P0AB00E0000", "A"} {
		for _, k := range []string{kek, kek[:20], "alias/zpk-acq-kb", "S99999"} {
			b, _ := json.Marshal(importBody("k1", "ZPK", kb, k))
			f.Add(keysRoute|kbRoute, b)
		}
	}
	for _, s := range []string{`{"kek":"` + kek + `"}`, `{"kek":"` + kek + `","version":"D"}`, `{"kek":"S0001"}`, `{"version":"B"}`} {
		f.Add(exportRoute|kbRoute, []byte(s))
		f.Add(exportRoute, []byte(s))
	}
	for _, s := range []string{`[`, `{"pan":`, `{"method":{"visaPvv":{"pvki":1e400}}}`, `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}`,
		`{"arpc":{"method":2,"csu":"00000000","proprietaryData":"00112233445566778899"}}`, "{\"pan\":\"\\ud800\"}"} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(4), []byte(s))
	}
	e, kbe := newEnv(f), newKBEnv(f)
	// The keys the keyBlock examples use, registered once.
	for _, ex := range []string{"keyBlockTdes", "keyBlockAes", "keyBlockTdesUnderAes"} {
		v := obj(obj(obj(obj(obj(d.operations()["POST /v1/keys"]["requestBody"])["content"])["application/json"])["examples"])[ex])["value"]
		kbe.mustStatus(http.StatusCreated, "/v1/keys", v)
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route&^kbRoute)%len(fuzzRoutes)]
		h := e.h
		if route&kbRoute != 0 {
			h = kbe.h
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
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

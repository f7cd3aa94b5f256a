package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/internal/tlsconfig/tlstest"
	"github.com/payhsm/payhsm-gw/rest"
	"github.com/payhsm/payhsm-gw/simulator"
)

// restVectors is testdata/rest.json: OpenAPI examples of the rest package
// with the public vectors behind them (sources in the file).
type restVectors struct {
	PINTranslate struct {
		Request  json.RawMessage `json:"request"`
		PINBlock string          `json:"pinBlock"`
	} `json:"pinTranslate"`
	KeyImport struct {
		Request json.RawMessage `json:"request"`
	} `json:"keyImport"`
}

func loadRESTVectors(t *testing.T) restVectors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v restVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// served is a running runServe.
type served struct {
	front, http string
	log         *syncBuffer
	stop        func() int
}

// startServe runs serve with args until the test ends or stop is called.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{log: &syncBuffer{}}
	done := make(chan int, 1)
	go func() { done <- runServe(ctx, args, io.Discard, s.log) }()
	var code *int
	s.stop = func() int {
		if code == nil {
			cancel()
			select {
			case c := <-done:
				code = &c
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop after its context was cancelled")
			}
		}
		return *code
	}
	t.Cleanup(func() { s.stop() })
	s.front = waitLog(t, s.log, `host-command front listening" addr=(\S+)`)
	s.http = waitLog(t, s.log, `HTTP listening" addr=(\S+)`)
	return s
}

func (s *served) do(t *testing.T, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.http+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestServeRESTEndToEndWithAudit(t *testing.T) {
	v := loadRESTVectors(t)
	data := t.TempDir()
	s := startServe(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data)
	if !strings.Contains(s.log.String(), "REST authentication OFF") {
		t.Errorf("the log does not say that REST authentication is off:\n%s", s.log.String())
	}

	code, body := s.do(t, "POST", "/v1/pin/translate", v.PINTranslate.Request)
	var tr struct {
		PINBlock string `json:"pinBlock"`
	}
	if err := json.Unmarshal(body, &tr); code != http.StatusOK || err != nil || tr.PINBlock != v.PINTranslate.PINBlock {
		t.Errorf("POST /v1/pin/translate: have %d %s, want 200 with pinBlock %s", code, body, v.PINTranslate.PINBlock)
	}
	for _, tt := range []struct{ path, want string }{
		{"/readyz", ""},
		{"/healthz", ""},
		{"/openapi.json", `"/v1/pin/translate"`},
		{"/metrics", "payhsm_audit_records_total"},
		{"/v1/hsms", `"sim-a"`},
	} {
		code, body := s.do(t, "GET", tt.path, nil)
		if code != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: have %d, body without %q", tt.path, code, tt.want)
		}
	}

	// One host command through the front.
	if f := roundTrip(t, s.front, "0001", "NC"); !strings.HasPrefix(string(f.Body()), "ND00") {
		t.Fatalf("NC through serve: have %q", f.Body())
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status: have %d, want 0", code)
	}

	raw, err := os.ReadFile(filepath.Join(data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var pan struct {
		PAN string `json:"pan"`
	}
	json.Unmarshal(v.PINTranslate.Request, &pan)
	if strings.Contains(string(raw), pan.PAN) {
		t.Errorf("the audit log holds a full PAN")
	}
	// rest writes a record per host command of an operation and one for
	// the operation; the front one per relayed command.
	var sawOp, sawOpCmd, sawCmd bool
	for line := range strings.Lines(string(raw)) {
		var r struct {
			Op, Cmd, HSM, Code, PAN string
			Status                  int
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		masked := strings.HasPrefix(r.PAN, pan.PAN[:6]) && strings.Contains(r.PAN, "*")
		switch {
		case r.Op == "pin.translate" && r.Cmd == "":
			sawOp = sawOp || r.Status == http.StatusOK && masked
		case r.Op == "pin.translate" && r.Cmd == "CA":
			sawOpCmd = sawOpCmd || r.Code == "00" && r.HSM != "" && masked
		case r.Op == "" && r.Cmd == "NC":
			sawCmd = sawCmd || r.Code == "00" && r.HSM != ""
		}
	}
	if !sawOp || !sawOpCmd || !sawCmd {
		t.Errorf("audit log: want masked pin.translate records for the operation (%v) and its CA naming the HSM (%v), and an NC record naming the HSM (%v):\n%s",
			sawOp, sawOpCmd, sawCmd, raw)
	}
}

func TestServeAliasSurvivesARestart(t *testing.T) {
	v := loadRESTVectors(t)
	data := t.TempDir()
	s := startServe(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data)
	if code, body := s.do(t, "POST", "/v1/keys", v.KeyImport.Request); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("POST /v1/keys: have %d %s", code, body)
	}
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit status: have %d, want 0", code)
	}
	s = startServe(t, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data)
	code, body := s.do(t, "GET", "/v1/keys/zpk-issuer-1", nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"ZPK"`) {
		t.Errorf("GET /v1/keys/zpk-issuer-1 after a restart: have %d %s", code, body)
	}
	if code, _ := s.do(t, "GET", "/v1/keys/never-made", nil); code != http.StatusNotFound {
		t.Errorf("GET of an unknown alias: have %d, want 404", code)
	}
}

func TestServeRefusesAnOpenRESTListenerWithoutAuth(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	cfg := "pools:\n  - hsms:\n      - {name: a, addr: \"127.0.0.1:1\"}\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no auth", []string{"--config", file, "--http", "0.0.0.0:0"}, "not a loopback address"},
		{"bad rest key", []string{"--config", write(t, dir, "k.yaml", cfg+"rest:\n  auth:\n    api_keys: [{id: ops, sha256: abc}]\n"), "--http", "0.0.0.0:0"},
			"rest.auth.api_keys[0].sha256"},
		{"unknown rest key", []string{"--config", write(t, dir, "u.yaml", cfg+"rest:\n  operation_timeot: 1s\n")}, "operation_timeot"},
	}
	for _, tt := range tests {
		var errb syncBuffer
		args := append(tt.args, "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
		code := runServe(context.Background(), args, io.Discard, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%s: have exit %d, stderr %q; want exit %d and %q", tt.name, code, errb.String(), exitUsage, tt.want)
		}
	}
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeRESTOverTLSWithClientCertsAndAPIKeys(t *testing.T) {
	sim, err := simulator.Start(simulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ca := tlstest.NewCA(t, "test")
	srv := ca.Issue("gateway", "gateway.test")
	proc := ca.Issue("processor-1")
	stranger := ca.Issue("stranger")
	const apiKey = "test-api-key-not-a-secret"
	dir := t.TempDir()
	file := write(t, dir, "gw.yaml", fmt.Sprintf(`rest:
  tls: {cert: %q, key: %q, client_ca: %q}
  auth:
    api_keys: [{id: ops, sha256: %s}]
    client_certs: [{name: processor-1}]
pools:
  - hsms: [{name: only, addr: %q}]
`, srv.CertFile, srv.KeyFile, ca.CertFile, rest.HashAPIKey(apiKey), sim.Addr()))
	s := startServe(t, "--config", file, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	if !strings.Contains(s.log.String(), "REST authentication on") || !strings.Contains(s.log.String(), "scheme=https") {
		t.Errorf("the log does not say REST is authenticated over HTTPS:\n%s", s.log.String())
	}
	pem, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := func(cert *tlstest.Pair) *http.Client {
		cfg := &tls.Config{RootCAs: roots, ServerName: "gateway.test"}
		if cert != nil {
			c, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	// rest.md "Security": an API key or a listed client certificate.
	tests := []struct {
		name string
		cert *tlstest.Pair
		key  string
		want int
	}{
		{"nothing", nil, "", http.StatusUnauthorized},
		{"listed certificate", &proc, "", http.StatusOK},
		{"unlisted certificate", &stranger, "", http.StatusForbidden}, // verified, not listed
		{"API key", nil, apiKey, http.StatusOK},
		{"wrong API key", nil, apiKey + "x", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req, err := http.NewRequest("GET", "https://"+s.http+"/v1/hsms", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.key != "" {
			req.Header.Set("X-API-Key", tt.key)
		}
		c := client(tt.cert)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		c.CloseIdleConnections()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: GET /v1/hsms: have %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}

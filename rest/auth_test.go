package rest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tlsconfig"
	"github.com/payhsm/payhsm-gw/internal/tlsconfig/tlstest"
)

const (
	opsKey   = "k3y-for-ops-0123456789abcdef"
	adminKey = "k3y-for-admin-0123456789abcdef"
)

func withKeys(c *Config) {
	c.Auth = Auth{APIKeys: []APIKey{
		{ID: "ops", SHA256: HashAPIKey(opsKey)},
		{ID: "admin", SHA256: strings.ToUpper(HashAPIKey(adminKey)), ManageKeys: true},
	}}
}

func TestAPIKeyAuthentication(t *testing.T) {
	e := newEnv(t, withKeys)
	body := string(mustJSON(t, validBodies(t)["/v1/card/generate"]))
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
		client string
	}{
		{"no credentials", nil, http.StatusUnauthorized, ""},
		{"bearer", map[string]string{"Authorization": "Bearer " + opsKey}, http.StatusOK, "key:ops"},
		{"bearer lower case scheme", map[string]string{"Authorization": "bearer " + opsKey}, http.StatusOK, "key:ops"},
		{"x-api-key", map[string]string{"X-API-Key": adminKey}, http.StatusOK, "key:admin"},
		{"unknown key", map[string]string{"X-API-Key": opsKey + "x"}, http.StatusUnauthorized, ""},
		{"basic scheme", map[string]string{"Authorization": "Basic " + opsKey}, http.StatusUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/v1/card/generate", strings.NewReader(body), tc.hdr)
			if r.status != tc.status {
				t.Fatalf("have %d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.status == http.StatusUnauthorized {
				if code, _, _ := r.errorOf(t); code != CodeUnauthorized || r.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("have %s, WWW-Authenticate %q", code, r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	if !strings.Contains(e.audit.String(), `"client":"key:admin"`) || !strings.Contains(e.audit.String(), `"status":401`) {
		t.Fatalf("audit lacks the client or the refusals: %s", e.audit.String())
	}
	if strings.Contains(e.audit.String()+e.logs.String(), opsKey) {
		t.Fatal("an API key reached the audit log or the logs")
	}
	// Probes and scrapes need no credentials.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if r := e.do(http.MethodGet, p, nil, nil); r.status != http.StatusOK {
			t.Errorf("%s without credentials: %d", p, r.status)
		}
	}
}

func TestKeyManagementNeedsTheRight(t *testing.T) {
	e := newEnv(t, withKeys)
	body := string(mustJSON(t, validBodies(t)["/v1/keys"]))
	ops := map[string]string{"X-API-Key": opsKey}
	admin := map[string]string{"X-API-Key": adminKey}
	if r := e.do(http.MethodPost, "/v1/keys", strings.NewReader(body), ops); r.status != http.StatusForbidden {
		t.Fatalf("create without ManageKeys: have %d, want 403", r.status)
	}
	if r := e.do(http.MethodPost, "/v1/keys", strings.NewReader(body), admin); r.status != http.StatusCreated {
		t.Fatalf("create with ManageKeys: have %d %s", r.status, r.body)
	}
	if r := e.do(http.MethodGet, "/v1/keys/zpk-1", nil, ops); r.status != http.StatusOK {
		t.Fatalf("read without ManageKeys: have %d", r.status)
	}
	if r := e.do(http.MethodDelete, "/v1/keys/zpk-1", nil, ops); r.status != http.StatusForbidden {
		t.Fatalf("delete without ManageKeys: have %d, want 403", r.status)
	}
	if r := e.do(http.MethodDelete, "/v1/keys/zpk-1", nil, admin); r.status != http.StatusOK {
		t.Fatalf("delete with ManageKeys: have %d", r.status)
	}
}

func TestNewRefusesUnconfiguredAuth(t *testing.T) {
	e := newEnv(t)
	for _, a := range []Auth{
		{},
		{APIKeys: []APIKey{{ID: "x", SHA256: "abc"}}},
		{APIKeys: []APIKey{{ID: "", SHA256: HashAPIKey("k")}}},
		{APIKeys: []APIKey{{ID: "x", SHA256: HashAPIKey("k")}, {ID: "x", SHA256: HashAPIKey("l")}}},
		{ClientCerts: []ClientCert{{Name: ""}}},
	} {
		if _, err := New(Config{Executor: e.sim, Registry: e.reg, Auth: a}); err == nil {
			t.Errorf("New accepted auth %+v", a)
		}
	}
}

// TestClientCertificateAuthentication runs the handler behind real TLS
// (internal/tlsconfig, client certificates verified if given).
func TestClientCertificateAuthentication(t *testing.T) {
	ca := tlstest.NewCA(t, "clients-ca")
	srvPair := ca.Issue("gw.test", "gw.test")
	allowed := ca.Issue("processor-1")
	other := ca.Issue("processor-2", "proc-2.example")
	sanOnly := ca.Issue("unnamed", "issuer.example")
	e := newEnv(t, func(c *Config) {
		c.Auth = Auth{ClientCerts: []ClientCert{{Name: "processor-1"}, {Name: "issuer.example", ManageKeys: true}}}
	})
	srvTLS, err := tlsconfig.Server(tlsconfig.ServerFiles{Cert: srvPair.CertFile, Key: srvPair.KeyFile,
		ClientCA: ca.CertFile, ClientAuth: tlsconfig.VerifyIfGiven})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.h)
	srv.TLS = srvTLS
	srv.StartTLS()
	defer srv.Close()

	caPEM, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := func(p *tlstest.Pair) *http.Client {
		cfg := &tls.Config{RootCAs: roots, ServerName: "gw.test", MinVersion: tls.VersionTLS12}
		if p != nil {
			c, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	body := string(mustJSON(t, validBodies(t)["/v1/card/generate"]))
	for _, tc := range []struct {
		name   string
		pair   *tlstest.Pair
		status int
	}{
		{"allowed CN", &allowed, http.StatusOK},
		{"allowed DNS SAN", &sanOnly, http.StatusOK},
		{"verified but not allowed", &other, http.StatusForbidden},
		{"no certificate", nil, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client(tc.pair).Post(srv.URL+"/v1/card/generate", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("have %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if !strings.Contains(e.audit.String(), `"client":"cert:processor-1"`) || !strings.Contains(e.audit.String(), `"client":"cert:issuer.example"`) {
		t.Fatalf("audit lacks the certificate clients: %s", e.audit.String())
	}
}

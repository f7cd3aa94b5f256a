package config

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/internal/tlsconfig/tlstest"
)

const sample = `
listen: 0.0.0.0:1500
header_len: 2
limits:
  max_conns: 10
policy:
  allow: [NG]
pools:
  - name: prod
    lmk_check_value: 268604A55B79C2D5
    health: {interval: 500ms, fails: 3}
    licence_share: 0.5
    hsms:
      - {name: a1, addr: "10.0.0.1:1500", pair: a, cps: 250}
      - {name: a2, addr: "10.0.0.2:1500", pair: a, cps: 250, conns: 4, header_len: 0}
`

func TestParseAndDefaults(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	p := c.Pools[0]
	checks := []struct {
		name       string
		have, want any
	}{
		{"listen", c.Listen, "0.0.0.0:1500"},
		{"header_len", *c.HeaderLen, 2},
		{"http default", c.HTTP, DefaultHTTP},
		{"data default", c.Data, DefaultData},
		{"max_conns", c.Limits.MaxConns, 10},
		{"idle default", c.Limits.IdleTimeout, DefaultIdleTimeout},
		{"frame timeout default", c.Limits.FrameTimeout, DefaultFrameTimeout},
		{"interval", p.Health.Interval, 500 * time.Millisecond},
		{"fails", p.Health.Fails, 3},
		{"passes default", p.Health.Passes, DefaultPasses},
		{"share", p.LicenceShare, 0.5},
		{"timeout default", p.CommandTimeout, DefaultCommandTimeout},
		{"conns default", p.HSMs[0].Conns, DefaultConns},
		{"conns", p.HSMs[1].Conns, 4},
		{"hsm header default", *p.HSMs[0].HeaderLen, 4},
		{"hsm header zero kept", *p.HSMs[1].HeaderLen, 0},
		{"pair", p.HSMs[1].Pair, "a"},
		{"hedge on by default", p.Hedge.Disabled, false},
		{"hedge multiplier default", p.Hedge.Multiplier, DefaultHedgeMultiplier},
		{"hedge min delay default", p.Hedge.MinDelay, DefaultHedgeMinDelay},
		{"hedge max delay default", p.Hedge.MaxDelay, DefaultHedgeMaxDelay},
		{"hedge budget default", p.Hedge.Budget, DefaultHedgeBudget},
	}
	for _, ck := range checks {
		if ck.have != ck.want {
			t.Errorf("%s: have %v, want %v", ck.name, ck.have, ck.want)
		}
	}
}

func TestHedgeOptions(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       Hedge
		problems   []string // paths Validate must name; none: valid
	}{
		{"off", "hedge: {disabled: true}",
			Hedge{Disabled: true, Multiplier: 2, MinDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, Budget: 0.05}, nil},
		{"all set", "hedge: {multiplier: 3, min_delay: 5ms, max_delay: 50ms, budget: 0.01}",
			Hedge{Multiplier: 3, MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Budget: 0.01}, nil},
		{"min above the default max", "hedge: {min_delay: 300ms}",
			Hedge{Multiplier: 2, MinDelay: 300 * time.Millisecond, MaxDelay: 300 * time.Millisecond, Budget: 0.05}, nil},
		{"bad", "hedge: {multiplier: -1, min_delay: 50ms, max_delay: 20ms, budget: 1.5}", Hedge{},
			[]string{"pools[0].hedge.multiplier", "pools[0].hedge.max_delay: must not be below", "pools[0].hedge.budget"}},
		{"max beyond command timeout", "command_timeout: 1s\n    hedge: {max_delay: 1s}", Hedge{},
			[]string{"pools[0].hedge.max_delay: must be below command_timeout"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte("pools:\n  - hsms: [{name: a, addr: \"h:1\"}]\n    " + tt.yaml + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			c.SetDefaults()
			err = c.Validate()
			if tt.problems == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if h := c.Pools[0].Hedge; h != tt.want {
					t.Errorf("have %+v, want %+v", h, tt.want)
				}
				return
			}
			for _, want := range tt.problems {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v lacks %q", err, want)
				}
			}
		})
	}
}

// rejects parses yaml, applies the defaults and checks that Validate
// rejects the result with an error naming each of paths.
func rejects(t *testing.T, yaml string, paths ...string) {
	t.Helper()
	c, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	err = c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range paths {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseRejectsUnknownKey(t *testing.T) {
	_, err := Parse([]byte("pools:\n  - hsms:\n      - {name: a, adr: x}\n"))
	if err == nil || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("have %v, want an error naming the key adr", err)
	}
}

func TestValidateNamesEveryPath(t *testing.T) {
	// Each row is a path our validation must name (ours).
	rejects(t, `
listen: nowhere
header_len: 17
limits: {max_pipeline: -1, frame_timeout: 1ms}
policy: {deny: [N]}
pools:
  - lmk_check_value: XYZ
    licence_share: 2
    hsms:
      - {name: a, addr: "10.0.0.1"}
      - {name: a, addr: "10.0.0.2:99999", conns: 100, header_len: -1, tls: {cert: c.pem}}
      - {name: "b c", addr: "h:1", cps: -5, probes: [NO], max_in_flight: 257}
      - {name: d, addr: "h:1", probes: [NC, NC]}
      - {name: e, addr: "h:1", probes: [NC, XX], max_in_flight: -1}
`,
		"listen: missing port",
		"header_len: must be 0..16",
		"limits.max_pipeline",
		"limits.frame_timeout: must be 10ms..1h",
		"policy.deny[0]",
		"pools[0].lmk_check_value",
		"pools[0].licence_share",
		"pools[0].hsms[0].addr: missing port",
		"pools[0].hsms[1].name: duplicate of pools[0].hsms[0].name",
		"pools[0].hsms[1].addr: port must be",
		"pools[0].hsms[1].conns",
		"pools[0].hsms[1].header_len",
		"pools[0].hsms[1].tls: cert and key go together",
		"pools[0].hsms[2].name",
		"pools[0].hsms[2].cps",
		"pools[0].hsms[2].probes: NC is required",
		"pools[0].hsms[2].max_in_flight: must be 0..256",
		"pools[0].hsms[3].probes: probe NC given twice",
		"pools[0].hsms[4].probes: unknown probe",
		"pools[0].hsms[4].max_in_flight",
	)
}

func TestRESTAndAudit(t *testing.T) {
	c, err := Parse([]byte(`
data: /var/lib/payhsm
rest:
  tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}
  auth:
    api_keys:
      - {id: ops, sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, manage_keys: true}
    client_certs:
      - {name: switch.example}
  operation_timeout: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	checks := []struct {
		name       string
		have, want any
	}{
		{"audit path default", c.Audit.Path, "/var/lib/payhsm/audit.log"},
		{"operation_timeout", c.REST.OperationTimeout, 2 * time.Second},
		{"kcv_cache_size default", c.REST.KCVCacheSize, DefaultKCVCacheSize},
		{"api key id", c.REST.Auth.APIKeys[0].ID, "ops"},
		{"manage_keys", c.REST.Auth.APIKeys[0].ManageKeys, true},
		{"client cert", c.REST.Auth.ClientCerts[0].Name, "switch.example"},
		{"client_ca", c.REST.TLS.ClientCA, "ca.pem"},
	}
	for _, ck := range checks {
		if ck.have != ck.want {
			t.Errorf("%s: have %v, want %v", ck.name, ck.have, ck.want)
		}
	}
}

func TestRESTValidateNamesEveryPath(t *testing.T) {
	rejects(t, `
rest:
  tls: {cert: c.pem}
  auth:
    disabled: true
    api_keys:
      - {id: ops, sha256: abc}
      - {id: ops, sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00AZZ}
      - {sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}
    client_certs:
      - {name: ""}
  operation_timeout: -1s
  kcv_cache_size: -3
`,
		"rest.tls.key: missing",
		"rest.auth.disabled: cannot be set",
		"rest.auth.api_keys[0].sha256: must be 64 hex digits",
		"rest.auth.api_keys[1].id: duplicate of rest.auth.api_keys[0].id",
		"rest.auth.api_keys[1].sha256",
		"rest.auth.api_keys[2].id: missing",
		"rest.auth.client_certs[0].name: missing",
		"rest.auth.client_certs: need rest.tls.client_ca",
		"rest.operation_timeout: must be positive",
		"rest.kcv_cache_size: must be at least 1",
	)
	if _, err := Parse([]byte("rest:\n  auth:\n    api_key: []\n")); err == nil || !strings.Contains(err.Error(), "api_key") {
		t.Errorf("unknown rest key: have %v, want an error naming api_key", err)
	}
}

func TestLoopback(t *testing.T) {
	// Rows: loopback per RFC 1122 §3.2.1.3 (127/8) and RFC 4291 §2.5.3 (::1).
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.1.2.3:0", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"10.0.0.1:8080", false},
		{"[::]:8080", false},
		{"gateway.example:8080", false},
		{"nonsense", false},
	} {
		if have := Loopback(tt.addr); have != tt.want {
			t.Errorf("Loopback(%q): have %v, want %v", tt.addr, have, tt.want)
		}
	}
}

func TestValidateEmptyIsFine(t *testing.T) {
	var c Config
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("default configuration: %v", err)
	}
}

func TestParseHSMSpec(t *testing.T) {
	// Rows follow the --hsm grammar of docs/spec/cli.md.
	tests := []struct {
		spec    string
		want    HSM
		wantErr string
	}{
		{spec: "a=10.0.0.1:1500", want: HSM{Name: "a", Addr: "10.0.0.1:1500"}},
		{spec: "b=h:2,pair=p,cps=250,conns=3,header-len=2", want: HSM{Name: "b", Addr: "h:2", Pair: "p", CPS: 250, Conns: 3, HeaderLen: Int(2)}},
		{spec: "c=h:3,inflight=1,probes=NC", want: HSM{Name: "c", Addr: "h:3", MaxInFlight: 1, Probes: []string{"NC"}}},
		{spec: "c=h:3,probes=NC+NO", want: HSM{Name: "c", Addr: "h:3", Probes: []string{"NC", "NO"}}},
		{spec: "c=h:3,inflight=one", wantErr: "inflight: not a number"},
		{spec: "h:1", wantErr: "want NAME=HOST:PORT"},
		{spec: "a=h:1,cps=x", wantErr: "cps: not a number"},
		{spec: "a=h:1,speed=3", wantErr: "unknown option"},
		{spec: "a=h:1,pair", wantErr: "want KEY=VALUE"},
	}
	for _, tt := range tests {
		h, err := ParseHSMSpec(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseHSMSpec(%q): have error %v, want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHSMSpec(%q): %v", tt.spec, err)
			continue
		}
		same := h.Name == tt.want.Name && h.Addr == tt.want.Addr && h.Pair == tt.want.Pair &&
			h.CPS == tt.want.CPS && h.Conns == tt.want.Conns && h.MaxInFlight == tt.want.MaxInFlight &&
			strings.Join(h.Probes, "+") == strings.Join(tt.want.Probes, "+") &&
			(h.HeaderLen == nil) == (tt.want.HeaderLen == nil) &&
			(h.HeaderLen == nil || *h.HeaderLen == *tt.want.HeaderLen)
		if !same {
			t.Errorf("ParseHSMSpec(%q): have %+v, want %+v", tt.spec, h, tt.want)
		}
	}
}

func TestTLSFilesLoad(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	srv := ca.Issue("gateway", "gateway.test")
	s := ServerTLS{Cert: srv.CertFile, Key: srv.KeyFile, ClientCA: ca.CertFile}
	cfg, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || len(cfg.Certificates) != 1 {
		t.Errorf("listener TLS: client auth %v, %d certificates", cfg.ClientAuth, len(cfg.Certificates))
	}
	c := ClientTLS{CA: ca.CertFile}
	ccfg, err := c.Load("hsm.test:1500")
	if err != nil {
		t.Fatal(err)
	}
	if ccfg.ServerName != "hsm.test" || ccfg.RootCAs == nil {
		t.Errorf("HSM TLS: server name %q, roots set %v", ccfg.ServerName, ccfg.RootCAs != nil)
	}
	rcfg, err := s.LoadREST()
	if err != nil {
		t.Fatal(err)
	}
	if rcfg.ClientAuth != tls.VerifyClientCertIfGiven {
		t.Errorf("REST TLS: client auth %v, want verify if given", rcfg.ClientAuth)
	}
	if _, err := (&ServerTLS{Cert: srv.CertFile, Key: "/nonexistent"}).Load(); err == nil {
		t.Errorf("listener TLS with a missing key file: no error")
	}
}

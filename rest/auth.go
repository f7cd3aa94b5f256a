package rest

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Auth configures authentication of the /v1 operations. A request is
// authenticated by an API key (header "Authorization: Bearer KEY" or
// "X-API-Key: KEY") or by a verified TLS client certificate whose subject
// CN or a DNS SAN is listed in ClientCerts. /healthz, /readyz, /metrics and
// /openapi.json are never authenticated (probes and scrapers).
type Auth struct {
	// Disabled turns authentication off: every request is served as the
	// anonymous client, which may also manage keys. Use it only when the
	// REST listener is reachable from loopback alone (ours: serve sets it
	// when nothing is configured and --http is a loopback address).
	Disabled bool
	// APIKeys are the accepted API keys, stored as SHA-256 hashes.
	APIKeys []APIKey
	// ClientCerts are the accepted client certificate names.
	ClientCerts []ClientCert
}

// APIKey is one accepted API key. The key itself is not kept: only its
// SHA-256, compared in constant time.
type APIKey struct {
	// ID names the key in audit records and logs ("key:ID").
	ID string
	// SHA256 is the hex SHA-256 of the key's bytes (64H, either case);
	// e.g. `printf %s "$KEY" | sha256sum`.
	SHA256 string
	// ManageKeys allows POST and DELETE on /v1/keys.
	ManageKeys bool
}

// ClientCert is one accepted client certificate name.
type ClientCert struct {
	// Name is matched against the certificate's subject common name and
	// its DNS subject alternative names ("cert:NAME" in audit records).
	Name string
	// ManageKeys allows POST and DELETE on /v1/keys.
	ManageKeys bool
}

// HashAPIKey returns the value of APIKey.SHA256 for key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

type hashedKey struct {
	id     string
	sum    [sha256.Size]byte
	manage bool
}

type authenticator struct {
	disabled bool
	keys     []hashedKey
	certs    map[string]ClientCert
}

func newAuthenticator(a Auth) (*authenticator, error) {
	au := &authenticator{disabled: a.Disabled, certs: map[string]ClientCert{}}
	if !a.Disabled && len(a.APIKeys) == 0 && len(a.ClientCerts) == 0 {
		return nil, errors.New("rest: auth: no API keys or client certificates configured and authentication not disabled")
	}
	ids := map[string]bool{}
	for i, k := range a.APIKeys {
		sum, err := hex.DecodeString(k.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("rest: auth: api_keys[%d].sha256: must be 64 hex digits", i)
		}
		if k.ID == "" || ids[k.ID] {
			return nil, fmt.Errorf("rest: auth: api_keys[%d].id: missing or repeated", i)
		}
		ids[k.ID] = true
		hk := hashedKey{id: k.ID, manage: k.ManageKeys}
		copy(hk.sum[:], sum)
		au.keys = append(au.keys, hk)
	}
	for i, c := range a.ClientCerts {
		if c.Name == "" {
			return nil, fmt.Errorf("rest: auth: client_certs[%d].name: missing", i)
		}
		au.certs[c.Name] = c
	}
	return au, nil
}

// presentedKey returns the API key of the request, if any.
func presentedKey(r *http.Request) (string, bool) {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k, true
	}
	h := r.Header.Get("Authorization")
	if scheme, k, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") && k != "" {
		return strings.TrimSpace(k), true
	}
	return "", false
}

// checkKey compares the key's hash with every configured hash in constant
// time, without stopping at a match, so that timing reveals neither which
// key matched nor how much of a hash did.
func (a *authenticator) checkKey(key string) (hashedKey, bool) {
	sum := sha256.Sum256([]byte(key))
	var found hashedKey
	ok := 0
	for _, k := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			found, ok = k, 1
		}
	}
	return found, ok == 1
}

// certName returns the first configured name the verified client
// certificate carries.
func (a *authenticator) certName(cert *x509.Certificate) (ClientCert, bool) {
	if c, ok := a.certs[cert.Subject.CommonName]; ok && cert.Subject.CommonName != "" {
		return c, true
	}
	for _, n := range cert.DNSNames {
		if c, ok := a.certs[n]; ok {
			return c, true
		}
	}
	return ClientCert{}, false
}

// authenticate admits a request with a valid API key, or else with a
// verified client certificate carrying an allowed name. It answers 401
// without credentials or with an unknown key, 403 for a verified
// certificate that is not allowed, and 403 for key management by a
// principal without ManageKeys.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtxFrom(r.Context())
		a := s.auth
		var e *apiError
		switch {
		case a.disabled:
			rc.client, rc.canManage = "", true
		default:
			e = a.admit(r, rc)
		}
		if e == nil && !rc.canManage && managesKeys(r) {
			e = &apiError{status: http.StatusForbidden, code: CodeForbidden, message: "this client may not manage keys"}
		}
		if e != nil {
			s.answerError(w, rc, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *authenticator) admit(r *http.Request, rc *reqCtx) *apiError {
	if key, ok := presentedKey(r); ok {
		k, ok := a.checkKey(key)
		if !ok {
			return &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: "unknown API key"}
		}
		rc.client, rc.canManage = "key:"+k.id, k.manage
		return nil
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(a.certs) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		c, ok := a.certName(leaf)
		if !ok {
			return &apiError{status: http.StatusForbidden, code: CodeForbidden, message: "client certificate not allowed"}
		}
		rc.client, rc.canManage = "cert:"+c.Name, c.ManageKeys
		return nil
	}
	return &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: "credentials required (API key or client certificate)"}
}

func managesKeys(r *http.Request) bool {
	return (r.Method == http.MethodPost || r.Method == http.MethodDelete) && strings.HasPrefix(r.URL.Path, "/v1/keys")
}

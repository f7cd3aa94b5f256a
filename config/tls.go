package config

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/payhsm/payhsm-gw/internal/tlsconfig"
)

// Load builds the listener's tls.Config from the files: TLS 1.2 at least,
// and with ClientCA set, a verified client certificate is required.
func (t *ServerTLS) Load() (*tls.Config, error) {
	return t.load(tlsconfig.RequireClientCert)
}

// LoadREST builds the REST listener's tls.Config: like Load, except that
// with ClientCA set a client certificate is verified when given but not
// required, since a client may authenticate with an API key instead (ours).
func (t *ServerTLS) LoadREST() (*tls.Config, error) {
	return t.load(tlsconfig.VerifyIfGiven)
}

func (t *ServerTLS) load(withCA tlsconfig.ClientAuth) (*tls.Config, error) {
	f := tlsconfig.ServerFiles{Cert: t.Cert, Key: t.Key, ClientCA: t.ClientCA}
	if t.ClientCA != "" {
		f.ClientAuth = withCA
	}
	cfg, err := tlsconfig.Server(f)
	if err != nil {
		return nil, fmt.Errorf("config: tls: %w", err)
	}
	return cfg, nil
}

// Load builds the tls.Config for connections to an HSM at addr; the name
// checked in its certificate is ServerName, else the host part of addr.
func (t *ClientTLS) Load(addr string) (*tls.Config, error) {
	name := t.ServerName
	if name == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("config: tls: addr: %w", err)
		}
		name = host
	}
	cfg, err := tlsconfig.Client(tlsconfig.ClientFiles{CA: t.CA, Cert: t.Cert, Key: t.Key, ServerName: name})
	if err != nil {
		return nil, fmt.Errorf("config: tls: %w", err)
	}
	return cfg, nil
}

package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// ClientAuth says whether a server asks for a client certificate.
type ClientAuth int

const (
	// NoClientCert does not ask for a client certificate.
	NoClientCert ClientAuth = iota
	// VerifyIfGiven asks for one and verifies it against the client CAs
	// when the client sends one; clients without one may still
	// authenticate another way (an API key on the REST API).
	VerifyIfGiven
	// RequireClientCert requires a client certificate signed by one of the
	// client CAs (mutual TLS).
	RequireClientCert
)

// ServerFiles names the PEM files of a TLS listener.
type ServerFiles struct {
	// Cert is the certificate chain, leaf first (required).
	Cert string
	// Key is the private key of the leaf (required).
	Key string
	// ClientCA holds the CAs that sign client certificates; required when
	// ClientAuth is not NoClientCert.
	ClientCA string
	// ClientAuth says whether to ask for a client certificate.
	ClientAuth ClientAuth
}

// ClientFiles names the PEM files of a TLS client (the gateway towards an HSM).
type ClientFiles struct {
	// CA holds the CAs that sign the server's certificate (default: the
	// system roots).
	CA string
	// Cert and Key are the client certificate and key, for servers that
	// require one (both or neither).
	Cert, Key string
	// ServerName is the name checked in the server's certificate
	// (required: usually the host part of the address dialled).
	ServerName string
}

// MinVersion is the oldest TLS version any configuration accepts.
const MinVersion = tls.VersionTLS12

// Server returns the tls.Config of a listener.
func Server(f ServerFiles) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("tlsconfig: server needs both cert and key")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("tlsconfig: loading cert and key: %w", err)
	}
	cfg := &tls.Config{MinVersion: MinVersion, Certificates: []tls.Certificate{cert}}
	switch f.ClientAuth {
	case NoClientCert:
		if f.ClientCA != "" {
			return nil, errors.New("tlsconfig: client_ca set but client certificates not asked for")
		}
		return cfg, nil
	case VerifyIfGiven:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case RequireClientCert:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("tlsconfig: unknown client auth mode %d", f.ClientAuth)
	}
	if f.ClientCA == "" {
		return nil, errors.New("tlsconfig: client certificates asked for but no client_ca")
	}
	pool, err := loadCAs(f.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("tlsconfig: client_ca: %w", err)
	}
	cfg.ClientCAs = pool
	return cfg, nil
}

// Client returns the tls.Config of connections to a server.
func Client(f ClientFiles) (*tls.Config, error) {
	if f.ServerName == "" {
		return nil, errors.New("tlsconfig: client needs a server name")
	}
	cfg := &tls.Config{MinVersion: MinVersion, ServerName: f.ServerName}
	if f.CA != "" {
		pool, err := loadCAs(f.CA)
		if err != nil {
			return nil, fmt.Errorf("tlsconfig: ca: %w", err)
		}
		cfg.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("tlsconfig: client cert and key go together")
	}
	if f.Cert != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("tlsconfig: loading client cert and key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in file")
	}
	return pool, nil
}

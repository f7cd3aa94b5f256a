package tlsconfig

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/internal/tlsconfig/tlstest"
)

// handshake runs a TLS handshake between server and client configs over a
// loopback TCP connection (buffered, unlike net.Pipe, so that both sides
// can send alerts) and returns each side's error and the server's view of
// the peer certificate.
func handshake(t *testing.T, srv, cli *tls.Config) (peerCN string, srvErr, cliErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	s := tls.Server(a, srv)
	go func() {
		defer close(done)
		srvErr = s.HandshakeContext(ctx)
		if srvErr == nil {
			if pc := s.ConnectionState().PeerCertificates; len(pc) > 0 {
				peerCN = pc[0].Subject.CommonName
			}
		}
		s.Close()
	}()
	c := tls.Client(b, cli)
	cliErr = c.HandshakeContext(ctx)
	if cliErr == nil {
		// Read so that a server-side rejection after the client's
		// Finished (TLS 1.3 client auth) reaches the client.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, rerr := c.Read(make([]byte, 1))
		var ae tls.AlertError
		if errors.As(rerr, &ae) {
			cliErr = rerr
		}
	}
	c.Close()
	<-done
	return peerCN, srvErr, cliErr
}

func TestServerAndClientHandshake(t *testing.T) {
	ca := tlstest.NewCA(t, "hsm-ca")
	srvPair := ca.Issue("gw.example", "gw.example")
	cliPair := ca.Issue("switch-1")
	other := tlstest.NewCA(t, "other-ca")
	strangerPair := other.Issue("stranger")

	plain := func() *tls.Config {
		cfg, err := Server(ServerFiles{Cert: srvPair.CertFile, Key: srvPair.KeyFile})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	withAuth := func(mode ClientAuth) *tls.Config {
		cfg, err := Server(ServerFiles{Cert: srvPair.CertFile, Key: srvPair.KeyFile, ClientCA: ca.CertFile, ClientAuth: mode})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	client := func(p *tlstest.Pair, caFile string) *tls.Config {
		f := ClientFiles{CA: caFile, ServerName: "gw.example"}
		if p != nil {
			f.Cert, f.Key = p.CertFile, p.KeyFile
		}
		cfg, err := Client(f)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	for _, tc := range []struct {
		name   string
		srv    *tls.Config
		cli    *tls.Config
		ok     bool
		peerCN string
	}{
		{"server only", plain(), client(nil, ca.CertFile), true, ""},
		{"client distrusts server CA", plain(), client(nil, other.CertFile), false, ""},
		{"mTLS required, cert given", withAuth(RequireClientCert), client(&cliPair, ca.CertFile), true, "switch-1"},
		{"mTLS required, no cert", withAuth(RequireClientCert), client(nil, ca.CertFile), false, ""},
		{"mTLS required, foreign cert", withAuth(RequireClientCert), client(&strangerPair, ca.CertFile), false, ""},
		{"optional, no cert", withAuth(VerifyIfGiven), client(nil, ca.CertFile), true, ""},
		{"optional, cert given", withAuth(VerifyIfGiven), client(&cliPair, ca.CertFile), true, "switch-1"},
		// The client offers no certificate the server's CAs sign, so it goes
		// unauthenticated rather than failing (the API key path remains).
		{"optional, foreign cert", withAuth(VerifyIfGiven), client(&strangerPair, ca.CertFile), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cn, srvErr, cliErr := handshake(t, tc.srv, tc.cli)
			ok := srvErr == nil && cliErr == nil
			if ok != tc.ok {
				t.Fatalf("handshake ok=%v (server %v, client %v), want ok=%v", ok, srvErr, cliErr, tc.ok)
			}
			if ok && cn != tc.peerCN {
				t.Fatalf("peer CN: have %q, want %q", cn, tc.peerCN)
			}
		})
	}
}

func TestMinVersionIsTLS12(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	p := ca.Issue("gw.example", "gw.example")
	srv, err := Server(ServerFiles{Cert: p.CertFile, Key: p.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	old := &tls.Config{ServerName: "gw.example", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}
	if _, srvErr, cliErr := handshake(t, srv, old); srvErr == nil && cliErr == nil {
		t.Fatal("a TLS 1.1 client completed a handshake")
	}
}

func TestConfigErrors(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	p := ca.Issue("gw")
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"server without key", func() error { _, err := Server(ServerFiles{Cert: p.CertFile}); return err }},
		{"server missing file", func() error { _, err := Server(ServerFiles{Cert: p.CertFile, Key: "/nonexistent"}); return err }},
		{"client auth without CA", func() error {
			_, err := Server(ServerFiles{Cert: p.CertFile, Key: p.KeyFile, ClientAuth: RequireClientCert})
			return err
		}},
		{"CA without client auth", func() error {
			_, err := Server(ServerFiles{Cert: p.CertFile, Key: p.KeyFile, ClientCA: ca.CertFile})
			return err
		}},
		{"CA file without PEM", func() error {
			_, err := Server(ServerFiles{Cert: p.CertFile, Key: p.KeyFile, ClientCA: p.KeyFile, ClientAuth: VerifyIfGiven})
			return err
		}},
		{"client without server name", func() error { _, err := Client(ClientFiles{CA: ca.CertFile}); return err }},
		{"client cert without key", func() error { _, err := Client(ClientFiles{ServerName: "h", Cert: p.CertFile}); return err }},
	} {
		if tc.err() == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

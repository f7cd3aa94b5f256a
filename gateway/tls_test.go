package gateway

import (
	"crypto/tls"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/simtest"
	"github.com/payhsm/payhsm-gw/internal/tlsconfig"
	"github.com/payhsm/payhsm-gw/internal/tlsconfig/tlstest"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// tlsFront puts a TLS listener in front of a plain-TCP HSM (the simulator
// speaks TCP only), as a TLS-terminating appliance would: a Spy that
// relays what it decrypts. The HSM's commands have 4-character headers.
func tlsFront(t *testing.T, target string, cfg *tls.Config) *simtest.Spy {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return simtest.SpyOn(t, ln, target, 4)
}

func TestGatewaySpeaksMutualTLSToClientsAndTLSToHSMs(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	hsmCert, gwCert, client := ca.Issue("hsm", "hsm.test"), ca.Issue("gateway", "gateway.test"), ca.Issue("switch")

	hsmTLS, err := tlsconfig.Server(tlsconfig.ServerFiles{Cert: hsmCert.CertFile, Key: hsmCert.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	sim := startSim(t, simulator.Config{})
	spy := tlsFront(t, sim.Addr(), hsmTLS)
	hsmAddr := spy.Addr()
	toHSM, err := tlsconfig.Client(tlsconfig.ClientFiles{CA: ca.CertFile, ServerName: "hsm.test"})
	if err != nil {
		t.Fatal(err)
	}
	p := startPool(t, poolConfig(pool.HSMConfig{Name: "a", Addr: hsmAddr, TLS: toHSM}), "a")

	front, err := tlsconfig.Server(tlsconfig.ServerFiles{Cert: gwCert.CertFile, Key: gwCert.KeyFile,
		ClientCA: ca.CertFile, ClientAuth: tlsconfig.RequireClientCert})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Config{TLS: front}, p)

	withCert, err := tlsconfig.Client(tlsconfig.ClientFiles{CA: ca.CertFile, ServerName: "gateway.test",
		Cert: client.CertFile, Key: client.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", g.Addr(), withCert)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(frame("0001", "B20002ok")); err != nil {
		t.Fatal(err)
	}
	if hdr, body := readAnswer(t, hostcmd.NewReader(c, 4)); hdr != "0001" || body != "B300ok" {
		t.Errorf("over TLS: have %q %q, want 0001 B300ok", hdr, body)
	}
	if n := spy.Count("B2"); n != 1 {
		t.Errorf("the HSM got %d B2 through its TLS front, want 1", n)
	}

	// Without a client certificate the handshake must fail.
	noCert, err := tlsconfig.Client(tlsconfig.ClientFiles{CA: ca.CertFile, ServerName: "gateway.test"})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := tls.Dial("tcp", g.Addr(), noCert)
	if err == nil {
		defer c2.Close()
		_, err = c2.Write(frame("0001", "NC"))
		if err == nil {
			_, err = hostcmd.NewReader(c2, 4).ReadFrame()
		}
	}
	if err == nil {
		t.Errorf("a client without a certificate was served")
	}
}

package simulator

import (
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/testlog"
)

// syncBuffer captures a server's log while it runs.
type syncBuffer = testlog.Buffer

// TestLogsCarryNoSecrets runs every vector, PIN round trips with a
// distinctive clear PIN, error cases and the fault injections through a
// server logging at debug level as JSON, and checks that no clear PIN, PAN,
// account, key, PIN block, CVV, cryptogram or MAC from the requests or the
// answers reaches the log, while the log does say what happened.
func TestLogsCarryNoSecrets(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		// No timestamps: digits in them could match a short secret.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	const (
		clearPIN = "8642097"
		pan      = "4123456789012345"
	)
	var bodies [][]byte
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		s := startServer(t, Config{Listener: ln, Logger: logger})
		c := newClient(t, ln.dial(), 4)
		run := func(req []byte) []byte {
			resp := c.do(req)
			bodies = append(bodies, req, resp)
			return resp
		}
		for _, v := range allVectors(t) {
			run(v.request(t))
		}
		bb := run([]byte("BA" + clearPIN + "F" + account))
		run([]byte("NG" + account + string(bb[4:])))
		jh := run([]byte("JG" + zpkU + "01" + account + string(bb[4:])))
		run([]byte("JE" + zpkU + string(jh[4:]) + "01" + account))
		run([]byte("CW" + cvkU + pan + ";8701101"))
		run([]byte("CY" + cvkU + "562" + pan + ";8701101"))
		run([]byte("CA" + tpkU + zpkU + "12" + "0000000000000000" + "0101" + account))
		run([]byte("JG" + zpkU + "01" + account + "99999"))
		run([]byte("A01001U" + zmkU + "U"))
		s.SetForcedError(hostcmd.InternalError)
		run([]byte("BA" + clearPIN + "F" + account))
		s.SetForcedError("")
		s.SetBlackhole(true)
		s.SetBlackhole(false)
		s.DropConnections()
		// A framing error on a new connection.
		c2 := newClient(t, ln.dial(), 4)
		c2.nc.Write([]byte{0xFF, 0xFF, 'x'})
		c2.r.ReadFrame()
		s.Close()
	})
	log := buf.String()

	for _, want := range []string{`"msg":"simulator listening"`, `"msg":"connection opened"`,
		`"msg":"connection closed"`, `"msg":"command error"`, `"code":"41"`, `"code":"14"`,
		`"msg":"framing error, closing connection"`, `"msg":"fault: black hole"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	secrets := []string{clearPIN, pan, account, "561", "790", "251", tpkClear, zpkClear, clear0123}
	// Every 8-byte run of every request and answer body after its codes.
	for _, b := range bodies {
		for i := 4; i+8 <= len(b); i++ {
			secrets = append(secrets, string(b[i:i+8]))
		}
	}
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("log contains a secret (%d bytes, from a request or answer)", len(sec))
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}

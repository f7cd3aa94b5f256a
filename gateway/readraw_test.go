package gateway

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// A client that half-closes gets every answer and then the gateway's close
// at once, not at the idle timeout: the front must see a FIN that arrives
// with the last commands, and one that arrives alone after their answers.
// (On Linux the front reads with TCP_INQ and skips the empty read after a
// command; a FIN read together with data is what that must not miss.)
func TestGatewayClosesAtOnceAfterTheClientHalfCloses(t *testing.T) {
	g := startGateway(t, Config{IdleTimeout: time.Minute, FrameTimeout: time.Minute}, echoBackend{})
	for _, tt := range []struct {
		name        string
		rounds      [][]string // each round: headers written in one write, then their answers read
		finWithLast bool       // the last round's write carries the FIN
	}{
		{"commands and FIN together", [][]string{{"0001", "0002", "0003"}}, true},
		{"lockstep, FIN with the last command", [][]string{{"0001"}, {"0002"}, {"0003"}}, true},
		{"lockstep, FIN alone after the answers", [][]string{{"0001"}, {"0002"}}, false},
		{"FIN alone on a fresh connection", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, g.Addr())
			c.SetDeadline(time.Now().Add(10 * time.Second))
			r := hostcmd.NewReader(c, 4)
			for i, hdrs := range tt.rounds {
				var out []byte
				for _, h := range hdrs {
					out = append(out, frame(h, "NC")...)
				}
				if _, err := c.Write(out); err != nil {
					t.Fatal(err)
				}
				last := i == len(tt.rounds)-1
				if last && tt.finWithLast {
					c.(interface{ CloseWrite() error }).CloseWrite()
				}
				for _, h := range hdrs {
					f, err := r.ReadFrame()
					if err != nil {
						t.Fatalf("answer %s: %v", h, err)
					}
					if string(f.Header()) != h || string(f.Body()[:4]) != "ND00" {
						t.Fatalf("answer %s: %q %q", h, f.Header(), f.Body())
					}
				}
			}
			if !tt.finWithLast {
				c.(interface{ CloseWrite() error }).CloseWrite()
			}
			start := time.Now()
			if _, err := r.ReadFrame(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the answers: %v, want the gateway's close", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the gateway closed %v after the FIN", d)
			}
		})
	}
}

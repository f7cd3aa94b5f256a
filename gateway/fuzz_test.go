package gateway

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
)

// echoBackend answers every command at once, inside Submit, with its
// response code, 00 and the rest of its body.
type echoBackend struct{}

func (echoBackend) Submit(batch []*pool.Request, s pool.Sink) {
	for _, r := range batch {
		r.Resp = append(append(r.Resp[:0], r.Body[0], r.Body[1]+1, '0', '0'), r.Body[2:]...)
		s.Complete(r)
	}
	s.Flush()
}

// FuzzGatewayStream writes arbitrary bytes to the front and checks that it
// never panics and answers exactly the complete frames before the first
// framing error, in order, each with its own header (hostcmd.md §1).
func FuzzGatewayStream(f *testing.F) {
	f.Add(frame("0001", "NC"))
	f.Add(append(frame("0001", "B20002ok"), frame("0002", "NG1234")...))
	f.Add(append(frame("AAAA", "ZZ"), rawLen(hostcmd.MaxFrameLen+1)...))
	f.Add(rawLen(3))
	f.Add([]byte{0, 6, 'H', 'D', 'R'})
	g, err := Start(Config{Addr: "127.0.0.1:0", Logger: discard()}, echoBackend{})
	if err != nil {
		f.Fatal(err)
	}
	defer g.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		var want [][]byte // headers of the frames the gateway must answer
		for rest := in; ; {
			fr, n, err := hostcmd.SplitFrame(rest, 4)
			if err != nil || n == 0 {
				break
			}
			want = append(want, fr.Header())
			rest = rest[n:]
		}
		c, err := net.Dial("tcp", g.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(in); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		r := hostcmd.NewReader(c, 4)
		for i, h := range want {
			fr, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("answer %d of %d: %v", i, len(want), err)
			}
			if string(fr.Header()) != string(h) {
				t.Fatalf("answer %d: header %q, want %q", i, fr.Header(), h)
			}
		}
		if _, err := r.ReadFrame(); !errors.Is(err, io.EOF) {
			t.Fatalf("after %d answers: have %v, want the connection closed", len(want), err)
		}
	})
}

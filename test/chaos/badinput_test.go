//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/hostcmd"
)

// exchange is what a raw connection saw: the bytes the gateway sent and
// whether (and when) it closed the connection.
type exchange struct {
	got    []byte
	closed bool          // the gateway closed it (EOF or reset) before wait ran out
	after  time.Duration // from the end of our write to the close
}

// rawExchange dials the front, writes in, and reads until the gateway
// closes the connection or wait passes.
func rawExchange(t *testing.T, addr string, in []byte, wait time.Duration) exchange {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if _, err := c.Write(in); err != nil {
		t.Fatalf("write: %v", err)
	}
	return readUntilClose(c, wait)
}

func readUntilClose(c net.Conn, wait time.Duration) exchange {
	start := time.Now()
	c.SetReadDeadline(start.Add(wait))
	var ex exchange
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		ex.got = append(ex.got, buf[:n]...)
		if err != nil {
			var ne net.Error
			ex.closed = !(errors.As(err, &ne) && ne.Timeout())
			ex.after = time.Since(start)
			return ex
		}
	}
}

// frame builds LEN + header + body.
func frame(header, body string) []byte {
	return hostcmd.AppendFrame(nil, []byte(header), []byte(body))
}

// answers cuts the frames out of what the gateway sent.
func answers(t *testing.T, b []byte) []hostcmd.Frame {
	t.Helper()
	var out []hostcmd.Frame
	for len(b) > 0 {
		f, n, err := hostcmd.SplitFrame(b, 4)
		if err != nil || n == 0 {
			t.Errorf("gateway sent a malformed frame (%v, %d bytes left)", err, len(b))
			return out
		}
		out = append(out, f)
		b = b[n:]
	}
	return out
}

// checkAnswers requires exactly the given header+error code pairs.
func checkAnswers(t *testing.T, got []byte, want ...string) {
	t.Helper()
	fs := answers(t, got)
	if len(fs) != len(want) {
		t.Errorf("got %d answers, want %d", len(fs), len(want))
		return
	}
	for i, f := range fs {
		body := f.Body()
		code := ""
		if len(body) >= 4 {
			code = string(body[2:4])
		}
		if have := string(f.Header()) + ":" + code; have != want[i] {
			t.Errorf("answer %d: have header:code %q, want %q", i, have, want[i])
		}
	}
}

// TestBadInputOnHostCommandListener throws malformed and hostile input at
// the host-command front. After each case the gateway is alive, a client
// on another connection gets exact answers, and the case got its
// documented answer (docs/architecture.md, the path of a command, and
// docs/spec/hostcmd.md §1: a framing error closes the connection with
// nothing to answer; a command outside policy or unknown is answered 68).
func TestBadInputOnHostCommandListener(t *testing.T) {
	idle := 2 * time.Second
	const maxConns = 64
	g, _, _ := startPair(t, gwConfig{IdleTimeout: idle, MaxConns: maxConns}, 0)
	// Background traffic on two connections for the whole run.
	bg := startLoad(t, loadSpec{Addr: g.addr, Rate: 200, Duration: pick(14*time.Second, 14*time.Second), Conns: 2})

	undisturbed := func(t *testing.T) {
		t.Helper()
		if g.exited() {
			t.Fatalf("gateway exited: %v", g.err)
		}
		// A fresh connection each time: one kept open would itself be
		// closed by the short idle timeout between cases.
		good, err := hostcmd.Dial(context.Background(), g.addr, hostcmd.ClientOptions{HeaderLen: 4})
		if err != nil {
			t.Fatalf("well-behaved client: %v", err)
		}
		defer good.Close()
		for _, m := range mix {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			resp, err := good.RoundTrip(ctx, []byte(m.req))
			cancel()
			if err != nil || (m.want != "" && string(resp) != m.want) || !bytes.HasPrefix(resp[min(2, len(resp)):], []byte("00")) {
				t.Fatalf("well-behaved client on another connection: %.2s answered %q, %v", m.req, resp, err)
			}
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	binaryCode := append([]byte("0001\x00\xff"), junk(64)...)
	binaryFrame := hostcmd.AppendFrame(nil, binaryCode[:4], binaryCode[4:])

	type outcome struct {
		name string
		in   []byte
		wait time.Duration // how long to wait for a close (default 3s)
		// check judges the exchange; it returns what to record.
		check func(t *testing.T, ex exchange) string
	}
	closedSilently := func(t *testing.T, ex exchange) string {
		t.Helper()
		if !ex.closed || len(ex.got) != 0 {
			t.Errorf("closed %v after %v with %d bytes answered; want closed at once with nothing", ex.closed, ex.after, len(ex.got))
		}
		return fmt.Sprintf("closed=%v after=%v answered_bytes=%d", ex.closed, ex.after.Round(time.Millisecond), len(ex.got))
	}
	cases := []outcome{
		{"zero declared length", []byte{0, 0}, 0, closedSilently},
		{"declared length 32 KiB + 1", []byte{0x80, 0x01}, 0, closedSilently},
		{"declared length 65535", []byte{0xff, 0xff, 'x'}, 0, closedSilently},
		{"frame shorter than header+code", []byte{0, 5, '0', '0', '0', '1', 'N'}, 0, closedSilently},
		{"valid frame then zero length", append(frame("0007", "NC"), 0, 0), 0, func(t *testing.T, ex exchange) string {
			checkAnswers(t, ex.got, "0007:00")
			if !ex.closed {
				t.Errorf("not closed after the framing error")
			}
			return fmt.Sprintf("answered the NC read before the error, then closed=%v", ex.closed)
		}},
		{"binary command code", append(binaryFrame, frame("0002", "NC")...), time.Second, func(t *testing.T, ex exchange) string {
			checkAnswers(t, ex.got, "0001:68", "0002:00")
			return "68 for the binary code; the connection stays usable (NC after it answered 00)"
		}},
		{"unknown and clear-PIN codes", append(frame("0003", "ZZ123"), frame("0004", "NG1234567890120123456789")...), time.Second, func(t *testing.T, ex exchange) string {
			checkAnswers(t, ex.got, "0003:68", "0004:68")
			return "68 for each; never relayed"
		}},
		{"64 KiB of random bytes", junk(64 << 10), 0, func(t *testing.T, ex exchange) string {
			if !ex.closed {
				t.Errorf("random junk: connection still open after %v", ex.after)
			}
			answers(t, ex.got) // whatever was answered is well-formed
			return fmt.Sprintf("closed=%v after=%v answered_bytes=%d", ex.closed, ex.after.Round(time.Millisecond), len(ex.got))
		}},
	}
	var notes []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wait := c.wait
			if wait == 0 {
				wait = 3 * time.Second
			}
			ex := rawExchange(t, g.addr, c.in, wait)
			notes = append(notes, c.name+": "+c.check(t, ex))
			undisturbed(t)
		})
	}

	t.Run("half a frame then close", func(t *testing.T) {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(frame("0005", "NC")[:5])
		c.Close()
		undisturbed(t)
		notes = append(notes, "half a frame then close: nothing to answer, gateway unaffected")
	})

	t.Run("silent connection closed by idle timeout", func(t *testing.T) {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ex := readUntilClose(c, idle+2*time.Second)
		if !ex.closed || ex.after < idle-100*time.Millisecond {
			t.Errorf("silent connection: closed %v after %v; want closed after the idle timeout %v", ex.closed, ex.after, idle)
		}
		undisturbed(t)
		notes = append(notes, fmt.Sprintf("silent connection: closed=%v after %v (idle_timeout %v)", ex.closed, ex.after.Round(time.Millisecond), idle))
	})

	t.Run("one byte per second", func(t *testing.T) {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A frame that declares 200 bytes, trickled one byte a second for
		// three idle timeouts (bounded). Each byte restarts the idle
		// timer, but limits.frame_timeout (default, config.DefaultFrameTimeout)
		// bounds the whole frame from its first byte.
		in := []byte{0, 200, '0', '0', '0', '9', 'N', 'C'}
		closed := false
		start := time.Now()
		n := int(3*idle/time.Second) + 1
		for i := 0; i < n && !closed; i++ {
			if _, err := c.Write([]byte{in[i%len(in)]}); err != nil {
				closed = true
				break
			}
			ex := readUntilClose(c, time.Second)
			closed = ex.closed
		}
		after := time.Since(start)
		if !closed || after < config.DefaultFrameTimeout-100*time.Millisecond {
			t.Errorf("one byte per second: closed %v after %v; want closed once the frame timeout %v has passed", closed, after.Round(time.Millisecond), config.DefaultFrameTimeout)
		}
		if have := sumMetric(g.metrics(t), "payhsm_gateway_connections_timed_out_total", `cause="frame_timeout"`); have < 1 {
			t.Errorf("payhsm_gateway_connections_timed_out_total{cause=\"frame_timeout\"}: have %v, want at least 1", have)
		}
		notes = append(notes, fmt.Sprintf("one byte per second: closed=%v after %v (idle_timeout %v, frame_timeout %v)", closed, after.Round(time.Second), idle, config.DefaultFrameTimeout))
		undisturbed(t)
	})

	t.Run("more connections than max_conns", func(t *testing.T) {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < maxConns+16; i++ {
			c, err := net.Dial("tcp", g.addr)
			if err != nil {
				t.Fatalf("dial %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		// At least the 16 beyond max_conns are refused (more, as the
		// background clients hold connections too).
		g.waitMetric(t, 10*time.Second, func(m map[string]float64) bool {
			return sumMetric(m, "payhsm_gateway_connections_rejected_total") >= 16
		})
		refused := 0
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			var b [1]byte
			if _, err := c.Read(b[:]); err != nil && !isTimeout(err) {
				refused++
			}
		}
		opened := len(conns)
		m := g.metrics(t)
		rejected := sumMetric(m, "payhsm_gateway_connections_rejected_total")
		if refused == 0 || rejected == 0 {
			t.Errorf("%d connections beyond max_conns %d: %d closed by the gateway, rejected_total %v; want some refused", len(conns), maxConns, refused, rejected)
		}
		// The background clients, connected before, were not disturbed
		// (checked at the end); a new client is served once the flood is gone.
		for _, c := range conns {
			c.Close()
		}
		conns = nil
		if took, ok := g.waitMetric(t, 10*time.Second, func(m map[string]float64) bool {
			return sumMetric(m, "payhsm_gateway_connections") <= 2
		}); !ok {
			t.Errorf("flood connections not released %v after they closed", took)
		}
		undisturbed(t)
		notes = append(notes, fmt.Sprintf("%d connections at max_conns %d: %d closed at once, rejected_total %v", opened, maxConns, refused, rejected))
	})

	r := bg.wait()
	rec := record{Event: "bad_input_host_listener", Extra: map[string]any{"cases": notes,
		"framing_errors_total": sumMetric(g.metrics(t), "payhsm_gateway_framing_errors_total")}}
	fromLoad(&rec, r)
	requireClean(t, "background traffic", r)
	writeResult(t, rec)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestIdleConnectionsMemory opens many idle connections to the front
// (1,000 in the short run, 10,000 in the full) and reports the gateway's
// memory per connection; a client on another connection is not disturbed.
func TestIdleConnectionsMemory(t *testing.T) {
	n := pick(1000, 10000)
	g, _, _ := startPair(t, gwConfig{MaxConns: n + 100, IdleTimeout: 5 * time.Minute}, 0)
	rec := record{Event: "idle_connections", RSSKB: map[string]int64{}}
	defer func() { writeResult(t, rec) }()
	rec.RSSKB["before"] = g.rssKB(t)
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", g.addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	took, ok := g.waitMetric(t, 30*time.Second, func(m map[string]float64) bool {
		return sumMetric(m, "payhsm_gateway_connections") >= float64(n)
	})
	if !ok {
		t.Fatalf("gateway shows fewer than %d connections after %v", n, took)
	}
	time.Sleep(500 * time.Millisecond)
	rec.RSSKB["with_idle"] = g.rssKB(t)
	perConn := float64(rec.RSSKB["with_idle"]-rec.RSSKB["before"]) / float64(n)
	// Traffic on another connection while they are all open.
	r := startLoad(t, loadSpec{Addr: g.addr, Rate: pick(500, 1000), Duration: 2 * time.Second, Conns: 2}).wait()
	fromLoad(&rec, r)
	rec.Extra = map[string]any{"idle_conns": n, "kb_per_conn": perConn}
	requireClean(t, "with idle connections open", r)
	if perConn > 64 {
		t.Errorf("%.1f kB per idle connection; want at most 64 kB (the read buffer)", perConn)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = conns[:0]
	if took, ok := g.waitMetric(t, 30*time.Second, func(m map[string]float64) bool {
		return sumMetric(m, "payhsm_gateway_connections") <= 2
	}); !ok {
		t.Errorf("connections not released %v after the clients closed them", took)
	}
	rec.RSSKB["after_close"] = g.rssKB(t)
}

// TestBadInputOnHTTPListener sends malformed HTTP to the --http listener
// and, when serve mounts the REST API, malformed bodies to a REST operation
// (huge, truncated, wrong types, unknown fields, junk): each gets its
// documented status and JSON error (docs/spec/rest.md), and the server keeps
// serving /healthz and well-formed requests.
func TestBadInputOnHTTPListener(t *testing.T) {
	g, _, _ := startPair(t, gwConfig{}, 0)
	var notes []string
	cl := http.Client{Timeout: 10 * time.Second}
	alive := func(t *testing.T) {
		t.Helper()
		resp, err := cl.Get("http://" + g.http + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz after the case: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	status := func(t *testing.T, method, path string, body io.Reader) int {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+g.http+path, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cl.Do(req)
		if err != nil {
			return -1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("huge body", func(t *testing.T) {
		got := status(t, "POST", "/metrics", io.LimitReader(zeros{}, 64<<20))
		notes = append(notes, fmt.Sprintf("POST /metrics with a 64 MiB body: %d", got))
		if got != http.StatusMethodNotAllowed && got != -1 {
			t.Errorf("status %d, want 405 (or the connection closed)", got)
		}
		alive(t)
	})
	// The REST API, if serve mounts it (docs/spec/rest.md): every bad body
	// gets its documented status and a JSON error naming the code.
	restMounted := status(t, "GET", "/v1/hsms", nil) != http.StatusNotFound
	if restMounted {
		valid := `{"cvk":"U9B4934384B19946B040CD702B4D58145","pan":"4123456789012345","expiry":"8701","serviceCode":"101","kind":"cvv","value":"561"}`
		for _, c := range []struct {
			name, body string
			status     int
			code       string // error.code; "" means any
			field      string // error.field; "" means any
		}{
			{"valid body", valid, http.StatusOK, "", ""},
			{"huge body", `{"pan":"` + strings.Repeat("4", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, "", ""},
			{"truncated body", valid[:40], http.StatusBadRequest, "", ""},
			{"wrong type", strings.Replace(valid, `"pan":"4123456789012345"`, `"pan":4123456789012345`, 1), http.StatusBadRequest, "", "pan"},
			{"unknown field", strings.Replace(valid, `{`, `{"bogus":true,`, 1), http.StatusBadRequest, "unknown_field", "bogus"},
			{"binary junk", "\x00\xff\xfe{\x01", http.StatusBadRequest, "", ""},
			{"empty body", "", http.StatusBadRequest, "", ""},
		} {
			t.Run("REST "+c.name, func(t *testing.T) {
				got, code, field := restCall(t, &cl, g.http, c.body)
				notes = append(notes, fmt.Sprintf("POST /v1/card/verify, %s: %d %s field=%q", c.name, got, code, field))
				if got != c.status || (c.code != "" && code != c.code) || (c.field != "" && field != c.field) || (got >= 400 && code == "") {
					t.Errorf("status %d, error code %q, field %q; want %d %q %q with a JSON error", got, code, field, c.status, c.code, c.field)
				}
				alive(t)
				// A well-formed request is still served.
				if got, code, _ := restCall(t, &cl, g.http, valid); got != http.StatusOK {
					t.Errorf("valid request after the case: %d %s", got, code)
				}
			})
		}
	}
	for _, raw := range []struct{ name, in string }{
		{"garbage request line", "GARBAGE\r\n\r\n"},
		{"truncated request", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"},
		{"binary junk", "\x00\xff\x16\x03\x01\x00\x00\r\n\r\n"},
		{"header of 2 MiB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + strings.Repeat("a", 2<<20) + "\r\n\r\n"},
	} {
		t.Run(raw.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", g.http)
			if err != nil {
				t.Fatal(err)
			}
			go func() { conn.Write([]byte(raw.in)); conn.(*net.TCPConn).CloseWrite() }()
			ex := readUntilClose(conn, 5*time.Second)
			conn.Close()
			line, _, _ := strings.Cut(string(ex.got), "\r\n")
			notes = append(notes, fmt.Sprintf("%s: %q, closed=%v", raw.name, line, ex.closed))
			if !ex.closed {
				t.Errorf("connection still open after %v", ex.after)
			}
			alive(t)
		})
	}
	rec := record{Event: "bad_input_http_listener", Extra: map[string]any{"cases": notes, "rest_mounted": restMounted}}
	writeResult(t, rec)
}

// restCall posts body to /v1/card/verify and returns the status and the
// JSON error's code and field.
func restCall(t *testing.T, cl *http.Client, addr, body string) (int, string, string) {
	t.Helper()
	resp, err := cl.Post("http://"+addr+"/v1/card/verify", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
	return resp.StatusCode, e.Error.Code, e.Error.Field
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

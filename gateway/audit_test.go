package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/hostcmd"
)

// lockedBuffer takes whole writes from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestGatewayAuditsEveryCommand(t *testing.T) {
	_, _, p := pair(t, nil)
	var buf lockedBuffer
	al, err := audit.New(&buf, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, Config{Audit: al}, p)
	c := dial(t, g.Addr())
	r := hostcmd.NewReader(c, 4)
	// NC is relayed and answered 00 by an HSM; NG is refused by policy
	// with 68 and names no HSM (hostcmd.md §4).
	for _, cmd := range []string{"NC", "NG"} {
		if _, err := c.Write(frame("HDR1", cmd)); err != nil {
			t.Fatal(err)
		}
		readAnswer(t, r)
	}
	type rec struct {
		Remote, Cmd, HSM, Code string
	}
	var have []rec
	for line := range strings.Lines(buf.String()) {
		var r rec
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		have = append(have, r)
	}
	if len(have) != 2 {
		t.Fatalf("audit: have %d records, want 2:\n%s", len(have), buf.String())
	}
	if h := have[0]; h.Cmd != "NC" || h.Code != "00" || (h.HSM != "a" && h.HSM != "b") || h.Remote != c.LocalAddr().String() {
		t.Errorf("NC record: have %+v, want cmd NC, code 00, HSM a or b, remote %s", h, c.LocalAddr())
	}
	if h := have[1]; h.Cmd != "NG" || h.Code != "68" || h.HSM != "" {
		t.Errorf("NG record: have %+v, want cmd NG, code 68, no HSM", h)
	}
}

func TestCodeStringIsTheTwoCharacters(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			if have, want := codeString(byte(a), byte(b)), string([]byte{byte(a), byte(b)}); have != want {
				t.Fatalf("codeString(%#x, %#x) = %q, want %q", a, b, have, want)
			}
		}
	}
	var sink string
	if n := testing.AllocsPerRun(100, func() { sink = codeString('C', 'A'); sink = codeString('0', '0') }); n != 0 {
		t.Errorf("codeString allocates for command codes: %v allocations", n)
	}
	_ = sink
}

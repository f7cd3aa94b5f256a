package simulator

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// vector is one request/response pair of a testdata file.
type vector struct {
	Name        string  `json:"name"`
	Request     string  `json:"request"`
	RequestHex  string  `json:"request_hex"`
	Response    *string `json:"response"`
	ResponseHex string  `json:"response_hex"`
	Source      string  `json:"source"`
}

func (v vector) request(t testing.TB) []byte {
	if v.RequestHex != "" {
		return unhex(t, v.RequestHex)
	}
	return []byte(v.Request)
}

// response returns the expected response body, or nil when the vector is
// checked by a round trip instead.
func (v vector) response(t testing.TB) []byte {
	switch {
	case v.ResponseHex != "":
		return unhex(t, v.ResponseHex)
	case v.Response != nil:
		return []byte(*v.Response)
	}
	return nil
}

// loadVectors reads a testdata vector file:
//   - testdata/hostcmd.json is a copy of the project's shared host-command
//     vectors (ThalesSim test suite, each vector's source inside);
//   - testdata/payshield.json holds the hsm-protocol.md §7.1/§7.2 bodies and
//     payment-crypto.md's public vectors with their keys wrapped under the test LMK
//     (sources inside);
//   - testdata/dukpt.json holds the CI and G0 bodies of
//     docs/spec/hostcmd-dukpt.md §5 (sources inside).
func loadVectors(t testing.TB, file string) []vector {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		LMK     string   `json:"lmk"`
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if f.LMK != "test" || len(f.Vectors) == 0 {
		t.Fatalf("%s: want vectors under the test LMK", file)
	}
	return f.Vectors
}

func allVectors(t testing.TB) []vector {
	all := append(loadVectors(t, "testdata/hostcmd.json"), loadVectors(t, "testdata/payshield.json")...)
	all = append(all, loadVectors(t, "testdata/dukpt.json")...)
	return append(all, loadVectors(t, "testdata/dukptverify.json")...)
}

// TestVectorsOverTCP starts the simulator on 127.0.0.1:0 and replays every
// vector with an expected response over TCP, one at a time.
func TestVectorsOverTCP(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	n := 0
	for _, v := range allVectors(t) {
		want := v.response(t)
		if want == nil {
			continue
		}
		n++
		if have := c.do(v.request(t)); string(have) != string(want) {
			t.Errorf("%s: have %q, want %q (source: %s)", v.Name, have, want, v.Source)
		}
	}
	if n < 40 {
		t.Fatalf("only %d vectors replayed", n)
	}
}

// TestVectorsPipelined writes every vector on one connection in one write,
// each with its own header, trailer on every other one, and checks the
// answers come back in order with headers and trailers echoed.
func TestVectorsPipelined(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	var buf []byte
	var want []string
	for i, v := range allVectors(t) {
		resp := v.response(t)
		if resp == nil {
			continue
		}
		req := v.request(t)
		hdr := fmt.Sprintf("%04d", i)
		if i%2 == 1 {
			req = append(req, "\x19T"+hdr...)
			resp = append(resp, "\x19T"+hdr...)
		}
		buf = hostcmd.AppendFrame(buf, []byte(hdr), req)
		want = append(want, hdr+string(resp))
	}
	go c.nc.Write(buf)
	have := readAnswers(t, c, len(want), 30*time.Second)
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("answer %d: have %q, want %q", i, have[i], want[i])
		}
	}
}

// TestVectorsWithoutNetwork runs the same vectors through HSM.Execute, the
// engine the conformance unit tests may call directly.
func TestVectorsWithoutNetwork(t *testing.T) {
	h := NewHSM(nil)
	for _, v := range allVectors(t) {
		want := v.response(t)
		if want == nil {
			continue
		}
		if have := h.Execute(nil, v.request(t)); string(have) != string(want) {
			t.Errorf("%s: have %q, want %q", v.Name, have, want)
		}
	}
}

// TestJGVectorByRoundTrip checks the hostcmd.json JG vector whose response
// is null: its PIN-under-LMK field is ThalesSim's fake format ("0" + PIN),
// so the PIN 1234 is first put under our LMK with BA, then JG must give the
// portable PIN block E98FFDA17099AF55 (ThalesSim test suite, the block CA
// produces under the same ZPK for PIN 1234, ISO format 0, account
// 550000025321; see the "CA single-length keys" vector).
func TestJGVectorByRoundTrip(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	var jg vector
	for _, v := range loadVectors(t, "testdata/hostcmd.json") {
		if strings.HasPrefix(v.Request, "JG") && v.Response == nil {
			jg = v
		}
	}
	if jg.Request == "" {
		t.Fatal("no null-response JG vector in testdata/hostcmd.json")
	}
	// JG + ZPK 16H + format 2N + account 12N + ThalesSim LMK-PIN "0"+PIN.
	zpk, format, account, simPIN := jg.Request[2:18], jg.Request[18:20], jg.Request[20:32], jg.Request[32:]
	clearPIN := simPIN[1:]
	bb := c.do([]byte("BA" + clearPIN + "F" + account))
	if !strings.HasPrefix(string(bb), "BB00") {
		t.Fatalf("BA: %q", bb)
	}
	jh := c.do([]byte("JG" + zpk + format + account + string(bb[4:])))
	if want := "JH00E98FFDA17099AF55"; string(jh) != want {
		t.Fatalf("JG: have %q, want %q", jh, want)
	}
}

func TestVectorFilesAreWellFormed(t *testing.T) {
	for _, v := range allVectors(t) {
		if v.Name == "" || v.Source == "" {
			t.Errorf("vector %q has no name or source", v.Name)
		}
		if v.RequestHex != "" {
			if _, err := hex.DecodeString(v.RequestHex); err != nil {
				t.Errorf("%s: request_hex: %v", v.Name, err)
			}
		}
	}
}

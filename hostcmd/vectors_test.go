package hostcmd

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// vector is one request/response pair from testdata; each names its source.
type vector struct {
	Name        string  `json:"name"`
	Cmd         string  `json:"cmd"`
	Request     *string `json:"request"`
	RequestHex  string  `json:"request_hex"`
	Response    *string `json:"response"`
	ResponseHex string  `json:"response_hex"`
	Error       Code    `json:"error"`
	Field       string  `json:"field"`
	Source      string  `json:"source"`
}

func (v *vector) request(t testing.TB) []byte {
	if v.RequestHex != "" {
		b, err := hex.DecodeString(v.RequestHex)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if v.Request != nil {
		return []byte(*v.Request)
	}
	return nil
}

func (v *vector) response(t testing.TB) []byte {
	if v.ResponseHex != "" {
		b, err := hex.DecodeString(v.ResponseHex)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if v.Response != nil {
		return []byte(*v.Response)
	}
	return nil
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	var all []vector
	for _, name := range []string{"testdata/hostcmd.json", "testdata/payshield_examples.json", "testdata/dukpt.json", "testdata/dukptverify.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Vectors []vector }
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range f.Vectors {
			if v.Source == "" {
				t.Fatalf("%s: vector %q has no source", name, v.Name)
			}
		}
		all = append(all, f.Vectors...)
	}
	return all
}

// TestVectorsRoundTrip: every request and response body of the shared
// vectors and hsm-protocol.md §7 parses and re-encodes byte for byte, or gives
// the documented *Error.
func TestVectorsRoundTrip(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Logf("source: %s", v.Source)
			body := v.request(t)
			var req Request
			if body != nil {
				var err error
				req, err = ParseRequest(body)
				if v.Error != "" {
					var he *Error
					if !errors.As(err, &he) || he.Code != v.Error || he.Field != v.Field {
						t.Fatalf("have %v; want error %s in field %s", err, v.Error, v.Field)
					}
					return
				}
				if err != nil {
					t.Fatalf("ParseRequest: %v", err)
				}
				if got := req.AppendBody(nil); !bytes.Equal(got, body) {
					t.Fatalf("request re-encoding:\nhave %q\nwant %q", got, body)
				}
				if req.Code() != string(body[:2]) {
					t.Fatalf("Code: have %s want %s", req.Code(), body[:2])
				}
			}
			resp := v.response(t)
			if resp == nil {
				return
			}
			cmd := v.Cmd
			if body != nil {
				cmd = string(body[:2])
			}
			r, err := ParseResponse([2]byte{cmd[0], cmd[1]}, resp)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if got := r.AppendBody(nil); !bytes.Equal(got, resp) {
				t.Fatalf("response re-encoding:\nhave %q\nwant %q", got, resp)
			}
			rc := ResponseCode([2]byte{cmd[0], cmd[1]})
			if want := string(rc[:]); r.Code() != want {
				t.Fatalf("response Code: have %s want %s", r.Code(), want)
			}
			if req != nil {
				r2, err := ParseResponseFor(req, resp)
				if err != nil {
					t.Fatalf("ParseResponseFor: %v", err)
				}
				if got := r2.AppendBody(nil); !bytes.Equal(got, resp) {
					t.Fatalf("ParseResponseFor re-encoding:\nhave %q\nwant %q", got, resp)
				}
			}
		})
	}
}

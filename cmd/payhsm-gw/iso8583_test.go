package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/iso8583"
)

// decodeMessage is a 0100 with a PAN, track 2, PIN data and ICC data.
func decodeMessage(t *testing.T, spec string) string {
	t.Helper()
	m := iso8583.NewMessage("0100")
	m.SetString(2, "4761739001010119")
	m.SetString(4, "000000001000")
	m.SetString(35, "4761739001010119D22122011758928889")
	m.Set(52, []byte{0x91, 0xDD, 0xDA, 0x0A, 0x7C, 0x12, 0xCF, 0xAA})
	m.Set(55, []byte{0x9F, 0x26, 0x02, 0xAB, 0xCD, 0x9F, 0x36, 0x02, 0x00, 0x1C})
	s, _ := iso8583.Lookup(spec)
	b, err := m.Pack(s)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func runDecode(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := iso8583Command(append([]string{"decode"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestISO8583DecodeMasks(t *testing.T) {
	for _, spec := range iso8583.Names() {
		// Lines and spaces in the input are ignored.
		in := decodeMessage(t, spec)
		in = in[:20] + "\n  " + in[20:] + "\n"
		code, out, errOut := runDecode(t, in, "--spec", spec)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", spec, code, errOut)
		}
		for _, want := range []string{"MTI  0100", "F2 ", "476173******0119", "F4 ", "000000001000", "9F36 001C", "9F26 ****"} {
			if !strings.Contains(out, want) {
				t.Fatalf("%s: output lacks %q:\n%s", spec, want, out)
			}
		}
		for _, secret := range []string{"4761739001010119", "1758928889", "91DDDA0A7C12CFAA", "ABCD"} {
			if strings.Contains(out, secret) {
				t.Fatalf("%s: masked output shows %s:\n%s", spec, secret, out)
			}
		}
		code, out, _ = runDecode(t, in, "--spec", spec, "--reveal")
		if code != exitOK || !strings.Contains(out, "4761739001010119D22122011758928889") ||
			!strings.Contains(out, "91DDDA0A7C12CFAA") || !strings.Contains(out, "9F26 ABCD") {
			t.Fatalf("%s: --reveal output:\n%s", spec, out)
		}
	}
}

func TestISO8583DecodeSpecFile(t *testing.T) {
	// A JSON spec: the layout of the moov-io/iso8583 message_test.go vector.
	dir := t.TempDir()
	path := filepath.Join(dir, "spec.json")
	spec := `{"name":"small","mtiEncoding":"ascii","bitmapEncoding":"hex","fields":{
		"2":{"type":"n","length":19,"prefix":"LL","lengthEncoding":"ascii","encoding":"ascii"},
		"3":{"type":"n","length":6,"encoding":"ascii"},
		"4":{"type":"n","length":12,"encoding":"ascii","padLeft":"0"}}}`
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := hex.EncodeToString([]byte("01007000000000000000164242424242424242123456000000000100"))
	code, out, errOut := runDecode(t, msg, "--spec-file", path)
	if code != exitOK || !strings.Contains(out, "424242******4242") || !strings.Contains(out, "123456") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
}

func TestISO8583DecodeErrors(t *testing.T) {
	good := decodeMessage(t, iso8583.ISO87ASCII)
	cases := []struct {
		name  string
		in    string
		args  []string
		code  int
		wants string
	}{
		{"no spec", good, nil, exitUsage, "--spec is required"},
		{"unknown spec", good, []string{"--spec", "iso93"}, exitUsage, "unknown --spec"},
		{"not hex", "0100ZZ", []string{"--spec", "iso87ascii"}, exitFailed, "not hex"},
		{"truncated", good[:len(good)-6], []string{"--spec", "iso87ascii"}, exitFailed, "field 55: "},
		{"bad spec file", good, []string{"--spec-file", "/nonexistent/spec.json"}, exitUsage, "iso8583"},
		{"argument", good, []string{"--spec", "iso87ascii", "extra"}, exitUsage, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runDecode(t, c.in, c.args...)
			if code != c.code || !strings.Contains(errOut, c.wants) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, c.code, c.wants)
			}
			if strings.Contains(out+errOut, "4761739001010119") {
				t.Fatal("the PAN reached the output")
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := iso8583Command(nil, strings.NewReader(""), &out, &errOut); code != exitUsage {
		t.Fatalf("no subcommand: exit %d", code)
	}
}

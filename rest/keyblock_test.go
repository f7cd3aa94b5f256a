package rest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/hexdigit"
	"github.com/payhsm/payhsm-gw/internal/kbvec"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
	"github.com/payhsm/payhsm-gw/pin"
	"github.com/payhsm/payhsm-gw/registry"
	"github.com/payhsm/payhsm-gw/simulator"
)

// newKBEnv is newEnv over a simulator holding the test AES key-block LMK
// (hostcmd-keyblocks.md §1).
func newKBEnv(t testing.TB, mods ...func(*Config)) *env {
	t.Helper()
	h, err := simulator.NewKeyBlockHSM(keys.TestAESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	sim := &simExecutor{hsm: h}
	e := newEnv(t, append([]func(*Config){func(c *Config) { c.Executor = sim }}, mods...)...)
	e.sim = sim
	return e
}

// clearKey returns the clear key of hex h, destroyed when the test ends.
func clearKey(t testing.TB, h string) keys.ClearKey {
	t.Helper()
	k := testvec.Make(t, h, keys.NewClearKey)
	t.Cleanup(k.Destroy)
	return k
}

// lmkBlock returns clear key clearHex as "S" + a Thales block under the test
// AES key-block LMK with the given usage, algorithm, mode and
// exportability: a key as the HSM holds it, made by the test with keys/tr31.
func lmkBlock(t testing.TB, usage string, alg, mode, export byte, clearHex string) string {
	t.Helper()
	p, err := tr31.FromLMK(keys.TestAESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := p.WrapThales(tr31.Header{Version: tr31.ThalesAES, KeyUsage: usage, Algorithm: alg, ModeOfUse: mode,
		KeyVersion: "00", Exportability: export, LMKID: "00"}, clearKey(t, clearHex), nil)
	if err != nil {
		t.Fatal(err)
	}
	return "S" + kb
}

// kekAlg is the algorithm of a KBPK: 'A' for AES, else Triple DES.
func kekAlg(a string) byte {
	if a == "A" {
		return 'A'
	}
	return 'T'
}

// tr31Block wraps clear key clearHex as a TR-31 block of version v under
// KBPK kbpkHex.
func tr31Block(t testing.TB, v tr31.Version, kbpkHex, usage string, alg, mode, export byte, clearHex string) string {
	t.Helper()
	kb, err := tr31.Wrap(clearKey(t, kbpkHex), tr31.Header{Version: v, KeyUsage: usage, Algorithm: alg, ModeOfUse: mode,
		KeyVersion: "00", Exportability: export}, clearKey(t, clearHex), nil)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// tr31Vector is a TR-31 vector of keys/tr31/testdata/keyblocks.json (each
// names its public source there).
type tr31Vector = kbvec.KeyBlock

func loadTR31Vectors(t testing.TB) []tr31Vector {
	t.Helper()
	b, err := os.ReadFile("../keys/tr31/testdata/keyblocks.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TR31 []tr31Vector `json:"tr31"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.TR31) < 5 {
		t.Fatalf("only %d TR-31 vectors", len(f.TR31))
	}
	return f.TR31
}

// restType is the REST key type a vector's usage imports as ("" none).
func restType(usage string, alg byte) string {
	for _, typ := range keyTypeNames {
		if contains(tr31Usages[typ], usage) && strings.IndexByte(tr31Algorithms[typ], alg) >= 0 {
			return typ
		}
	}
	return ""
}

func importBody(alias, keyType, block, kek string) map[string]any {
	return map[string]any{"alias": alias, "keyType": keyType, "tr31": map[string]any{"keyBlock": block, "kek": kek}}
}

// TestTR31ImportVectors imports every public TR-31 vector whose usage is a
// REST key type, under its KBPK held as an S block: the answer carries
// the vector's KCV, the registry the scheme S and the block's usage. An
// exportable key is then exported under the same KEK in every version the
// KEK allows; each exported block opens under the KBPK (keys/tr31) to the
// vector's key and imports again with the same KCV.
func TestTR31ImportVectors(t *testing.T) {
	e := newKBEnv(t)
	imported, exported := 0, 0
	for i, v := range loadTR31Vectors(t) {
		h, _, _, err := tr31.ParseHeader(v.Block)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		typ := restType(h.KeyUsage, h.Algorithm)
		if typ == "" || len(v.KCV) < 6 || len(v.Key) < 32 {
			continue // a usage the REST API has no type for, or no KCV to check
		}
		kek := lmkBlock(t, "K0", kekAlg(v.KBPKAlg), 'B', 'N', v.KBPK)
		alias := fmt.Sprintf("v%d", i)
		got := e.mustStatus(http.StatusCreated, "/v1/keys", importBody(alias, typ, v.Block, kek))
		if got["kcv"] != v.KCV[:6] || got["scheme"] != "S" || got["usage"] != h.KeyUsage || got["keyType"] != typ {
			t.Fatalf("%s (%s): import answered %v, want kcv %s, scheme S, usage %s", v.Name, v.Source, got, v.KCV[:6], h.KeyUsage)
		}
		r := e.do(http.MethodGet, "/v1/keys/"+alias, nil, nil)
		if g := r.json(t); r.status != http.StatusOK || g["scheme"] != "S" || g["usage"] != h.KeyUsage || g["kcv"] != v.KCV[:6] {
			t.Fatalf("%s: GET answered %d %s", v.Name, r.status, r.body)
		}
		rec, err := e.reg.Get(alias)
		if err != nil || rec.Scheme != "S" || rec.Usage != h.KeyUsage {
			t.Fatalf("%s: registry holds %+v, %v", v.Name, rec, err)
		}
		imported++
		t.Logf("%s: imported as %s, KCV %s", v.Name, typ, v.KCV[:6])
		versions := "ABC"
		if kekAlg(v.KBPKAlg) == 'A' {
			versions = "D"
		}
		for _, ver := range versions {
			r := e.post("/v1/keys/"+alias+"/export", map[string]any{"kek": kek, "version": string(ver)})
			if h.Exportability == 'N' {
				code, field, hsm := r.errorOf(t)
				if r.status != http.StatusBadRequest || code != CodeInvalidKey || field != "alias" || hsm != "AA" {
					t.Fatalf("%s: export of a non-exportable key: %d %s", v.Name, r.status, r.body)
				}
				break
			}
			if r.status != http.StatusOK {
				t.Fatalf("%s: export %c: %d %s", v.Name, ver, r.status, r.body)
			}
			out := r.json(t)
			kb, _ := out["keyBlock"].(string)
			if out["kcv"] != v.KCV[:6] || out["version"] != string(ver) || !strings.HasPrefix(kb, string(ver)) {
				t.Fatalf("%s: export %c answered %v", v.Name, ver, out)
			}
			eh, k, err := tr31.Unwrap(clearKey(t, v.KBPK), kb)
			if err != nil {
				t.Fatalf("%s: the exported %c block does not open under the KBPK: %v", v.Name, ver, err)
			}
			if !bytes.Equal(k.Bytes(), clearKey(t, v.Key).Bytes()) || eh.KeyUsage != h.KeyUsage {
				t.Fatalf("%s: the exported %c block holds another key or usage %s", v.Name, ver, eh.KeyUsage)
			}
			k.Destroy()
			again := e.mustStatus(http.StatusCreated, "/v1/keys", importBody(fmt.Sprintf("%s-%c", alias, ver), typ, kb, kek))
			if again["kcv"] != v.KCV[:6] {
				t.Fatalf("%s: re-import of the %c export: kcv %v", v.Name, ver, again["kcv"])
			}
			exported++
			t.Logf("%s: exported as %c and imported again", v.Name, ver)
		}
	}
	if imported < 5 || exported < 4 {
		t.Fatalf("only %d vectors imported, %d exports round-tripped", imported, exported)
	}
}

// TestTR31ImportUnderRegisteredKEK: a ZMK imported as a TR-31 block is a
// KEK by alias; the default export version follows the KEK (B under Triple
// DES, D under AES).
func TestTR31ImportUnderRegisteredKEK(t *testing.T) {
	e := newKBEnv(t)
	const outer = "0123456789ABCDEFFEDCBA9876543210"
	for _, tc := range []struct {
		name, kbpk string
		alg        byte
		version    tr31.Version
		want       string
	}{
		// TR-31:2018 A.7.2.2 (keys/tr31/testdata): its KBPK as a ZMK.
		{"tdes", "DD7515F2BFC17F85CE48F3CA25CB21F6", 'T', tr31.VersionB, "B"},
		// TR-31:2018 A.7.4: its AES-256 KBPK as a ZMK.
		{"aes", "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6", 'A', tr31.VersionD, "D"},
	} {
		zmkBlock := tr31Block(t, tr31.VersionB, outer, "K0", tc.alg, 'B', 'E', tc.kbpk)
		if tc.alg == 'A' {
			zmkBlock = tr31Block(t, tr31.VersionD, "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6", "K0", 'A', 'B', 'E', tc.kbpk)
		}
		outerKEK := lmkBlock(t, "K0", 'T', 'B', 'N', outer)
		if tc.alg == 'A' {
			outerKEK = lmkBlock(t, "K0", 'A', 'B', 'N', tc.kbpk)
		}
		e.mustStatus(http.StatusCreated, "/v1/keys", importBody("zmk-"+tc.name, "ZMK", zmkBlock, outerKEK))
		key := "3F419E1CB7079442AA37474C2EFBF8B8" // the A.7.2.2 / A.7.4 key, KCV 57C409
		kb := tr31Block(t, tc.version, tc.kbpk, "P0", 'T', 'E', 'E', key)
		// With the expected KCV given, in lower case.
		got := e.mustStatus(http.StatusCreated, "/v1/keys", with(importBody("zpk-"+tc.name, "ZPK", kb, "alias/zmk-"+tc.name), "kcv", "57c409"))
		if got["kcv"] != "57C409" || got["usage"] != "P0" {
			t.Fatalf("%s: %v", tc.name, got)
		}
		out := e.mustStatus(http.StatusOK, "/v1/keys/zpk-"+tc.name+"/export", map[string]any{"kek": "alias/zmk-" + tc.name})
		if out["version"] != tc.want || !strings.HasPrefix(out["keyBlock"].(string), tc.want) || out["kcv"] != "57C409" {
			t.Fatalf("%s: default export: %v", tc.name, out)
		}
	}
}

// TestTR31ImportBadInput: every bad block, KEK or combination answers a 400
// (404 for an unknown alias) naming the field, with the HSM's code when
// the HSM found it.
func TestTR31ImportBadInput(t *testing.T) {
	e := newKBEnv(t)
	// TR-31:2018 A.7.2.1 (keys/tr31/testdata): KBPK, block.
	const kbpk = "89E88CF7931444F334BD7547FC3F380C"
	const block = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	kek := lmkBlock(t, "K0", 'T', 'B', 'N', kbpk)
	otherKEK := lmkBlock(t, "K0", 'T', 'B', 'N', "0123456789ABCDEFFEDCBA9876543210")
	aesKEK := lmkBlock(t, "K0", 'A', 'B', 'N', "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6")
	notZMK := lmkBlock(t, "P0", 'T', 'B', 'N', kbpk)
	e.mustStatus(http.StatusCreated, "/v1/keys", importBody("zpk-a", "ZPK", block, kek))
	// The A.7.2.1 block with its encrypted part two hex digits short and
	// the length field saying so: not whole cipher blocks.
	short := "A0070" + block[5:len(block)-10] + block[len(block)-8:]
	for _, tc := range []struct {
		name             string
		body             map[string]any
		status           int
		code, field, hsm string
	}{
		{"MAC fails", importBody("k", "ZPK", hexdigit.Flip(block, len(block)-1), kek), 400, CodeInvalidKey, "tr31.keyBlock", "A4"},
		{"encrypted key altered", importBody("k", "ZPK", hexdigit.Flip(block, 20), kek), 400, CodeInvalidKey, "tr31.keyBlock", "A4"},
		{"another KEK", importBody("k", "ZPK", block, otherKEK), 400, CodeInvalidKey, "tr31.keyBlock", "A4"},
		{"KEK not a ZMK", importBody("k", "ZPK", block, notZMK), 400, CodeInvalidKey, "tr31.kek", "A6"},
		{"header not parsable", importBody("k", "ZPK", "A00X2P0TE00E0000"+block[16:], kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"optional block count not digits", importBody("k", "ZPK", block[:12]+"0X"+block[14:], kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"length field differs", importBody("k", "ZPK", block[:len(block)-2], kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"not whole cipher blocks", importBody("k", "ZPK", short, kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"not hex", importBody("k", "ZPK", block[:len(block)-1]+"G", kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"Thales version", importBody("k", "ZPK", "1"+block[1:], kek), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"empty block", importBody("k", "ZPK", "", kek), 400, CodeMissingField, "tr31.keyBlock", ""},
		{"usage does not fit keyType", importBody("k", "CVK", block, kek), 400, CodeKeyTypeMismatch, "tr31.keyBlock", ""},
		{"TDES version under an AES KEK", importBody("k", "ZPK", block, aesKEK), 400, CodeInvalidField, "tr31.keyBlock", ""},
		{"no KEK", importBody("k", "ZPK", block, ""), 400, CodeMissingField, "tr31.kek", ""},
		{"KEK a variant key", importBody("k", "ZPK", block, "U"+strings.Repeat("0", 32)), 400, CodeInvalidField, "tr31.kek", ""},
		{"KEK truncated", importBody("k", "ZPK", block, kek[:len(kek)-2]), 400, CodeInvalidField, "tr31.kek", ""},
		{"KEK alias unknown", importBody("k", "ZPK", block, "alias/nope"), 404, CodeNotFound, "tr31.kek", ""},
		{"KEK alias not a ZMK", importBody("k", "ZPK", block, "alias/zpk-a"), 400, CodeKeyTypeMismatch, "tr31.kek", ""},
		{"with generate", with(importBody("k", "ZPK", block, kek), "generate", true), 400, CodeInvalidField, "generate", ""},
		{"with cryptogram", with(importBody("k", "ZPK", block, kek), "cryptogram", "U"+strings.Repeat("0", 32)), 400, CodeInvalidField, "cryptogram", ""},
		{"kcv differs", with(importBody("k", "ZPK", block, kek), "kcv", "000000"), 400, CodeKCVMismatch, "kcv", ""},
		{"alias taken", importBody("zpk-a", "ZPK", block, kek), 409, CodeAliasExists, "alias", ""},
		{"tr31 not an object", map[string]any{"alias": "k", "keyType": "ZPK", "tr31": "x"}, 400, CodeInvalidField, "tr31", ""},
		{"tr31 unknown member", map[string]any{"alias": "k", "keyType": "ZPK", "tr31": map[string]any{"keyBlock": block, "kek": kek, "x": 1}}, 400, CodeUnknownField, "tr31.x", ""},
	} {
		r := e.post("/v1/keys", tc.body)
		if !r.checkError(t, tc.name, tc.status, tc.code, tc.field, tc.hsm) {
			continue
		}
		if strings.Contains(string(r.body), block[16:40]) || strings.Contains(string(r.body), kek[17:40]) {
			t.Errorf("%s: the error echoes key material: %s", tc.name, r.body)
		}
	}
	if _, err := e.reg.Get("k"); err == nil {
		t.Fatal("a refused import was registered")
	}
	// Under a variant LMK the HSM refuses key blocks: A1, blamed on the KEK.
	v := newEnv(t)
	r := v.post("/v1/keys", importBody("k", "ZPK", block, kek))
	if code, field, hsm := r.errorOf(t); r.status != 400 || code != CodeInvalidKey || field != "tr31.kek" || hsm != "A1" {
		t.Fatalf("variant LMK: %d %s", r.status, r.body)
	}
}

// TestKeyExportBadInput: export errors name the path's alias, the kek or
// the version.
func TestKeyExportBadInput(t *testing.T) {
	e := newKBEnv(t)
	const kbpk = "89E88CF7931444F334BD7547FC3F380C"
	kek := lmkBlock(t, "K0", 'T', 'B', 'N', kbpk)
	aesKEK := lmkBlock(t, "K0", 'A', 'B', 'N', "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6")
	e.mustStatus(http.StatusCreated, "/v1/keys", importBody("zpk-e", "ZPK",
		tr31Block(t, tr31.VersionB, kbpk, "P0", 'T', 'E', 'E', "3F419E1CB7079442AA37474C2EFBF8B8"), kek))
	e.mustStatus(http.StatusCreated, "/v1/keys", importBody("zpk-n", "ZPK",
		tr31Block(t, tr31.VersionB, kbpk, "P0", 'T', 'E', 'N', "3F419E1CB7079442AA37474C2EFBF8B8"), kek))
	if _, err := e.reg.Create(registryRecord("u-zpk", "ZPK", wrap(t, "ZPK", testClear))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, alias      string
		body             map[string]any
		status           int
		code, field, hsm string
	}{
		{"not exportable", "zpk-n", map[string]any{"kek": kek}, 400, CodeInvalidKey, "alias", "AA"},
		{"variant key", "u-zpk", map[string]any{"kek": kek}, 400, CodeInvalidKey, "alias", ""},
		{"unknown alias", "nope", map[string]any{"kek": kek}, 404, CodeNotFound, "alias", ""},
		{"version D under a TDES KEK", "zpk-e", map[string]any{"kek": kek, "version": "D"}, 400, CodeInvalidField, "version", ""},
		{"version B under an AES KEK", "zpk-e", map[string]any{"kek": aesKEK, "version": "B"}, 400, CodeInvalidField, "version", ""},
		{"version E", "zpk-e", map[string]any{"kek": kek, "version": "E"}, 400, CodeInvalidField, "version", ""},
		{"no kek", "zpk-e", map[string]any{}, 400, CodeMissingField, "kek", ""},
		{"kek a ZPK", "zpk-e", map[string]any{"kek": "alias/zpk-e"}, 400, CodeKeyTypeMismatch, "kek", ""},
		{"kek not a ZMK block", "zpk-e", map[string]any{"kek": lmkBlock(t, "P0", 'T', 'B', 'N', kbpk)}, 400, CodeInvalidKey, "kek", "A6"},
		{"unknown field", "zpk-e", map[string]any{"kek": kek, "format": "B"}, 400, CodeUnknownField, "format", ""},
	} {
		r := e.post("/v1/keys/"+tc.alias+"/export", tc.body)
		r.checkError(t, tc.name, tc.status, tc.code, tc.field, tc.hsm)
	}
}

// TestKeyRecordsShowScheme: variant keys show their scheme and no usage,
// including records written before the scheme was kept.
func TestKeyRecordsShowScheme(t *testing.T) {
	e := newEnv(t)
	zpk := wrap(t, "ZPK", testClear)
	got := e.mustStatus(http.StatusCreated, "/v1/keys", map[string]any{"alias": "u1", "keyType": "ZPK", "cryptogram": zpk})
	if _, ok := got["usage"]; got["scheme"] != "U" || ok {
		t.Fatalf("cryptogram import: %v", got)
	}
	if rec, _ := e.reg.Get("u1"); rec.Scheme != "U" {
		t.Fatalf("registry: %+v", rec)
	}
	// An old record: no scheme stored.
	if _, err := e.reg.Create(registryRecord("old", "ZPK", zpk)); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodGet, "/v1/keys/old", nil, nil)
	if g := r.json(t); g["scheme"] != "U" {
		t.Fatalf("old record: %s", r.body)
	}
}

// TestPINTranslateISO4 translates the ANSI X9.24-3:2017 format 4 example
// (pin/testdata/iso4.json: key AF8C…93FB, PIN 1234, PAN 4111111111111111)
// between AES and Triple DES ZPKs registered from TR-31 blocks, and checks
// each answer by deciphering it with the pin package.
func TestPINTranslateISO4(t *testing.T) {
	e := newKBEnv(t)
	const (
		aesKBPK = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6"
		aesKey  = "AF8CB133A78F8DC2D1359F18527593FB" // X9.24-3 format 4 example key
		aesKey2 = "D30BDC73EC9714B000BEC66BDB7B6D09" // the next KSN's key, as a second AES ZPK
		tdesKey = "0123456789ABCDEFFEDCBA9876543210"
		pan     = "4111111111111111"
		inBlock = "A912150391AB65A67E52883D81CE2D15"
	)
	kek := lmkBlock(t, "K0", 'A', 'B', 'N', aesKBPK)
	for _, k := range []struct {
		alias, key string
		alg        byte
		typ        string
	}{{"aes-zpk", aesKey, 'A', "ZPK"}, {"aes-zpk2", aesKey2, 'A', "ZPK"}, {"tdes-zpk", tdesKey, 'T', "ZPK"}, {"aes-tpk", aesKey, 'A', "TPK"}} {
		e.mustStatus(http.StatusCreated, "/v1/keys", importBody(k.alias, k.typ,
			tr31Block(t, tr31.VersionD, aesKBPK, "P0", k.alg, 'B', 'E', k.key), kek))
	}
	aesBlock := func(h string) cipher.Block {
		b, err := aes.NewCipher(clearKey(t, h).Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tdesBlock, err := tdes.New(clearKey(t, tdesKey).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	account, _ := pin.AccountFromPAN(pan)
	for _, tc := range []struct {
		name, in, out, inFmt, outFmt, block string
		dec                                 cipher.Block
		f                                   pin.Format
		acct                                string
	}{
		{"ISO4 to ISO0", "alias/aes-zpk", "alias/tdes-zpk", "ISO4", "ISO0", inBlock, tdesBlock, pin.ISO0, account},
		{"ISO4 to ISO4", "alias/aes-zpk", "alias/aes-zpk2", "ISO4", "ISO4", inBlock, aesBlock(aesKey2), pin.ISO4, pan},
		{"ISO4 from an AES TPK (CA)", "alias/aes-tpk", "alias/tdes-zpk", "ISO4", "ISO0", inBlock, tdesBlock, pin.ISO0, account},
	} {
		got := e.mustStatus(http.StatusOK, "/v1/pin/translate", map[string]any{"incomingKey": tc.in, "outgoingKey": tc.out,
			"incomingFormat": tc.inFmt, "outgoingFormat": tc.outFmt, "pan": pan, "pinBlock": tc.block})
		ob, err := hex.DecodeString(got["pinBlock"].(string))
		if err != nil {
			t.Fatal(err)
		}
		p, err := pin.DecryptBlock(tc.dec, tc.f, ob, tc.acct)
		if err != nil || !p.Equal(mustPIN(t, "1234")) || got["pinLength"] != float64(4) {
			t.Fatalf("%s: answer %v deciphers to a %d-digit PIN, %v", tc.name, got, p.Len(), err)
		}
		if got["incomingKcv"] == "" || got["outgoingKcv"] == "" {
			t.Fatalf("%s: no KCVs: %v", tc.name, got)
		}
	}
	// ISO0 (made here under the Triple DES key) to ISO4, then back.
	iso0, err := pin.EncryptBlock(nil, tdesBlock, pin.ISO0, mustPIN(t, "1234"), account, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := e.mustStatus(http.StatusOK, "/v1/pin/translate", map[string]any{"incomingKey": "alias/tdes-zpk", "outgoingKey": "alias/aes-zpk",
		"incomingFormat": "ISO0", "outgoingFormat": "ISO4", "pan": pan, "pinBlock": strings.ToUpper(hex.EncodeToString(iso0))})
	ob, _ := hex.DecodeString(got["pinBlock"].(string))
	if p, err := pin.DecryptBlock(aesBlock(aesKey), pin.ISO4, ob, pan); err != nil || !p.Equal(mustPIN(t, "1234")) {
		t.Fatalf("ISO0 to ISO4: %v deciphers to a %d-digit PIN, %v", got, p.Len(), err)
	}
	base := map[string]any{"incomingKey": "alias/aes-zpk", "outgoingKey": "alias/tdes-zpk",
		"incomingFormat": "ISO4", "outgoingFormat": "ISO0", "pan": pan, "pinBlock": inBlock}
	for _, tc := range []struct {
		name, field string
		body        map[string]any
	}{
		{"ISO4 block of 16H", "pinBlock", with(base, "pinBlock", inBlock[:16])},
		{"ISO4 with a TDES key", "incomingFormat", with(with(base, "incomingKey", "alias/tdes-zpk"), "outgoingKey", "alias/aes-zpk2")},
		{"AES key with ISO0 out", "outgoingFormat", with(base, "outgoingKey", "alias/aes-zpk2")},
		{"AES key with ISO0 in", "incomingFormat", with(with(base, "incomingFormat", "ISO0"), "pinBlock", inBlock[:16])},
		{"ISO2 is not a translate format", "incomingFormat", with(base, "incomingFormat", "ISO2")},
	} {
		r := e.post("/v1/pin/translate", tc.body)
		if code, field, _ := r.errorOf(t); r.status != 400 || code != CodeInvalidField || field != tc.field {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.status, r.body, tc.field)
		}
	}
	// /v1/pin/verify does not take ISO4 (its host commands have no format 48 yet).
	r := e.post("/v1/pin/verify", map[string]any{"key": "alias/aes-zpk", "format": "ISO4", "pan": pan, "pinBlock": inBlock,
		"method": map[string]any{"visaPvv": map[string]any{"pvk": "alias/aes-zpk", "pvki": 1, "pvv": "1234"}}})
	if _, field, _ := r.errorOf(t); r.status != 400 || field != "format" {
		t.Fatalf("verify with ISO4: %d %s", r.status, r.body)
	}
}

func mustPIN(t testing.TB, s string) pin.PIN {
	t.Helper()
	p, err := pin.ParsePIN(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// registryRecord is a variant-LMK record written straight into the
// registry, as before the scheme was kept.
func registryRecord(alias, typ, cryptogram string) registry.Record {
	return registry.Record{Alias: alias, KeyType: typ, Cryptogram: redact.String(cryptogram), KCV: "000000"}
}

// TestKeyBlockSecretsStayOut: key blocks (under the LMK, under a KEK,
// exported), clear keys, the PAN and PIN blocks of the key-block
// operations never reach the logs, the audit log, the metrics or an error
// body, whether the operation succeeds or fails.
func TestKeyBlockSecretsStayOut(t *testing.T) {
	e := newKBEnv(t)
	const (
		kbpk    = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6"
		aesKey  = "AF8CB133A78F8DC2D1359F18527593FB"
		tdesKey = "0123456789ABCDEFFEDCBA9876543210"
		pan     = "4111111111111111"
		inBlock = "A912150391AB65A67E52883D81CE2D15"
	)
	kek := lmkBlock(t, "K0", 'A', 'B', 'N', kbpk)
	aesKB := tr31Block(t, tr31.VersionD, kbpk, "P0", 'A', 'B', 'E', aesKey)
	tdesKB := tr31Block(t, tr31.VersionD, kbpk, "P0", 'T', 'B', 'E', tdesKey)
	var bodies []string
	post := func(path string, v any) map[string]any {
		r := e.post(path, v)
		if r.status >= 400 {
			bodies = append(bodies, string(r.body))
		}
		return r.json(t)
	}
	post("/v1/keys", importBody("aes", "ZPK", aesKB, kek))
	post("/v1/keys", importBody("tdes", "ZPK", tdesKB, kek))
	aesRec, _ := e.reg.Get("aes")
	exported, _ := post("/v1/keys/aes/export", map[string]any{"kek": kek})["keyBlock"].(string)
	out, _ := post("/v1/pin/translate", map[string]any{"incomingKey": "alias/aes", "outgoingKey": "alias/tdes",
		"incomingFormat": "ISO4", "outgoingFormat": "ISO0", "pan": pan, "pinBlock": inBlock})["pinBlock"].(string)
	// Failures: a damaged block, a wrong KEK, a refused export, a bad translate.
	post("/v1/keys", importBody("x", "ZPK", aesKB[:len(aesKB)-1]+"0", kek))
	post("/v1/keys", importBody("x", "ZPK", aesKB, lmkBlock(t, "K0", 'A', 'B', 'N', strings.Repeat("11", 32))))
	post("/v1/keys", importBody("x", "CVK", aesKB, kek))
	post("/v1/keys/aes/export", map[string]any{"kek": kek, "version": "B"})
	post("/v1/pin/translate", map[string]any{"incomingKey": "alias/aes", "outgoingKey": "alias/tdes",
		"incomingFormat": "ISO4", "outgoingFormat": "ISO0", "pan": pan, "pinBlock": inBlock[:30] + "0G"})
	if exported == "" || out == "" || len(bodies) < 5 {
		t.Fatalf("the operations did not run as planned: export %q, translate %q, %d errors", exported, out, len(bodies))
	}
	secrets := map[string]string{
		"KEK under the LMK": kek[17:60], "AES key block": aesKB[16:60], "TDES key block": tdesKB[16:60],
		"key under the LMK": aesRec.Cryptogram.Reveal()[17:60], "exported block": exported[16:60],
		"clear AES key": aesKey, "clear TDES key": tdesKey, "KBPK": kbpk[:32], "PAN": pan,
		"incoming PIN block": inBlock, "outgoing PIN block": out,
	}
	texts := map[string]string{"logs": e.logs.String(), "audit": e.audit.String(), "metrics": e.metrics(),
		"error bodies": strings.Join(bodies, "\n")}
	for where, text := range texts {
		for what, v := range secrets {
			if strings.Contains(strings.ToUpper(text), v) {
				t.Errorf("the %s carry the %s", where, what)
			}
		}
	}
	if !strings.Contains(texts["audit"], `"A6"`) || !strings.Contains(texts["audit"], `"A8"`) {
		t.Fatalf("the audit log does not record A6 and A8: %.300s", texts["audit"])
	}
}

// BenchmarkKeyBlockOperation measures REST operations on key blocks
// through the key-block-LMK simulator, with no logging, audit or metrics
// (as BenchmarkOperation): ISO4 to ISO0 and, for the ratio, ISO0 to ISO0
// between key-block ZPKs, and a TR-31 export. Keys are aliases.
func BenchmarkKeyBlockOperation(b *testing.B) {
	const (
		kbpk    = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6"
		tdesKey = "0123456789ABCDEFFEDCBA9876543210"
	)
	kek := lmkBlock(b, "K0", 'A', 'B', 'N', kbpk)
	tdesB, err := tdes.New(clearKey(b, tdesKey).Bytes())
	if err != nil {
		b.Fatal(err)
	}
	iso0, err := pin.EncryptBlock(nil, tdesB, pin.ISO0, mustPIN(b, "1234"), "111111111111", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"PINTranslateISO4", "/v1/pin/translate", map[string]any{"incomingKey": "alias/aes", "outgoingKey": "alias/tdes",
			"incomingFormat": "ISO4", "outgoingFormat": "ISO0", "pan": "4111111111111111", "pinBlock": "A912150391AB65A67E52883D81CE2D15"}},
		{"PINTranslateISO0", "/v1/pin/translate", map[string]any{"incomingKey": "alias/tdes", "outgoingKey": "alias/tdes",
			"incomingFormat": "ISO0", "outgoingFormat": "ISO0", "pan": "4111111111111111", "pinBlock": strings.ToUpper(hex.EncodeToString(iso0))}},
		{"ExportTR31", "/v1/keys/tdes/export", map[string]any{"kek": kek}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newKBEnv(b, func(c *Config) {
				c.Logger, c.Audit, c.Registerer, c.Metrics = slog.New(slog.DiscardHandler), nil, nil, nil
			})
			e.mustStatus(http.StatusCreated, "/v1/keys", importBody("aes", "ZPK",
				tr31Block(b, tr31.VersionD, kbpk, "P0", 'A', 'B', 'E', "AF8CB133A78F8DC2D1359F18527593FB"), kek))
			e.mustStatus(http.StatusCreated, "/v1/keys", importBody("tdes", "ZPK",
				tr31Block(b, tr31.VersionD, kbpk, "P0", 'T', 'B', 'E', tdesKey), kek))
			body := mustJSON(b, tc.body)
			run := func() {
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body)))
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			run()
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}

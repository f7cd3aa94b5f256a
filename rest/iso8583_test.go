package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/iso8583"
	"github.com/payhsm/payhsm-gw/pin"
)

// The end-to-end tests build authorisation messages with the iso8583
// package from public vectors and send them to POST /v1/iso8583/authorize
// over the in-process simulator:
//   - ICC data: PYEMV tests/test_cvn_hsm.py (knovichikhin/pyemv @ cf6b82d7),
//     the same vectors as testdata/vectors.json "cryptogram": IMK
//     0123456789ABCDEFFEDCBA9876543210, PAN 1234567890123456, PSN 00, ATC
//     001C; the ARPCs there give the expected tag 91.
//   - Track 2 CVV: psec cvv.py doc (knovichikhin/psec @ 90ccbf3a): CVK
//     0123456789ABCDEFFEDCBA9876543210, PAN 1234567890123456, expiry 9912,
//     service code 220, CVV 170.
//   - PIN: PIN 1234 in an ISO-0 block under the test ZPK, made with the pin
//     package; its PVV comes from pin.PVV (checked against public vectors in
//     pin/), so the HSM's EC is what is under test here.

const (
	e2eIMK    = "0123456789ABCDEFFEDCBA9876543210"
	e2eCVK    = "0123456789ABCDEFFEDCBA9876543210"
	e2eZPK    = "1334577913345779133457791334577A"
	e2eZPKOut = "0123456789ABCDEFFEDCBA9876543210"
	e2ePVK    = "FEDCBA98765432100123456789ABCDEF"
	e2ePAN    = "1234567890123456"
	e2ePIN    = "1234"
)

// e2eProfile is one scheme profile's ICC data and expected answer.
type e2eProfile struct {
	profile  string
	terminal map[uint32]string // tag -> value (hex)
	iad      string
	arqc     string
	arc, csu string
	want91   string
}

var visaTerminal = map[uint32]string{0x9F02: "000000004000", 0x9F03: "000000000000", 0x9F1A: "0124",
	0x95: "8000048000", 0x5F2A: "0124", 0x9A: "191105", 0x9C: "01", 0x9F37: "52BF4585", 0x82: "1800", 0x9F36: "001C"}

var mcTerminal = map[uint32]string{0x9F02: "000000009999", 0x9F03: "000000000000", 0x9F1A: "0124",
	0x95: "8000000000", 0x5F2A: "0124", 0x9A: "209906", 0x9C: "00", 0x9F37: "ABCDEF12", 0x82: "1800", 0x9F36: "001C"}

func e2eProfiles() []e2eProfile {
	return []e2eProfile{
		// Visa CVN 10: CVR 03A06010 in IAD bytes 4-7; ARPC method 1 with
		// ARC 3030 -> 28993816AFAE4AEB.
		{profile: "visa-cvn10", terminal: visaTerminal, iad: "06010A03A06010", arqc: "29CCA15AE665FA2E",
			arc: "3030", want91: "910A" + "28993816AFAE4AEB" + "3030"},
		// Visa CVN 18: the whole IAD; ARPC method 2 with CSU 00000000 -> 9AF514C1.
		{profile: "visa-cvn18", terminal: visaTerminal, iad: "06011203A0B800", arqc: "7A788EA6B8A3E733",
			csu: "00000000", want91: "9108" + "9AF514C1" + "00000000"},
		// Mastercard CVN 16: CVR A00003220000 in IAD bytes 3-8; UN ABCDEF12;
		// ARPC method 1 with ARC 0010 -> 73F6BBF389A6586C.
		{profile: "mc-cvn16", terminal: mcTerminal, iad: "0110A0000322000000000000000000000000", arqc: "24CCF3DEE3158C70",
			arc: "0010", want91: "910A" + "73F6BBF389A6586C" + "0010"},
	}
}

// iccData builds field 55: an unknown tag first (kept), the terminal tags
// in a different order than the cryptogram needs, PSN, IAD and ARQC.
func iccData(t testing.TB, p e2eProfile) []byte {
	t.Helper()
	var b []byte
	b = emv.AppendTLV(b, emv.TLV{Tag: 0xDF01, Value: []byte{1, 2, 3}})
	for _, tag := range []uint32{0x9F36, 0x82, 0x9F37, 0x9C, 0x9A, 0x5F2A, 0x95, 0x9F1A, 0x9F03, 0x9F02} {
		b = emv.AppendTLV(b, emv.TLV{Tag: tag, Value: mustHex(t, p.terminal[tag])})
	}
	b = emv.AppendTLV(b, emv.TLV{Tag: 0x5F34, Value: []byte{0x00}})
	b = emv.AppendTLV(b, emv.TLV{Tag: 0x9F10, Value: mustHex(t, p.iad)})
	b = emv.AppendTLV(b, emv.TLV{Tag: 0x9F26, Value: mustHex(t, p.arqc)})
	return b
}

// e2eMessage is a 0100 with PAN, track 2 (CVV 170 at position 5 of the
// discretionary data), PIN data and the ICC data.
func e2eMessage(t testing.TB, icc []byte) *iso8583.Message {
	t.Helper()
	zpk, _ := tdes.New(mustHex(t, e2eZPK))
	account, _ := pin.AccountFromPAN(e2ePAN)
	p, _ := pin.ParsePIN(e2ePIN)
	block, err := pin.EncryptBlock(nil, zpk, pin.ISO0, p, account, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := iso8583.NewMessage("0100")
	m.SetString(2, e2ePAN)
	m.SetString(3, "000000")
	m.SetString(4, "000000004000")
	m.SetString(11, "000042")
	m.SetString(22, "051")
	m.SetString(35, e2ePAN+"D9912220"+"00000"+"170"+"00")
	m.Set(52, block)
	if icc != nil {
		m.Set(55, icc)
	}
	return m
}

func pack(t testing.TB, m *iso8583.Message, spec string) []byte {
	t.Helper()
	s, _ := iso8583.Lookup(spec)
	b, err := m.Pack(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func e2ePVV(t testing.TB) string {
	t.Helper()
	pvk, _ := tdes.New(mustHex(t, e2ePVK))
	account, _ := pin.AccountFromPAN(e2ePAN)
	p, _ := pin.ParsePIN(e2ePIN)
	v, err := pin.PVV(pvk, account, 1, p)
	if err != nil {
		t.Fatal(err)
	}
	return string(v[:])
}

// TestISO8583AuthorizeProfiles: per scheme profile, a message built here
// gets verified true for PIN, ARQC and CVV and the published ARPC in tag 91,
// with either shipped spec; a changed ARQC is a 200 with verified false.
func TestISO8583AuthorizeProfiles(t *testing.T) {
	e := newEnv(t)
	pvv := e2ePVV(t)
	for _, p := range e2eProfiles() {
		for _, spec := range iso8583.Names() {
			t.Run(p.profile+"/"+spec, func(t *testing.T) {
				raw := pack(t, e2eMessage(t, iccData(t, p)), spec)
				crypt := map[string]any{"imk": wrap(t, "MK-AC", e2eIMK), "profile": p.profile}
				if p.arc != "" {
					crypt["arc"] = p.arc
				} else {
					crypt["csu"] = p.csu
				}
				req := map[string]any{
					"message": hex.EncodeToString(raw), "spec": spec,
					"pin": map[string]any{"key": wrap(t, "ZPK", e2eZPK), "format": "ISO0",
						"verify": map[string]any{"visaPvv": map[string]any{"pvk": wrap(t, "PVK", e2ePVK), "pvki": 1, "pvv": pvv}}},
					"cryptogram": crypt,
					"card":       map[string]any{"cvk": wrap(t, "CVK", e2eCVK), "kind": "cvv", "cvvPosition": 5},
				}
				if spec == iso8583.ISO87Binary {
					req["message"], req["messageEncoding"] = base64.StdEncoding.EncodeToString(raw), "base64"
				}
				got := e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", req)
				if got["mti"] != "0100" || got["responseIcc"] != p.want91 {
					t.Fatalf("answer %v, want tag 91 %s", got, p.want91)
				}
				for _, check := range []string{"pin", "cryptogram", "card"} {
					if c, _ := got[check].(map[string]any); c["verified"] != true {
						t.Fatalf("%s not verified: %v", check, got)
					}
				}
				// Tag 91 parses as one BER-TLV object.
				tlvs, err := emv.ParseTLV(mustHex(t, got["responseIcc"].(string)))
				if err != nil || len(tlvs) != 1 || tlvs[0].Tag != 0x91 {
					t.Fatalf("responseIcc: %v %v", tlvs, err)
				}

				// A changed ARQC and a wrong CVV are outcomes, not errors.
				bad := p
				bad.arqc = p.arqc[:15] + string("01"[boolInt(p.arqc[15] == '0')])
				m := e2eMessage(t, iccData(t, bad))
				m.SetString(35, e2ePAN+"D9912220"+"00000"+"171"+"00")
				req["message"] = hex.EncodeToString(pack(t, m, spec))
				delete(req, "messageEncoding")
				got = e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", req)
				if got["cryptogram"].(map[string]any)["verified"] != false || got["card"].(map[string]any)["verified"] != false ||
					got["pin"].(map[string]any)["verified"] != true || got["responseIcc"] != nil {
					t.Fatalf("with a wrong ARQC and CVV: %v", got)
				}
			})
		}
	}
}

// TestISO8583AuthorizeTranslate: an acquirer translates field 52 to the
// issuer's ZPK; the answer decrypts to the same PIN.
func TestISO8583AuthorizeTranslate(t *testing.T) {
	e := newEnv(t)
	raw := pack(t, e2eMessage(t, nil), iso8583.ISO87ASCII)
	got := e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", map[string]any{
		"message": strings.ToUpper(hex.EncodeToString(raw)), "spec": iso8583.ISO87ASCII,
		"pin": map[string]any{"key": wrap(t, "ZPK", e2eZPK), "format": "ISO0",
			"translate": map[string]any{"outgoingKey": wrap(t, "ZPK", e2eZPKOut), "outgoingFormat": "ISO0"}},
	})
	p := got["pin"].(map[string]any)
	out, _ := tdes.New(mustHex(t, e2eZPKOut))
	account, _ := pin.AccountFromPAN(e2ePAN)
	dec, err := pin.DecryptBlock(out, pin.ISO0, mustHex(t, p["pinBlock"].(string)), account)
	want, _ := pin.ParsePIN(e2ePIN)
	if err != nil || !dec.Equal(want) || p["pinLength"] != float64(4) || got["cryptogram"] != nil {
		t.Fatalf("translated block: %v %v", got, err)
	}
}

// TestISO8583AuthorizeICVV checks the chip card's iCVV (service code 999)
// with the CryptoCarver vector of testdata/vectors.json: PAN
// 4111111111111111, expiry 2512, iCVV 133.
func TestISO8583AuthorizeICVV(t *testing.T) {
	e := newEnv(t)
	m := iso8583.NewMessage("0100")
	m.SetString(35, "4111111111111111=2512201"+"133")
	got := e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", map[string]any{
		"message": hex.EncodeToString(pack(t, m, iso8583.ISO87ASCII)), "spec": iso8583.ISO87ASCII,
		"card": map[string]any{"cvk": wrap(t, "CVK", e2eCVK), "kind": "icvv", "cvvPosition": 0},
	})
	if got["card"].(map[string]any)["verified"] != true {
		t.Fatalf("iCVV: %v", got)
	}
	if strings.Contains(e.audit.String(), "4111111111111111") {
		t.Fatal("the audit log shows the PAN of the message")
	}
}

// TestISO8583AuthorizeErrors: malformed messages and requests are 400s
// naming the field, and never echo message data.
func TestISO8583AuthorizeErrors(t *testing.T) {
	e := newEnv(t)
	visa := e2eProfiles()[0]
	good := pack(t, e2eMessage(t, iccData(t, visa)), iso8583.ISO87ASCII)
	goodHex := hex.EncodeToString(good)
	noARQC := iccData(t, visa)
	noARQC = noARQC[:len(noARQC)-11] // drop 9F26 08 ...
	otherPAN := e2eMessage(t, nil)
	otherPAN.SetString(35, "4111111111111111D9912220"+"00000170")
	crypt := map[string]any{"imk": wrap(t, "MK-AC", e2eIMK), "profile": "visa-cvn10", "arc": "3030"}
	cases := []struct {
		name  string
		req   map[string]any
		field string
	}{
		{"unknown spec", map[string]any{"message": goodHex, "spec": "iso93"}, "spec"},
		{"not hex", map[string]any{"message": "0100ZZ", "spec": "iso87ascii", "cryptogram": crypt}, "message"},
		{"truncated", map[string]any{"message": goodHex[:len(goodHex)-20], "spec": "iso87ascii", "cryptogram": crypt}, "message.55"},
		{"bad bitmap", map[string]any{"message": hex.EncodeToString([]byte("0100XX00000000000000")), "spec": "iso87ascii", "cryptogram": crypt}, "message.bitmap"},
		{"trailing bytes", map[string]any{"message": goodHex + "00", "spec": "iso87ascii", "cryptogram": crypt}, "message"},
		{"no check asked", map[string]any{"message": goodHex, "spec": "iso87ascii"}, "pin"},
		{"DUKPT without translate", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"pin": map[string]any{"bdk": "alias/bdk1", "ksnField": 53, "format": "ISO0"}}, "pin.translate"},
		{"ARQC missing", map[string]any{"message": hex.EncodeToString(pack(t, e2eMessage(t, noARQC), iso8583.ISO87ASCII)),
			"spec": "iso87ascii", "cryptogram": crypt}, "message.55"},
		{"no field 55", map[string]any{"message": hex.EncodeToString(pack(t, e2eMessage(t, nil), iso8583.ISO87ASCII)),
			"spec": "iso87ascii", "cryptogram": crypt}, "message.55"},
		{"PAN differs", map[string]any{"message": hex.EncodeToString(pack(t, otherPAN, iso8583.ISO87ASCII)),
			"spec": "iso87ascii", "cryptogram": crypt}, "message.35"},
		{"ARC with a method 2 profile", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"cryptogram": map[string]any{"imk": wrap(t, "MK-AC", e2eIMK), "profile": "visa-cvn18", "arc": "3030"}}, "cryptogram.arc"},
		{"ARC missing", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"cryptogram": map[string]any{"imk": wrap(t, "MK-AC", e2eIMK), "profile": "visa-cvn10"}}, "cryptogram.arc"},
		{"IMK missing", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"cryptogram": map[string]any{"profile": "visa-cvn10", "arc": "3030"}}, "cryptogram.imk"},
		{"wrong key type", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"pin": map[string]any{"key": wrap(t, "ZPK", e2eZPK), "keyType": "PVK", "format": "ISO0",
				"verify": map[string]any{"visaPvv": map[string]any{"pvk": wrap(t, "PVK", e2ePVK), "pvki": 1, "pvv": "1234"}}}}, "pin.keyType"},
		{"PVV missing", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"pin": map[string]any{"key": wrap(t, "ZPK", e2eZPK), "format": "ISO0",
				"verify": map[string]any{"visaPvv": map[string]any{"pvk": wrap(t, "PVK", e2ePVK), "pvki": 1}}}}, "pin.verify.visaPvv.pvv"},
		{"both translate and verify", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"pin": map[string]any{"key": wrap(t, "ZPK", e2eZPK), "format": "ISO0",
				"translate": map[string]any{"outgoingKey": wrap(t, "ZPK", e2eZPKOut), "outgoingFormat": "ISO0"},
				"verify":    map[string]any{"visaPvv": map[string]any{"pvk": wrap(t, "PVK", e2ePVK), "pvki": 1, "pvv": "1234"}}}}, "pin"},
		{"CVV past the track", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"card": map[string]any{"cvk": wrap(t, "CVK", e2eCVK), "kind": "cvv", "cvvPosition": 9}}, "card.cvvPosition"},
		{"card kind", map[string]any{"message": goodHex, "spec": "iso87ascii",
			"card": map[string]any{"cvk": wrap(t, "CVK", e2eCVK), "kind": "cvv2", "cvvPosition": 5}}, "card.kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post("/v1/iso8583/authorize", c.req)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			_, field, _ := r.errorOf(t)
			if field != c.field {
				t.Fatalf("field %q, want %q: %s", field, c.field, r.body)
			}
			if strings.Contains(string(r.body), e2ePAN) || strings.Contains(string(r.body), "29CCA15A") {
				t.Fatalf("error echoes message data: %s", r.body)
			}
		})
	}
	if strings.Contains(e.audit.String(), e2ePAN) || strings.Contains(e.logs.String(), e2ePAN) {
		t.Fatal("a PAN of a message reached the audit or the log")
	}
}

// FuzzISO8583Authorize sends arbitrary messages, with valid keys for every
// check, through the real handler and the simulator: the answer is 200 or a
// 4xx JSON error naming a field, never a 5xx or a panic.
func FuzzISO8583Authorize(f *testing.F) {
	for _, p := range e2eProfiles() {
		for _, spec := range iso8583.Names() {
			f.Add(spec == iso8583.ISO87Binary, pack(f, e2eMessage(f, iccData(f, p)), spec))
		}
	}
	f.Add(false, []byte("0100"))
	f.Add(true, []byte{0x01, 0x00, 0x80})
	e := newEnv(f)
	keys := map[string]any{
		"pin": map[string]any{"key": wrap(f, "ZPK", e2eZPK), "format": "ISO0",
			"verify": map[string]any{"visaPvv": map[string]any{"pvk": wrap(f, "PVK", e2ePVK), "pvki": 1, "pvv": "1234"}}},
		"cryptogram": map[string]any{"imk": wrap(f, "MK-AC", e2eIMK), "profile": "visa-cvn10", "arc": "3030"},
		"card":       map[string]any{"cvk": wrap(f, "CVK", e2eCVK), "kind": "cvv", "cvvPosition": 5},
	}
	f.Fuzz(func(t *testing.T, binary bool, msg []byte) {
		spec := iso8583.ISO87ASCII
		if binary {
			spec = iso8583.ISO87Binary
		}
		req := map[string]any{"message": hex.EncodeToString(msg), "spec": spec}
		for k, v := range keys {
			req[k] = v
		}
		body, _ := json.Marshal(req)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/iso8583/authorize", bytes.NewReader(body)))
		r := response{status: rec.Code, body: rec.Body.Bytes()}
		switch {
		case r.status == http.StatusOK:
		case r.status >= 400 && r.status < 500:
			if code, field, _ := r.errorOf(t); code == "" || field == "" {
				t.Fatalf("4xx without a code and field: %s", r.body)
			}
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

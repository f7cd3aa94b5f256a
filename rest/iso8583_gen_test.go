package rest

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/iso8583"
	"github.com/payhsm/payhsm-gw/pin"
)

// TestISO8583AuthorizeGenerated is the endpoint's known-answer suite, in the
// manner of conformance/ (which drives host-command endpoints only, so
// these cases live here): from a fixed seed it makes random keys, cards,
// PINs and ICC data for every cryptogram profile and both shipped specs,
// computes the answers itself with packages pin, card and emv, packs the
// messages with iso8583, and checks that the endpoint verifies PIN, ARQC
// and CVV and answers the tag 91 computed here.
func TestISO8583AuthorizeGenerated(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(8583, 1987))
	n := 0
	for _, prof := range emv.Profiles() {
		for _, spec := range iso8583.Names() {
			for range 2 {
				n++
				c := genCase(t, rng, prof)
				t.Run(fmt.Sprintf("%d %s %s", n, prof.Name, spec), func(t *testing.T) {
					req := c.request(t, spec)
					got := e.mustStatus(http.StatusOK, "/v1/iso8583/authorize", req)
					for _, check := range []string{"pin", "cryptogram", "card"} {
						if r, _ := got[check].(map[string]any); r["verified"] != true {
							t.Fatalf("%s not verified", check)
						}
					}
					if got["responseIcc"] != c.want91 {
						t.Fatalf("tag 91: have %v, want %s", got["responseIcc"], c.want91)
					}
				})
			}
		}
	}
}

// genKey returns 16 random bytes with odd parity, in hex.
func genKey(rng *rand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rng.Uint32())
		if bits.OnesCount8(b[i])%2 == 0 {
			b[i] ^= 1
		}
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func genDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(rng.IntN(10))
	}
	return string(b)
}

func genBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

type genCaseT struct {
	prof                 emv.Profile
	imk, cvk, zpk, pvk   string
	pan, expiry, sc, pin string
	pvv, cvv             string
	icc                  []byte
	arc, csu, prop       []byte
	want91               string
}

func genCase(t *testing.T, rng *rand.Rand, prof emv.Profile) genCaseT {
	t.Helper()
	c := genCaseT{prof: prof, imk: genKey(rng), cvk: genKey(rng), zpk: genKey(rng), pvk: genKey(rng),
		pan: "4" + genDigits(rng, 15), expiry: fmt.Sprintf("%02d%02d", 26+rng.IntN(10), 1+rng.IntN(12)),
		sc: "201", pin: genDigits(rng, 4+rng.IntN(3))}
	psn := fmt.Sprintf("%02d", rng.IntN(10))
	atc, un := [2]byte(genBytes(rng, 2)), [4]byte(genBytes(rng, 4))

	// Terminal data (EMV 4.3 Book 2 Table 26) and the card's IAD.
	term := map[uint32][]byte{0x9F02: amount(rng), 0x9F03: amount(rng), 0x9F1A: {0x08, 0x26},
		0x95: genBytes(rng, 5), 0x5F2A: {0x09, 0x78}, 0x9A: {0x26, 0x12, 0x05}, 0x9C: {0x00},
		0x9F37: un[:], 0x82: {0x18, 0x00}, 0x9F36: atc[:]}
	var iad []byte
	switch {
	case prof.Brand == "visa":
		iad = append([]byte{0x06, 0x01, byte(prof.CVN)}, genBytes(rng, 4)...)
	default:
		iad = append([]byte{0x01, byte(prof.CVN)}, genBytes(rng, 16)...)
	}
	data, err := emv.Concat(tlvsOf(term), emv.ACTags()...)
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := cardDataOf(prof, iad)
	data = append(data, cd...)
	imk, _ := tdes.New(mustHex(t, c.imk))
	k, err := emv.DeriveKeys(imk, prof, c.pan, psn, atc, un)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Clear()
	arqc, err := k.AC(data)
	if err != nil {
		t.Fatal(err)
	}
	var v91 []byte
	if prof.ARPCMethod == 1 {
		c.arc = []byte{0x30, 0x30 + byte(rng.IntN(10))}
		a, _ := k.ARPC1(arqc, [2]byte(c.arc))
		v91 = append(a[:], c.arc...)
	} else {
		c.csu, c.prop = genBytes(rng, 4), genBytes(rng, rng.IntN(9))
		a, _ := k.ARPC2(arqc, [4]byte(c.csu), c.prop)
		v91 = append(append(a[:], c.csu...), c.prop...)
	}
	c.want91 = hexUpper(emv.AppendTLV(nil, emv.TLV{Tag: 0x91, Value: v91}))

	// Field 55 in a shuffled order with an unknown tag among them.
	tags := []uint32{0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37, 0x82, 0x9F36}
	rng.Shuffle(len(tags), func(i, j int) { tags[i], tags[j] = tags[j], tags[i] })
	icc := emv.AppendTLV(nil, emv.TLV{Tag: 0x9F26, Value: arqc[:]})
	for i, tag := range tags {
		icc = emv.AppendTLV(icc, emv.TLV{Tag: tag, Value: term[tag]})
		if i == 4 {
			icc = emv.AppendTLV(icc, emv.TLV{Tag: 0xDF8101, Value: genBytes(rng, 3)})
		}
	}
	icc = emv.AppendTLV(icc, emv.TLV{Tag: 0x9F10, Value: iad})
	icc = emv.AppendTLV(icc, emv.TLV{Tag: 0x5F34, Value: mustHex(t, psn)})
	c.icc = icc

	pvk, _ := tdes.New(mustHex(t, c.pvk))
	account, _ := pin.AccountFromPAN(c.pan)
	p, _ := pin.ParsePIN(c.pin)
	pvv, err := pin.PVV(pvk, account, 1, p)
	if err != nil {
		t.Fatal(err)
	}
	c.pvv = string(pvv[:])
	cvk, err := card.NewCVK(mustHex(t, c.cvk))
	if err != nil {
		t.Fatal(err)
	}
	if c.cvv, err = cvk.Generate(c.pan, c.expiry, c.sc); err != nil {
		t.Fatal(err)
	}
	return c
}

func amount(rng *rand.Rand) []byte {
	b, _ := hex.DecodeString(fmt.Sprintf("%012d", rng.IntN(1000000)))
	return b
}

func tlvsOf(m map[uint32][]byte) []emv.TLV {
	var out []emv.TLV
	for tag, v := range m {
		out = append(out, emv.TLV{Tag: tag, Value: v})
	}
	return out
}

// request packs the case's message with spec and builds the request.
func (c genCaseT) request(t *testing.T, spec string) map[string]any {
	zpk, _ := tdes.New(mustHex(t, c.zpk))
	account, _ := pin.AccountFromPAN(c.pan)
	p, _ := pin.ParsePIN(c.pin)
	block, err := pin.EncryptBlock(nil, zpk, pin.ISO0, p, account, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := iso8583.NewMessage("0200")
	m.SetString(2, c.pan)
	m.SetString(3, "000000")
	m.SetString(4, "000000001234")
	m.SetString(22, "051")
	// Discretionary data: PVKI, PVV, then the CVV at position 5.
	m.SetString(35, c.pan+"D"+c.expiry+c.sc+"1"+c.pvv+c.cvv+"000")
	m.Set(52, block)
	m.Set(55, c.icc)
	crypt := map[string]any{"imk": wrap(t, "MK-AC", c.imk), "profile": c.prof.Name}
	if c.prof.ARPCMethod == 1 {
		crypt["arc"] = hexUpper(c.arc)
	} else {
		crypt["csu"] = hexUpper(c.csu)
		if len(c.prop) > 0 {
			crypt["proprietaryData"] = hexUpper(c.prop)
		}
	}
	return map[string]any{
		"message": hex.EncodeToString(pack(t, m, spec)), "spec": spec,
		"pin": map[string]any{"key": wrap(t, "ZPK", c.zpk), "format": "ISO0",
			"verify": map[string]any{"visaPvv": map[string]any{"pvk": wrap(t, "PVK", c.pvk), "pvki": 1, "pvv": c.pvv}}},
		"cryptogram": crypt,
		"card":       map[string]any{"cvk": wrap(t, "CVK", c.cvk), "kind": "cvv", "cvvPosition": 5},
	}
}

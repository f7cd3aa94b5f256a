package conformance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pin"
)

// DefaultMix is the command mix of the load runner (docs/spec/cli.md).
const DefaultMix = "CA:30,KQ:30,CY:20,EC:20"

// MixEntry is one command of a load mix and its weight.
type MixEntry struct {
	Command string `json:"command"`
	Weight  int    `json:"weight"`
}

// Mix is a weighted command mix.
type Mix []MixEntry

// String returns the mix in the form ParseMix reads.
func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, e := range m {
		parts[i] = e.Command + ":" + strconv.Itoa(e.Weight)
	}
	return strings.Join(parts, ",")
}

// MixCommands lists the commands a load mix may use: valid commands whose
// exact answers the runner knows in advance (ours).
func MixCommands() []string {
	out := make([]string, 0, len(loadMakers))
	for c := range loadMakers {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// ParseMix parses "CMD:WEIGHT,CMD:WEIGHT..." (weights positive integers).
func ParseMix(s string) (Mix, error) {
	var m Mix
	for part := range strings.SplitSeq(s, ",") {
		cmd, w, ok := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n <= 0 || n > 1000000 {
			return nil, errors.New("conformance: mix: each entry must be CMD:WEIGHT with a positive weight")
		}
		cmd = strings.ToUpper(cmd)
		if _, ok := loadMakers[cmd]; !ok {
			return nil, fmt.Errorf("conformance: mix: command %q is not one of %s", cmd, strings.Join(MixCommands(), ", "))
		}
		if slices.ContainsFunc(m, func(e MixEntry) bool { return e.Command == cmd }) {
			return nil, fmt.Errorf("conformance: mix: command %q listed twice", cmd)
		}
		m = append(m, MixEntry{cmd, n})
	}
	return m, nil
}

// loadItem is a prebuilt request body and its exact expected answer.
type loadItem struct {
	cmd       string
	req, want []byte
}

// loadMakers make one valid request of a command with its exact answer.
var loadMakers = map[string]func(g *gen) loadItem{
	"CA": func(g *gen) loadItem {
		tpk, zpk := g.key(keys.TPK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
		_, acct, p, _ := g.card(4)
		return item(&hostcmd.CA{TPK: tpk.field, ZPK: zpk.field, MaxPINLen: 12, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: "01", Account: redact.String(acct)},
			&hostcmd.CB{PINLen: 4, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), DestinationFormat: "01"})
	},
	"CC": func(g *gen) loadItem {
		z1, z2 := g.key(keys.ZPK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
		_, acct, p, _ := g.card(4)
		return item(&hostcmd.CC{SourceZPK: z1.field, DestinationZPK: z2.field, MaxPINLen: 12, PINBlock: redact.String(g.block(z1, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: "01", Account: redact.String(acct)},
			&hostcmd.CD{PINLen: 4, PINBlock: redact.String(g.block(z2, pin.ISO0, p, acct)), DestinationFormat: "01"})
	},
	"EC": func(g *gen) loadItem {
		zpk, pvk := g.key(keys.ZPK, keys.SchemeU), g.key(keys.PVK, keys.SchemeU)
		_, acct, p, _ := g.card(4)
		v, err := pin.PVV(pvk.block, acct, 1, p)
		if err != nil {
			g.fail(err)
		}
		return item(&hostcmd.EC{ZPK: zpk.field, PVK: pvk.field, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), Format: "01",
			Account: redact.String(acct), PVKI: '1', PVV: redact.String(v[:])}, &hostcmd.ED{})
	},
	"DC": func(g *gen) loadItem {
		tpk, pvk := g.key(keys.TPK, keys.SchemeU), g.key(keys.PVK, keys.SchemeU)
		_, acct, p, _ := g.card(4)
		v, err := pin.PVV(pvk.block, acct, 1, p)
		if err != nil {
			g.fail(err)
		}
		return item(&hostcmd.DC{TPK: tpk.field, PVK: pvk.field, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)), Format: "01",
			Account: redact.String(acct), PVKI: '1', PVV: redact.String(v[:])}, &hostcmd.DD{})
	},
	"CY": func(g *gen) loadItem {
		cw, cx, cvk := g.cvv()
		return item(&hostcmd.CY{CVK: cvk, CVV: cx.CVV, PAN: cw.PAN, Expiry: cw.Expiry, ServiceCode: cw.ServiceCode}, &hostcmd.CZ{})
	},
	"CW": func(g *gen) loadItem {
		cw, cx, _ := g.cvv()
		return item(cw, cx)
	},
	"KQ": func(g *gen) loadItem {
		t := g.emvTxn(false, false)
		return item(&hostcmd.KQ{Mode: '1', Scheme: '0', MKAC: t.mk.field, PANPSN: t.y[:], ATC: t.atc, UN: t.un, Data: t.data, ARQC: t.arqc[:], ARC: [2]byte{'0', '0'}},
			&hostcmd.KR{ARPC: t.arpc[:]})
	},
	// G0: TDES DUKPT to ZPK, each request from its own BDK and a terminal
	// KSN advanced a random number of transactions (dukptcases.go), so a
	// run's requests carry distinct KSNs.
	"G0": func(g *gen) loadItem {
		bdk, zpk := g.key(keys.BDK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
		pan, acct, p, _ := g.card(4)
		ksn, block := g.dukptBlock(bdk, "A05", p, pan)
		return item(&hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "A05", KSN: ksn.String(), PINBlock: block,
			SourceFormat: "01", DestinationFormat: "01", Account: redact.String(acct)},
			&hostcmd.G1{PINLen: 4, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), DestinationFormat: "01"})
	},
	"B2": func(g *gen) loadItem {
		d := []byte("load " + g.digits(11))
		return item(&hostcmd.B2{Data: d}, &hostcmd.B3{Data: d})
	},
}

// cvv makes a CW request for a CVV under a CVK pair and its CX answer.
func (g *gen) cvv() (*hostcmd.CW, *hostcmd.CX, hostcmd.KeyField) {
	cvk := g.key(keys.CVK, keys.SchemeU)
	ck, err := card.NewCVK(cvk.clear)
	if err != nil {
		g.fail(err)
		return &hostcmd.CW{}, &hostcmd.CX{}, cvk.field
	}
	pan, exp := "4"+g.digits(15), fmt.Sprintf("%02d%02d", 26+g.rng.IntN(8), 1+g.rng.IntN(12))
	v, err := ck.Generate(pan, exp, "101")
	if err != nil {
		g.fail(err)
	}
	return &hostcmd.CW{CVK: cvk.field, PAN: redact.String(pan), Expiry: exp, ServiceCode: "101"}, &hostcmd.CX{CVV: redact.String(v)}, cvk.field
}

func item(req hostcmd.Request, want hostcmd.Response) loadItem {
	return loadItem{cmd: req.Code(), req: req.AppendBody(nil), want: want.AppendBody(nil)}
}

// loadItems builds n distinct requests of each command of m, from seed.
func loadItems(m Mix, n int, seed uint64) (map[string][]loadItem, error) {
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), lmk: keys.TestLMK()}
	out := make(map[string][]loadItem, len(m))
	for _, e := range m {
		for range n {
			out[e.Command] = append(out[e.Command], loadMakers[e.Command](g))
		}
	}
	if g.err != nil {
		return nil, fmt.Errorf("conformance: building load requests: %w", g.err)
	}
	return out, nil
}

package simulator

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// kbLMK is a key-block LMK with its key block protection key, derived once.
type kbLMK struct {
	lmk  *keys.KeyBlockLMK
	kbpk *tr31.KBPK
}

// NewKeyBlockHSM returns a command engine under the key-block LMK l
// (docs/spec/hostcmd-keyblocks.md §1): keys under the LMK are Thales key blocks
// (scheme S) of version 0 (TDES LMK) or 1 (AES LMK), and NC reports l's
// check value. Commands that have no key-block form answer A1.
func NewKeyBlockHSM(l *keys.KeyBlockLMK) (*HSM, error) {
	kbpk, err := tr31.FromLMK(l)
	if err != nil {
		return nil, err
	}
	cv := l.CheckValue()
	return &HSM{
		kb:    &kbLMK{lmk: l, kbpk: kbpk},
		check: hexUpper(cv[:]),
		cache: newKeyCache(defaultCacheSize),
	}, nil
}

// newHSMFor returns the command engine for a checked Config.
func newHSMFor(cfg Config) (*HSM, error) {
	if cfg.KeyBlockLMK != nil {
		return NewKeyBlockHSM(cfg.KeyBlockLMK)
	}
	return NewHSM(cfg.LMK), nil
}

// LMKKind names the kind of LMK the HSM holds, for logs: "variant",
// "key-block TDES" or "key-block AES".
func (h *HSM) LMKKind() string {
	switch {
	case h.kb == nil:
		return "variant"
	case h.kb.lmk.Algorithm() == 'A':
		return "key-block AES"
	}
	return "key-block TDES"
}

// kbCommands are the commands that work under a key-block LMK: those that
// touch no LMK, and those whose keys under the LMK go through h.key and so
// accept S blocks. The others (BU, BA, NG, and any command added
// to the table later) answer A1 under a key-block LMK (ours), so that no
// handler reaches the variant LMK it does not have.
var kbCommands = map[string]bool{
	"NC": true, "NO": true, "B2": true,
	"A0": true, "A6": true, "A8": true,
	"CA": true, "CC": true, "DC": true, "EC": true, "DA": true, "EA": true,
	"JE": true, "JG": true, // PIN under a key-block LMK: keys.KeyBlockLMK.EncryptPIN (ours)
	"CW": true, "CY": true, "KQ": true, "KW": true, "M6": true, "M8": true,
	"CI": true, "G0": true,
}

// variantRefused are the commands with no variant-LMK form here (ours: A6
// imports into a key-block LMK only; A8 has a variant form, to TR-31).
var variantRefused = map[string]bool{"A6": true}

// checkLMKKind answers A1 for a command that has no form under the kind of
// LMK the HSM holds.
func (h *HSM) checkLMKKind(code [2]byte) hostcmd.Code {
	if h.kb != nil && !kbCommands[string(code[:])] || h.kb == nil && variantRefused[string(code[:])] {
		return hostcmd.IncompatibleLMK
	}
	return ""
}

// role is what a key under the LMK is used for in a command: it decides
// the key usages, algorithms and modes of use a key block may carry there
// (docs/spec/hostcmd-keyblocks.md §4).
type role uint8

const (
	roleDefault   role = iota // from the key type
	roleTPK                   // CA source, DC, DA
	roleZPKSrc                // CC, EC, EA source
	roleZPKDst                // CA, CC destination
	rolePVKPVV                // DC, EC
	rolePVKIBM                // DA, EA
	roleCVKGen                // CW
	roleCVKVer                // CY
	roleMKAC                  // KQ, KW
	roleMACGen                // M6
	roleMACVer                // M8
	roleZMKExport             // A0 mode 1, A8
	roleZMKImport             // A6
	roleBDK                   // CI, G0
)

// roleSpec lists what a role accepts.
type roleSpec struct {
	usages []string
	algs   string
	modes  string
}

var roles = [...]roleSpec{
	roleTPK:       {[]string{"P0", "71"}, "TA", "BDN"},
	roleZPKSrc:    {[]string{"P0", "72"}, "TA", "BDN"},
	roleZPKDst:    {[]string{"P0", "72"}, "TA", "BEN"},
	rolePVKPVV:    {[]string{"V2"}, "T", "CVN"},
	rolePVKIBM:    {[]string{"V0", "V1"}, "T", "CVN"},
	roleCVKGen:    {[]string{"C0", "11", "12", "13"}, "T", "CGN"},
	roleCVKVer:    {[]string{"C0", "11", "12", "13"}, "T", "CVN"},
	roleMKAC:      {[]string{"E0"}, "T", "XN"},
	roleMACGen:    {[]string{"M0", "M1", "M2", "M3", "M4", "M5", "M6"}, "T", "CGN"},
	roleMACVer:    {[]string{"M0", "M1", "M2", "M3", "M4", "M5", "M6"}, "T", "CVN"},
	roleZMKExport: {[]string{"K0", "K1", "51", "52"}, "TA", "BEN"},
	roleZMKImport: {[]string{"K0", "K1", "52"}, "DTA", "BDN"},
	roleBDK:       {[]string{"B0", "41", "42", "43", "44"}, "TA", "XN"},
}

// defaultRole is the role of a key of type kt where the call site does
// not name one: TPK for 002 (the PVK call sites name theirs), ZPK as a
// source, CVK as verifier, MK-AC, ZMK to export under.
func defaultRole(kt keys.KeyType) role {
	switch kt {
	case keys.ZPK:
		return roleZPKSrc
	case keys.TPK:
		return roleTPK
	case keys.CVK:
		return roleCVKVer
	case keys.MKAC:
		return roleMKAC
	case keys.TAK, keys.ZAK:
		return roleMACVer
	case keys.ZMK:
		return roleZMKExport
	}
	return roleDefault
}

// kbError is a key-block condition with its HSM error code.
type kbError struct{ code hostcmd.Code }

func (e *kbError) Error() string { return "simulator: key block: error " + string(e.code) }

var errIncompatibleLMK = &kbError{hostcmd.IncompatibleLMK}

// kbCode returns the HSM error code of a keys/tr31 error, or "" if err is
// not one (docs/spec/hostcmd-keyblocks.md §3).
func kbCode(err error) hostcmd.Code {
	var ke *kbError
	switch {
	case errors.As(err, &ke):
		return ke.code
	case errors.Is(err, tr31.ErrRepeatedBlock):
		return hostcmd.RepeatedOptionalBlock
	case errors.Is(err, tr31.ErrHeader):
		return hostcmd.KeyBlockHeader
	case errors.Is(err, tr31.ErrMAC):
		return hostcmd.KeyBlockMAC
	case errors.Is(err, tr31.ErrLength):
		return hostcmd.KeyBlockLength
	case errors.Is(err, tr31.ErrVersion):
		return hostcmd.KeyBlockVersion
	case errors.Is(err, tr31.ErrKBPK):
		return hostcmd.KBPKMismatch
	case errors.Is(err, tr31.ErrKey):
		return hostcmd.KeyAlgorithmMismatch
	case errors.Is(err, tr31.ErrEncoding):
		return hostcmd.InvalidInput
	}
	return ""
}

// fits checks a header against a role: usage (A6), algorithm (A7), mode of
// use (A8), in that order.
func (rs *roleSpec) fits(hd *tr31.Header) error {
	ok := false
	for _, u := range rs.usages {
		ok = ok || u == hd.KeyUsage
	}
	switch {
	case !ok:
		return &kbError{hostcmd.KeyUsageNotAllowed}
	case !contains(rs.algs, hd.Algorithm):
		return &kbError{hostcmd.KeyAlgorithmMismatch}
	case !contains(rs.modes, hd.ModeOfUse):
		return &kbError{hostcmd.ModeOfUseNotAllowed}
	}
	return nil
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// blockKey opens the Thales key block of key field f under the key-block
// LMK and checks it against role ro: LMK identifier 00 (A3), then usage,
// algorithm and mode of use. A variant key field answers A1.
func (h *HSM) blockKey(ro role, f hostcmd.KeyField) (*clearKey, *tr31.Header, error) {
	if h.kb == nil || f.Scheme != hostcmd.SchemeS {
		return nil, nil, errIncompatibleLMK
	}
	hd, k, err := h.kb.kbpk.UnwrapThales(f.Hex)
	if err != nil {
		return nil, nil, err
	}
	if hd.LMKID != "00" {
		k.Destroy()
		return nil, nil, &kbError{hostcmd.KeyBlockLMKID}
	}
	if ro != roleDefault {
		if err := roles[ro].fits(&hd); err != nil {
			k.Destroy()
			return nil, nil, err
		}
	}
	var b cipher.Block
	switch hd.Algorithm {
	case 'A':
		b, err = aes.NewCipher(k.Bytes())
	case 'T', 'D':
		b, err = tdes.New(k.Bytes())
	default:
		err = &kbError{hostcmd.KeyAlgorithmMismatch}
	}
	if err != nil {
		k.Destroy()
		return nil, nil, &kbError{hostcmd.KeyAlgorithmMismatch}
	}
	return &clearKey{key: k, block: b, alg: hd.Algorithm}, &hd, nil
}

// keyAs is h.key with the role named: under a key-block LMK the block's
// header must fit ro.
func (h *HSM) keyAs(kt keys.KeyType, ro role, f hostcmd.KeyField) (*clearKey, error) {
	if h.kb == nil && f.Scheme != hostcmd.SchemeS && f.Scheme != hostcmd.SchemeR {
		return h.variantKey(kt, f)
	}
	if h.kb == nil {
		return nil, errIncompatibleLMK
	}
	ck := cacheKey{kt: kt, scheme: f.Scheme, hex: f.Hex, role: ro}
	if k := h.cache.get(ck); k != nil {
		return k, nil
	}
	k, _, err := h.blockKey(ro, f)
	if err != nil {
		return nil, err
	}
	h.cache.put(ck, k)
	return k, nil
}

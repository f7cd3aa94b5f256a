package simulator

import (
	"crypto/rand"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// kbAlgorithms maps the A0 "#" algorithm to the header's algorithm and the
// key length in bytes (hostcmd-keyblocks.md §5).
var kbAlgorithms = map[string]struct {
	alg byte
	n   int
}{
	"D1": {'D', 8}, "T2": {'T', 16}, "T3": {'T', 24},
	"A1": {'A', 16}, "A2": {'A', 24}, "A3": {'A', 32},
}

// a0KeyBlock answers A0 with key scheme (LMK) S: generate a key of the "#"
// attributes under the key-block LMK and, in mode 1, export it under the
// ZMK as a TR-31 or Thales block (hostcmd-keyblocks.md §6).
func (h *HSM) a0KeyBlock(dst []byte, r *hostcmd.A0) ([]byte, hostcmd.Code) {
	if h.kb == nil || r.KeyType != "FFF" {
		return dst, hostcmd.IncompatibleLMK
	}
	at := r.Options.Attributes
	spec, ok := kbAlgorithms[at.Algorithm]
	if !ok || spec.alg == 'A' && h.kb.lmk.Algorithm() != 'A' {
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	var zmk *clearKey
	if r.Mode == '1' {
		var err error
		if zmk, _, err = h.blockKey(roleZMKExport, r.ZMK); err != nil {
			return dst, keyCode(err, 1)
		}
		defer zmk.key.Destroy()
		if at.Exportability != 'E' && at.Exportability != 'S' {
			return dst, hostcmd.ExportNotAllowed
		}
	}
	k, err := newKey(spec.alg, spec.n)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	defer k.Destroy()
	hd := tr31.Header{
		Version: tr31.Version(h.kb.lmk.Version()), KeyUsage: at.Usage, Algorithm: spec.alg,
		ModeOfUse: at.ModeOfUse, KeyVersion: at.KeyVersion, Exportability: at.Exportability, LMKID: "00",
	}
	for _, b := range at.Blocks {
		hd.Blocks = append(hd.Blocks, tr31.Block{ID: b.ID, Data: b.Data})
	}
	under, err := h.kb.kbpk.WrapThales(hd, k, nil)
	if err != nil {
		return dst, kbOr15(err)
	}
	kcv, err := tr31.CheckValue(spec.alg, k)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	resp := hostcmd.A1{
		Status:      hostcmd.Status{Trailer: r.Trailer},
		KeyUnderLMK: hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: under},
		KCV:         hexUpper(kcv[:3]),
	}
	if zmk != nil {
		out, e := exportBlock(zmk, r.SchemeZMK, r.Options.Version, r.Options.Export, hd, k)
		if e != "" {
			return dst, e
		}
		resp.KeyUnderZMK = out
	}
	return resp.AppendBody(dst), ""
}

// newKey returns a random key of n bytes: odd parity for DES and Triple
// DES.
func newKey(alg byte, n int) (keys.ClearKey, error) {
	b := make([]byte, n)
	defer clear(b)
	if _, err := rand.Read(b); err != nil {
		return keys.ClearKey{}, err
	}
	if alg != 'A' {
		keys.AdjustParity(b)
	}
	return keys.NewClearKey(b)
}

// exportBlock wraps key k of header hd under zmk: scheme 'R' a TR-31 block
// of version v (default B under a TDES ZMK, D under an AES one) with the
// usage mapped to its TR-31 code, scheme 'S' a Thales block with LMK
// identifier FF; "&" N rewrites the exportability (hostcmd-keyblocks.md §6).
func exportBlock(zmk *clearKey, scheme, v byte, exp *hostcmd.KeyAttributes, hd tr31.Header, k keys.ClearKey) (hostcmd.KeyField, hostcmd.Code) {
	kbpk, err := tr31.NewKBPK(kbpkAlg(zmk), zmk.key)
	if err != nil {
		return hostcmd.KeyField{}, kbOr15(err)
	}
	out := hd
	out.Blocks = nil
	if exp != nil {
		out.Exportability = exp.Exportability
	}
	var blk string
	if scheme == 'R' {
		u, ok := tr31.TR31Usage(hd.KeyUsage)
		if !ok {
			return hostcmd.KeyField{}, hostcmd.KeyUsageNotAllowed
		}
		out.KeyUsage, out.LMKID, out.KeyContext, out.Reserved = u, "", '0', '0'
		out.Version = tr31.VersionB
		if kbpk.Algorithm() == 'A' {
			out.Version = tr31.VersionD
		}
		if v != 0 {
			out.Version = tr31.Version(v)
		}
		for _, b := range hd.Blocks {
			if b.ID[0] >= 'A' && b.ID[0] <= 'Z' { // Thales numeric blocks stay home
				out.Blocks = append(out.Blocks, b)
			}
		}
		blk, err = kbpk.Wrap(out, k, nil)
	} else {
		out.Version, out.LMKID = tr31.ThalesTDES, "FF"
		if kbpk.Algorithm() == 'A' {
			out.Version = tr31.ThalesAES
		}
		out.Blocks = hd.Blocks
		blk, err = kbpk.WrapThales(out, k, nil)
	}
	if err != nil {
		return hostcmd.KeyField{}, kbOr15(err)
	}
	return hostcmd.KeyField{Scheme: hostcmd.KeyScheme(scheme), Hex: blk}, ""
}

// kbpkAlg is the KBPK algorithm of a ZMK from a key block: 'A' for AES,
// else 'T' (a single-DES ZMK then fails as a KBPK: BB).
func kbpkAlg(k *clearKey) byte {
	if k.alg == 'A' {
		return 'A'
	}
	return 'T'
}

// kbOr15 returns the key-block code of err, or 15.
func kbOr15(err error) hostcmd.Code {
	if c := kbCode(err); c != "" {
		return c
	}
	return hostcmd.InvalidInput
}

// a6 answers A6: a key under a ZMK, as a TR-31 (R) or Thales (S) block,
// becomes an S block under the LMK (hostcmd-keyblocks.md §7).
func (h *HSM) a6(dst []byte, r *hostcmd.A6) ([]byte, hostcmd.Code) {
	if r.KeyType != "FFF" {
		return dst, hostcmd.IncompatibleLMK
	}
	zmk, _, err := h.blockKey(roleZMKImport, r.ZMK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	defer zmk.key.Destroy()
	if !r.Key.Scheme.IsKeyBlock() {
		return h.a6Variant(dst, r, zmk)
	}
	kbpk, err := tr31.NewKBPK(kbpkAlg(zmk), zmk.key)
	if err != nil {
		return dst, kbOr15(err)
	}
	var hd tr31.Header
	var k keys.ClearKey
	if r.Key.Scheme == hostcmd.SchemeR {
		hd, k, err = kbpk.Unwrap(r.Key.Hex)
	} else {
		hd, k, err = kbpk.UnwrapThales(r.Key.Hex)
	}
	if err != nil {
		return dst, kbOr15(err)
	}
	defer k.Destroy()
	if hd.Algorithm == 'A' && h.kb.lmk.Algorithm() != 'A' {
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	if hd.Algorithm != 'A' && hd.Algorithm != 'T' && hd.Algorithm != 'D' {
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	in := hd
	in.Version, in.LMKID, in.KeyContext, in.Reserved = tr31.Version(h.kb.lmk.Version()), "00", 0, 0
	in.Blocks = nil
	for _, b := range hd.Blocks {
		if b.ID != "PB" {
			in.Blocks = append(in.Blocks, b)
		}
	}
	if at := r.Options.Attributes; at != nil {
		in.KeyUsage = at.Usage
		for _, b := range at.Blocks {
			in.Blocks = append(in.Blocks, tr31.Block{ID: b.ID, Data: b.Data})
		}
	}
	return h.a7(dst, r.Trailer, in, k)
}

// a7 answers with k under the key-block LMK in a block with header hd,
// and its check value.
func (h *HSM) a7(dst []byte, trailer hostcmd.Trailer, hd tr31.Header, k keys.ClearKey) ([]byte, hostcmd.Code) {
	under, err := h.kb.kbpk.WrapThales(hd, k, nil)
	if err != nil {
		return dst, kbOr15(err)
	}
	kcv, err := tr31.CheckValue(hd.Algorithm, k)
	if err != nil {
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	resp := hostcmd.A7{
		Status:      hostcmd.Status{Trailer: trailer},
		KeyUnderLMK: hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: under},
		KCV:         hexUpper(kcv[:3]),
	}
	return resp.AppendBody(dst), ""
}

// a8 answers A8 under a key-block LMK: a key under the LMK leaves under the
// ZMK as a TR-31 (R) or Thales (S) block (hostcmd-keyblocks.md §8). Under
// a variant LMK see a8Variant.
func (h *HSM) a8(dst []byte, r *hostcmd.A8) ([]byte, hostcmd.Code) {
	if h.kb == nil {
		return h.a8Variant(dst, r)
	}
	if r.KeyType != "FFF" {
		return dst, hostcmd.IncompatibleLMK
	}
	zmk, _, err := h.blockKey(roleZMKExport, r.ZMK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	defer zmk.key.Destroy()
	k, hd, err := h.blockKey(roleDefault, r.Key)
	if err != nil {
		return dst, keyCode(err, 2)
	}
	defer k.key.Destroy()
	if hd.Exportability != 'E' && hd.Exportability != 'S' {
		return dst, hostcmd.ExportNotAllowed
	}
	out, e := exportBlock(zmk, r.SchemeZMK, r.Options.Version, r.Options.Export, *hd, k.key)
	if e != "" {
		return dst, e
	}
	kcv, err := tr31.CheckValue(hd.Algorithm, k.key)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	resp := hostcmd.A9{Status: hostcmd.Status{Trailer: r.Trailer}, KeyUnderZMK: out, KCV: hexUpper(kcv[:3])}
	return resp.AppendBody(dst), ""
}

// a6Variant imports a variant-style key under the ZMK (U, T, X, Y or bare
// 16H, encrypted as A0 mode 1 exports: importKey) into an S block whose
// header the "#" attributes give: algorithm D for 8 bytes, T for 16 or 24;
// exportability N or S (else AA); the key's parity must be odd (else 11)
// (hostcmd-keyblocks.md §5, §7; ours where marked there).
func (h *HSM) a6Variant(dst []byte, r *hostcmd.A6, zmk *clearKey) ([]byte, hostcmd.Code) {
	at := r.Options.Attributes
	if at == nil { // the parser requires it
		return dst, hostcmd.InvalidInput
	}
	if zmk.alg == 'A' || zmk.alg == 'D' {
		// The variant export method needs a double- or triple-length TDES ZMK.
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	if at.Exportability != 'N' && at.Exportability != 'S' {
		return dst, hostcmd.ExportNotAllowed
	}
	ct, err := r.Key.Ciphertext()
	if err != nil {
		return dst, hostcmd.InvalidInput
	}
	raw, ok := importKey(zmk.key.Bytes(), lmkScheme(r.Key.Scheme), ct)
	if !ok {
		return dst, hostcmd.KeyAlgorithmMismatch
	}
	defer clear(raw)
	if !keys.CheckParity(raw) {
		return dst, hostcmd.DestKeyParity
	}
	k, err := keys.NewClearKey(raw)
	if err != nil {
		return dst, hostcmd.InvalidInput
	}
	defer k.Destroy()
	alg := byte('T')
	if len(raw) == 8 {
		alg = 'D'
	}
	hd := tr31.Header{
		Version: tr31.Version(h.kb.lmk.Version()), KeyUsage: at.Usage, Algorithm: alg, ModeOfUse: at.ModeOfUse,
		KeyVersion: at.KeyVersion, Exportability: at.Exportability, LMKID: "00",
	}
	for _, b := range at.Blocks {
		hd.Blocks = append(hd.Blocks, tr31.Block{ID: b.ID, Data: b.Data})
	}
	return h.a7(dst, r.Trailer, hd, k)
}

// a8Variant answers A8 under a variant LMK: the variant key of the key
// type leaves under the variant ZMK (TMK with flag 1) as a TR-31 block of
// the "!" version (default B), its header from "&"; the KBPK is the clear
// ZMK, Triple DES, so version D answers BB; scheme S answers A1
// (hostcmd-keyblocks.md §8), and so does key type FFF or an S key.
func (h *HSM) a8Variant(dst []byte, r *hostcmd.A8) ([]byte, hostcmd.Code) {
	if r.KeyType == "FFF" || r.SchemeZMK != 'R' || r.ZMK.Scheme.IsKeyBlock() || r.Key.Scheme.IsKeyBlock() {
		return dst, hostcmd.IncompatibleLMK
	}
	kt, err := keys.ParseKeyType(r.KeyType)
	if err != nil {
		return dst, hostcmd.InvalidKeyTypeCode
	}
	at := r.Options.Export
	if at == nil { // the parser requires it
		return dst, hostcmd.InvalidInput
	}
	if at.Exportability != 'E' && at.Exportability != 'N' && at.Exportability != 'S' {
		return dst, hostcmd.ExportNotAllowed
	}
	zt := keys.ZMK
	if r.ZMKFlag == '1' {
		zt = keys.TMK
	}
	zmk, err := h.key(zt, r.ZMK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	k, err := h.key(kt, r.Key)
	if err != nil {
		return dst, keyCode(err, 2)
	}
	kbpk, err := tr31.NewKBPK('T', zmk.key)
	if err != nil {
		return dst, kbOr15(err)
	}
	hd := tr31.Header{
		Version: tr31.VersionB, KeyUsage: at.Usage, Algorithm: 'T', ModeOfUse: at.ModeOfUse,
		KeyVersion: at.KeyVersion, Exportability: at.Exportability, KeyContext: '0', Reserved: '0',
	}
	if r.Options.Version != 0 {
		hd.Version = tr31.Version(r.Options.Version)
	}
	if len(k.key.Bytes()) == 8 {
		hd.Algorithm = 'D'
	}
	for _, b := range at.Blocks {
		hd.Blocks = append(hd.Blocks, tr31.Block{ID: b.ID, Data: b.Data})
	}
	blk, err := kbpk.Wrap(hd, k.key, nil)
	if err != nil {
		return dst, kbOr15(err)
	}
	kcv, err := keys.CheckValue(k.key)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	resp := hostcmd.A9{
		Status:      hostcmd.Status{Trailer: r.Trailer},
		KeyUnderZMK: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk},
		KCV:         hexUpper(kcv[:3]),
	}
	return resp.AppendBody(dst), ""
}

// importKey decrypts cryptogram ct of scheme s under the ZMK zmk: the
// inverse of exportKey (keycmds.go), with the same per-part variants for U
// and T and plain ECB for X, Y and single keys.
func importKey(zmk []byte, s keys.Scheme, ct []byte) ([]byte, bool) {
	return underZMK(zmk, s, ct, true)
}

package rest

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys/tr31"
	"github.com/payhsm/payhsm-gw/registry"
)

// Key blocks in the REST API (rest.md "Key blocks"): POST /v1/keys imports
// a TR-31 block under a KEK with A6, POST /v1/keys/{alias}/export exports a
// registered key block as TR-31 with A8 (hostcmd-keyblocks.md §7, §8).
// Both need a gateway whose HSMs hold a key-block LMK; under a variant LMK
// the HSM answers A1, carried in the error as hsmError.

// tr31Import is the "tr31" member of a key import.
type tr31Import struct {
	KeyBlock redact.String `json:"keyBlock"`
	KEK      redact.String `json:"kek"`
}

// tr31Usages are the TR-31 key usages a block imported as each REST key
// type may carry (ANSI X9.143 table 6; the pairing with the key types is
// ours, after hostcmd-keyblocks.md §4).
var tr31Usages = map[string][]string{
	"ZPK":   {"P0"},
	"TPK":   {"P0"},
	"PVK":   {"V0", "V1", "V2"},
	"CVK":   {"C0"},
	"MK-AC": {"E0"},
	"TAK":   {"M0", "M1", "M2", "M3", "M4", "M5", "M6"},
	"ZAK":   {"M0", "M1", "M2", "M3", "M4", "M5", "M6"},
	"ZMK":   {"K0", "K1"},
	"BDK":   {"B0"},
}

// tr31Algorithms are the key algorithms each key type may have in a block:
// AES only where hostcmd-keyblocks.md §4 takes AES keys.
var tr31Algorithms = map[string]string{
	"ZPK": "TA", "TPK": "TA", "ZMK": "TA", "BDK": "TA",
	"PVK": "T", "CVK": "T", "MK-AC": "T", "TAK": "T", "ZAK": "T",
}

// checkTR31Block checks what the gateway can check of a TR-31 block without
// its KBPK: a version A to D, a header that parses, a declared length equal
// to the block's, an encrypted part of whole cipher blocks in hex, and a key
// usage and algorithm that fit keyType. The MAC is the HSM's to check.
func checkTR31Block(field, kb, keyType string) (tr31.Header, *apiError) {
	if kb == "" {
		return tr31.Header{}, missingField(field)
	}
	if v := tr31.Version(kb[0]); !v.TR31() {
		return tr31.Header{}, badField(field, "must be a TR-31 key block of version A, B, C or D")
	}
	h, n, declared, err := tr31.ParseHeader(kb)
	switch {
	case errors.Is(err, tr31.ErrLength):
		return h, badField(field, "has a length field that does not match the block")
	case err != nil:
		return h, badField(field, "has a malformed header")
	case declared != len(kb):
		return h, badField(field, "has a length field that does not match the block")
	}
	body := len(kb) - n - 2*h.Version.MACLen()
	if body <= 0 || body%(2*h.Version.BlockSize()) != 0 {
		return h, badField(field, "has an encrypted part that is not whole cipher blocks")
	}
	if !isHex(kb[n:]) {
		return h, badField(field, "has an encrypted part or MAC that is not hex")
	}
	if !contains(tr31Usages[keyType], h.KeyUsage) {
		return h, &apiError{status: http.StatusBadRequest, code: CodeKeyTypeMismatch, field: field,
			message: "key usage does not fit keyType (" + keyType + ": " + strings.Join(tr31Usages[keyType], ", ") + ")"}
	}
	if strings.IndexByte(tr31Algorithms[keyType], h.Algorithm) < 0 {
		return h, &apiError{status: http.StatusBadRequest, code: CodeKeyTypeMismatch, field: field,
			message: "key algorithm does not fit keyType"}
	}
	return h, nil
}

// kekRef is a resolved KEK: a ZMK as a Thales key block under the LMK.
type kekRef struct {
	key hostcmd.KeyField
	alg byte // header algorithm: 'A' AES, 'T' Triple DES
}

// resolveKEK resolves a KEK reference: "alias/NAME" of a registered ZMK
// that is a key block, or "S" + a Thales key block under the LMK.
func (s *server) resolveKEK(rc *reqCtx, field, ref string) (*kekRef, *apiError) {
	if ref == "" {
		return nil, missingField(field)
	}
	cryptogram := ref
	if name, ok := strings.CutPrefix(ref, AliasPrefix); ok {
		if !registry.ValidAlias(name) {
			return nil, badField(field, "is not a valid alias")
		}
		rec, err := s.reg.Get(name)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, notFound(field, "no key with this alias")
		}
		if err != nil {
			return nil, registryFailed(s, rc, err)
		}
		if rec.KeyType != "ZMK" {
			return nil, &apiError{status: http.StatusBadRequest, code: CodeKeyTypeMismatch, field: field,
				message: "the registered key's type is not ZMK"}
		}
		cryptogram = rec.Cryptogram.Reveal()
		if !strings.HasPrefix(cryptogram, "S") {
			return nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidKey, field: field,
				message: "the registered ZMK is not a key block under a key-block LMK"}
		}
	}
	k, ok := thalesBlockField(cryptogram)
	if !ok {
		return nil, badField(field, `must be "alias/NAME" or "S" + a Thales key block under the LMK`)
	}
	return &kekRef{key: k, alg: k.Hex[7]}, nil
}

// thalesBlockField parses v as exactly one "S" key field whose header
// parses and declares v's length.
func thalesBlockField(v string) (hostcmd.KeyField, bool) {
	if len(v) < 1+tr31.HeaderLen || v[0] != 'S' {
		return hostcmd.KeyField{}, false
	}
	k, n, code := hostcmd.ParseKeyField([]byte(v), hostcmd.KeyS)
	if code != hostcmd.OK || n != len(v) {
		return hostcmd.KeyField{}, false
	}
	h, _, declared, err := tr31.ParseHeader(k.Hex)
	if err != nil || !h.Version.Thales() || declared != len(k.Hex) {
		return hostcmd.KeyField{}, false
	}
	return k, true
}

// schemeOf is the registry scheme of a cryptogram under the LMK: its tag,
// or "" for a bare 16H key.
func schemeOf(cryptogram string) string {
	if cryptogram != "" && !isHex(cryptogram[:1]) {
		return cryptogram[:1]
	}
	return ""
}

// blockUsage returns the key usage in the header of an "S" cryptogram, ""
// for any other.
func blockUsage(cryptogram string) string {
	if !strings.HasPrefix(cryptogram, "S") {
		return ""
	}
	h, _, _, err := tr31.ParseHeader(cryptogram[1:])
	if err != nil {
		return ""
	}
	return h.KeyUsage
}

// Fields an A6 error code blames. The key-block codes of the block itself
// (MAC, length, header, version) blame the block; those of a key's role
// and of the KBPK blame the KEK (hostcmd-keyblocks.md §3). A MAC failure
// also answers a block wrapped under another KEK.
var importFields = hsmFields{
	hostcmd.KeyBlockMAC: "tr31.keyBlock", hostcmd.KeyBlockLength: "tr31.keyBlock",
	hostcmd.KeyBlockHeader: "tr31.keyBlock", hostcmd.KeyBlockVersion: "tr31.keyBlock",
	hostcmd.RepeatedOptionalBlock: "tr31.keyBlock", hostcmd.InvalidInput: "tr31.keyBlock",
	hostcmd.KeyAlgorithmMismatch: "tr31.keyBlock",
	hostcmd.IncompatibleLMK:      "tr31.kek", hostcmd.KeyBlockLMKID: "tr31.kek",
	hostcmd.KeyUsageNotAllowed: "tr31.kek", hostcmd.ModeOfUseNotAllowed: "tr31.kek",
	hostcmd.KBPKMismatch: "tr31.kek", hostcmd.SourceKeyParity: "tr31.kek",
}

// keyImport is POST /v1/keys with "tr31": A6 imports the block under the
// KEK; the key is registered as the HSM's S block with the HSM's KCV.
func (s *server) keyImport(rc *reqCtx, req *keyCreateRequest, alias string) (int, any, *apiError) {
	switch {
	case req.Generate:
		return 0, nil, badField("generate", "is not given with tr31")
	case req.Cryptogram != "":
		return 0, nil, badField("cryptogram", "is not given with tr31")
	}
	kb := req.TR31.KeyBlock.Reveal()
	if _, e := checkTR31Block("tr31.keyBlock", kb, req.KeyType); e != nil {
		return 0, nil, e
	}
	want, e := kcvField(req.KCV)
	if e != nil {
		return 0, nil, e
	}
	kek, e := s.resolveKEK(rc, "tr31.kek", req.TR31.KEK.Reveal())
	if e != nil {
		return 0, nil, e
	}
	if v := tr31.Version(kb[0]); v.KBPKAlgorithm() != kekAlgorithm(kek.alg) {
		return 0, nil, badField("tr31.keyBlock", "has a version that does not fit the kek's algorithm (D: AES; A, B, C: Triple DES)")
	}
	if e := s.aliasFree(rc, alias); e != nil {
		return 0, nil, e
	}
	a6 := &hostcmd.A6{KeyType: "FFF", ZMK: kek.key, Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: kb}, SchemeLMK: 'S'}
	r, err := s.do(rc, a6)
	if err == nil && r.ErrorCode() != hostcmd.OK {
		err = answerErr(a6, r)
	}
	if err != nil {
		return 0, nil, fromExecError(err, importFields)
	}
	a7, ok := r.(*hostcmd.A7)
	if !ok || a7.KeyUnderLMK.Scheme != hostcmd.SchemeS || len(a7.KCV) != 6 {
		return 0, nil, fromExecError(&protocolError{cmd: "A6"}, nil)
	}
	cryptogram := string(a7.KeyUnderLMK.AppendWire(nil))
	usage := blockUsage(cryptogram)
	if usage == "" {
		return 0, nil, fromExecError(&protocolError{cmd: "A6"}, nil)
	}
	if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(a7.KCV)) != 1 {
		return 0, nil, &apiError{status: http.StatusBadRequest, code: CodeKCVMismatch, field: "kcv",
			message: "the key's check value on the HSM differs from the one given"}
	}
	rec, err := s.reg.Create(registry.Record{Alias: alias, KeyType: req.KeyType,
		Cryptogram: redact.String(cryptogram), KCV: a7.KCV, Scheme: "S", Usage: usage})
	if errors.Is(err, registry.ErrExists) {
		return 0, nil, aliasExists()
	}
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	s.log.Info("rest: key imported", "requestId", rc.requestID, "alias", alias, "keyType", req.KeyType,
		"usage", usage, "client", rc.client)
	return http.StatusCreated, recordOf(rec), nil
}

// kekAlgorithm is the KBPK algorithm of a KEK's header algorithm: AES or
// Triple DES (a single-DES KEK fails at the HSM).
func kekAlgorithm(alg byte) byte {
	if alg == 'A' {
		return 'A'
	}
	return 'T'
}

type keyExportRequest struct {
	KEK     redact.String `json:"kek"`
	Version string        `json:"version"`
}

type keyExportResponse struct {
	Alias    string `json:"alias"`
	KeyBlock string `json:"keyBlock"`
	Version  string `json:"version"`
	KCV      string `json:"kcv"`
}

// Fields an A8 error code blames: the key (the path's alias) for what its
// header forbids, the version for a KBPK that does not fit it, the KEK
// for the rest.
var exportFields = hsmFields{
	hostcmd.ExportNotAllowed: "alias", hostcmd.KBPKMismatch: "version", hostcmd.KeyBlockVersion: "version",
	hostcmd.IncompatibleLMK: "kek", hostcmd.KeyBlockLMKID: "kek", hostcmd.KeyBlockMAC: "kek",
	hostcmd.KeyBlockLength: "kek", hostcmd.KeyBlockHeader: "kek", hostcmd.KeyUsageNotAllowed: "kek",
	hostcmd.KeyAlgorithmMismatch: "kek", hostcmd.ModeOfUseNotAllowed: "kek", hostcmd.SourceKeyParity: "kek",
}

// keyExport is POST /v1/keys/{alias}/export: A8 exports the registered key
// block as a TR-31 block under the KEK, of the version asked or by default
// B under a Triple DES KEK and D under an AES KEK.
func (s *server) keyExport(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req keyExportRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	if req.Version != "" {
		if e := oneOf("version", req.Version, "A", "B", "C", "D"); e != nil {
			return 0, nil, e
		}
	}
	alias := pathAlias(rc)
	rec, err := s.reg.Get(alias)
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil, notFound("alias", "no key with this alias")
	}
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	cryptogram := rec.Cryptogram.Reveal()
	key, ok := thalesBlockField(cryptogram)
	if !ok {
		return 0, nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidKey, field: "alias",
			message: "is not a key block under a key-block LMK; only those export as TR-31"}
	}
	if _, ok := tr31.TR31Usage(blockUsage(cryptogram)); !ok {
		return 0, nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidKey, field: "alias",
			message: "has a key usage that TR-31 cannot carry"}
	}
	kek, e := s.resolveKEK(rc, "kek", req.KEK.Reveal())
	if e != nil {
		return 0, nil, e
	}
	version := req.Version
	switch {
	case version == "" && kek.alg == 'A':
		version = "D"
	case version == "":
		version = "B"
	case tr31.Version(version[0]).KBPKAlgorithm() != kekAlgorithm(kek.alg):
		return 0, nil, badField("version", "does not fit the kek's algorithm (D: AES; A, B, C: Triple DES)")
	}
	a8 := &hostcmd.A8{KeyType: "FFF", ZMK: kek.key, Key: key, SchemeZMK: 'R',
		Options: hostcmd.KeyBlockOptions{Version: version[0]}}
	r, err := s.do(rc, a8)
	if err == nil && r.ErrorCode() != hostcmd.OK {
		err = answerErr(a8, r)
	}
	if err != nil {
		return 0, nil, fromExecError(err, exportFields)
	}
	a9, ok := r.(*hostcmd.A9)
	if !ok || a9.KeyUnderZMK.Scheme != hostcmd.SchemeR || len(a9.KCV) != 6 {
		return 0, nil, fromExecError(&protocolError{cmd: "A8"}, nil)
	}
	s.log.Info("rest: key exported", "requestId", rc.requestID, "alias", alias, "version", version, "client", rc.client)
	return http.StatusOK, keyExportResponse{Alias: AliasPrefix + alias, KeyBlock: a9.KeyUnderZMK.Hex,
		Version: version, KCV: a9.KCV}, nil
}

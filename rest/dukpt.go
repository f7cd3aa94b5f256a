package rest

import (
	"net/http"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// DUKPT PIN translation: POST /v1/pin/translate with "incomingKeyType":
// "BDK" and a "ksn" (rest.md). A 20-digit KSN is TDES DUKPT and goes to
// the HSM as CI, a 24-digit one AES DUKPT and goes as G0 with descriptor
// 018 (docs/spec/hostcmd-dukpt.md).

// ksnDescriptorFull is the descriptor sent with a 20-digit TDES KSN: the
// ANSI layout, 10-digit key set ID and 5-digit device ID with the counter,
// no F padding, so any 20-digit KSN fits it.
const ksnDescriptorFull = "A05"

// dukptTranslateParams is a checked DUKPT translation request.
type dukptTranslateParams struct {
	bdk, zpk  *keyRef
	ksn       string // 20H or 24H, upper case
	aes       bool
	block     string // 16H or 32H, upper case
	outFormat string // payShield code
	account   string // 12N (TDES)
	pan       string // the PAN (AES)
}

// isDUKPT reports whether a translate request is a DUKPT one: its incoming
// key type is BDK, or it has a KSN and names no type (an alias of a BDK).
func (r *pinTranslateRequest) isDUKPT() bool {
	return r.IncomingKeyType == "BDK" || (r.IncomingKeyType == "" && r.KSN != "")
}

// ksnField checks a KSN: 20 hex digits (TDES DUKPT) or 24 (AES DUKPT),
// with a counter a terminal may use. It reports whether the KSN is AES.
func ksnField(field, v string) (string, bool, *apiError) {
	if v == "" {
		return "", false, missingField(field)
	}
	if !isHex(v) || (len(v) != 20 && len(v) != 24) {
		return "", false, badField(field, "must be 20 hex digits (TDES DUKPT) or 24 (AES DUKPT)")
	}
	var err error
	if len(v) == 20 {
		_, err = dukpt.ParseKSN(v)
	} else {
		_, err = dukpt.ParseAESKSN(v)
	}
	if err != nil {
		return "", false, badField(field, "has a transaction counter that is zero or has too many bits set")
	}
	return strings.ToUpper(v), len(v) == 24, nil
}

// pinTranslateDUKPT is POST /v1/pin/translate from a BDK and KSN: CI (TDES
// DUKPT) or G0 (AES DUKPT) to a ZPK.
func (s *server) pinTranslateDUKPT(rc *reqCtx, req *pinTranslateRequest) (int, any, *apiError) {
	if req.IncomingKey == "" {
		return 0, nil, missingField("incomingKey")
	}
	if req.OutgoingKey == "" {
		return 0, nil, missingField("outgoingKey")
	}
	ksn, aes, e := ksnField("ksn", req.KSN)
	if e != nil {
		return 0, nil, e
	}
	p := dukptTranslateParams{ksn: ksn, aes: aes}
	inFormat, blockLen, ksnLen := dukptBlockForm(aes)
	if req.IncomingFormat != "" && req.IncomingFormat != inFormat {
		return 0, nil, badField("incomingFormat", "must be "+inFormat+" with a "+ksnLen+"-digit KSN")
	}
	if p.outFormat, e = pinFormatField("outgoingFormat", req.OutgoingFormat); e != nil {
		return 0, nil, e
	}
	if p.account, e = accountField("pan", req.PAN.Reveal()); e != nil {
		return 0, nil, e
	}
	p.pan = req.PAN.Reveal()
	if p.block, e = hexField("pinBlock", req.PINBlock.Reveal(), blockLen); e != nil {
		return 0, nil, e
	}
	if p.bdk, e = s.resolveBDK(rc, keySpec{field: "incomingKey", typeField: "incomingKeyType",
		typeName: req.IncomingKeyType}, req.IncomingKey.Reveal()); e != nil {
		return 0, nil, e
	}
	if p.zpk, e = s.resolveKey(rc, keySpec{field: "outgoingKey", allowed: []string{"ZPK"}}, req.OutgoingKey.Reveal()); e != nil {
		return 0, nil, e
	}
	res, err := s.translateDUKPT(rc, &p)
	if err != nil {
		return 0, nil, fromExecError(err, hsmFields{
			hostcmd.SourceKeyParity: "incomingKey", hostcmd.DestKeyParity: "outgoingKey",
			hostcmd.IncompatibleKeyLength: "incomingKey", hostcmd.InvalidPINBlock: "pinBlock",
			hostcmd.InvalidPINLength: "pinBlock", hostcmd.InvalidAccount: "pan",
			hostcmd.InvalidPINFormat: "outgoingFormat",
		})
	}
	return http.StatusOK, pinTranslateResponse{
		PINBlock: res.block, PINLength: res.pinLength, IncomingKCV: p.bdk.kcv, OutgoingKCV: p.zpk.kcv,
	}, nil
}

// resolveBDK resolves a BDK reference (type BDK only): an alias, or "U" +
// 32H inline; a single-length key, inline or registered, is refused.
func (s *server) resolveBDK(rc *reqCtx, spec keySpec, ref string) (*keyRef, *apiError) {
	if !strings.HasPrefix(ref, AliasPrefix) && len(ref) == 16 {
		return nil, badField(spec.field, `a BDK is "alias/NAME" or "U" + 32H under the LMK`)
	}
	spec.allowed = []string{"BDK"}
	k, e := s.resolveKey(rc, spec, ref)
	if e != nil {
		return nil, e
	}
	if len(k.cryptogram) == 16 {
		// A single-length key registered as a BDK: DUKPT needs 32H.
		return nil, badField(spec.field, "the registered BDK is single length; DUKPT needs a double-length BDK")
	}
	return k, nil
}

// bdkField is the host-command field of a resolved BDK: U+32H, or T+48H,
// which the HSM answers 27.
func bdkField(k *keyRef) hostcmd.KeyField {
	f, _, c := hostcmd.ParseKeyField([]byte(k.cryptogram), hostcmd.KeyU|hostcmd.KeyT)
	if c != hostcmd.OK {
		return hostcmd.KeyField{}
	}
	return f
}

// ksnDescriptor is the descriptor sent with a checked KSN.
func ksnDescriptor(aes bool) string {
	if aes {
		return "018"
	}
	return ksnDescriptorFull
}

// translateDUKPT runs CI (TDES DUKPT) or G0 with descriptor 018 (AES).
func (s *server) translateDUKPT(rc *reqCtx, p *dukptTranslateParams) (translateResult, error) {
	var req hostcmd.Request
	if p.aes {
		req = &hostcmd.G0{BDK: bdkField(p.bdk), ZPK: keyField(p.zpk.cryptogram), KSNDescriptor: ksnDescriptor(true), KSN: p.ksn,
			PINBlock: redact.String(p.block), SourceFormat: pin.ISO4.PayShieldCode(), DestinationFormat: p.outFormat,
			PAN: redact.String(p.pan)}
	} else {
		req = &hostcmd.CI{BDK: bdkField(p.bdk), ZPK: keyField(p.zpk.cryptogram), KSNDescriptor: ksnDescriptor(false), KSN: p.ksn,
			PINBlock: redact.String(p.block), DestinationFormat: p.outFormat, Account: redact.String(p.account)}
	}
	return s.doTranslate(rc, req)
}

// dukptBlockForm returns the PIN block format name and length a KSN takes:
// ISO 0 and 16H for TDES DUKPT, ISO 4 and 32H for AES DUKPT.
func dukptBlockForm(aes bool) (format string, blockLen int, ksnLen string) {
	if aes {
		return "ISO4", 32, "24"
	}
	return "ISO0", 16, "20"
}

// pinVerifyDUKPT is POST /v1/pin/verify with keyType BDK or a KSN: GQ
// (Visa PVV) or GO (IBM 3624 offset) (docs/spec/hostcmd-dukpt.md §§6-7). A
// KSN with no key type goes with the alias of a BDK.
func (s *server) pinVerifyDUKPT(rc *reqCtx, req *pinVerifyRequest) (int, any, *apiError) {
	if req.KeyType != "" && req.KeyType != "BDK" {
		return 0, nil, badField("ksn", "is given only with keyType BDK")
	}
	if req.Key == "" {
		return 0, nil, missingField("key")
	}
	ksn, aes, e := ksnField("ksn", req.KSN)
	if e != nil {
		return 0, nil, e
	}
	format, blockLen, ksnLen := dukptBlockForm(aes)
	if req.Format != "" && req.Format != format {
		return 0, nil, badField("format", "must be "+format+" with a "+ksnLen+"-digit KSN")
	}
	pan := req.PAN.Reveal()
	account, e := accountField("pan", pan)
	if e != nil {
		return 0, nil, e
	}
	block, e := hexField("pinBlock", req.PINBlock.Reveal(), blockLen)
	if e != nil {
		return 0, nil, e
	}
	p, pvkField, pvkRef, e := verifyMethod(req.Method)
	if e != nil {
		return 0, nil, e
	}
	bdk, e := s.resolveBDK(rc, keySpec{field: "key", typeField: "keyType", typeName: req.KeyType}, req.Key.Reveal())
	if e != nil {
		return 0, nil, e
	}
	pvk, e := s.resolveKey(rc, keySpec{field: pvkField, allowed: []string{"PVK"}}, pvkRef)
	if e != nil {
		return 0, nil, e
	}
	in := hostcmd.DUKPTPIN{BDK: bdkField(bdk), KSNDescriptor: ksnDescriptor(aes), KSN: ksn, PINBlock: redact.String(block)}
	acct, panField := redact.String(account), redact.String("")
	if aes {
		acct, panField = "", redact.String(pan)
	}
	var hreq hostcmd.Request
	if p.ibm {
		hreq = &hostcmd.GO{DUKPTPIN: in, PVK: keyField(pvk.cryptogram), CheckLen: p.checkLength, Account: acct, PAN: panField,
			DecimalisationTable: redact.String(p.decTable), ValidationData: redact.String(p.validationData), Offset: redact.String(p.offset)}
	} else {
		hreq = &hostcmd.GQ{DUKPTPIN: in, PVK: keyField(pvk.cryptogram), Account: acct, PAN: panField,
			PVKI: byte('0' + p.pvki), PVV: redact.String(p.pvv)}
	}
	ok, err := s.doVerify(rc, hreq)
	if err != nil {
		fields := verifyHSMFields(p.ibm, pvkField)
		fields[hostcmd.IncompatibleKeyLength] = "key"
		return 0, nil, fromExecError(err, fields)
	}
	return http.StatusOK, pinVerifyResponse{Verified: ok, KeyKCV: bdk.kcv, PVKKCV: pvk.kcv}, nil
}

// macVerifyDUKPT is POST /v1/mac/verify with keyType BDK, a KSN or a
// direction: GW (docs/spec/hostcmd-dukpt.md §8). The algorithm follows
// from the KSN: ISO 9797-1 algorithm 3 with padding method 1 for TDES
// DUKPT, AES-CMAC for AES DUKPT; "algorithm" and "padding" may be left out
// or name it.
func (s *server) macVerifyDUKPT(rc *reqCtx, req *macVerifyRequest) (int, any, *apiError) {
	if req.KeyType != "" && req.KeyType != "BDK" {
		if req.KSN != "" {
			return 0, nil, badField("ksn", "is given only with keyType BDK")
		}
		return 0, nil, badField("direction", "is given only with keyType BDK")
	}
	if req.Key == "" {
		return 0, nil, missingField("key")
	}
	ksn, aes, e := ksnField("ksn", req.KSN)
	if e != nil {
		return 0, nil, e
	}
	alg, pad, ksnLen := "ISO9797_ALG3", "ISO9797_M1", "20"
	if aes {
		alg, pad, ksnLen = "AES_CMAC", "", "24"
	}
	if req.Algorithm != "" && req.Algorithm != alg {
		return 0, nil, badField("algorithm", "must be "+alg+" (or left out) with a "+ksnLen+"-digit KSN")
	}
	if req.Padding != "" && req.Padding != pad {
		if pad == "" {
			return 0, nil, badField("padding", "is left out with AES_CMAC")
		}
		return 0, nil, badField("padding", "must be "+pad+" (or left out) with a "+ksnLen+"-digit KSN")
	}
	var macKey byte
	switch req.Direction {
	case "", "REQUEST":
		macKey = '0'
	case "RESPONSE":
		macKey = '1'
	default:
		return 0, nil, oneOf("direction", req.Direction, "REQUEST", "RESPONSE")
	}
	msg, e := hexBytesField("message", req.Message, 1, MaxMACMessage)
	if e != nil {
		return 0, nil, e
	}
	if req.Length == nil {
		return 0, nil, missingField("length")
	}
	if *req.Length != 4 && *req.Length != 8 {
		return 0, nil, badField("length", "must be 4 or 8 (bytes)")
	}
	mac, e := hexField("mac", req.MAC.Reveal(), 2**req.Length)
	if e != nil {
		return 0, nil, e
	}
	bdk, e := s.resolveBDK(rc, keySpec{field: "key", typeField: "keyType", typeName: req.KeyType}, req.Key.Reveal())
	if e != nil {
		return 0, nil, e
	}
	ok, err := s.doVerify(rc, &hostcmd.GW{BDK: bdkField(bdk), KSNDescriptor: ksnDescriptor(aes), KSN: ksn,
		MACKey: macKey, MACSize: macSize(*req.Length), Message: hostcmd.SecretBytes(decodeHex(msg)), MAC: redact.String(mac)})
	if err != nil {
		return 0, nil, fromExecError(err, hsmFields{
			hostcmd.SourceKeyParity: "key", hostcmd.IncompatibleKeyLength: "key", hostcmd.DataLengthError: "message",
		})
	}
	return http.StatusOK, macVerifyResponse{Verified: ok, KeyKCV: bdk.kcv}, nil
}

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
	inFormat, blockLen, ksnLen := "ISO0", 16, "20"
	if aes {
		inFormat, blockLen, ksnLen = "ISO4", 32, "24"
	}
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
	ref := req.IncomingKey.Reveal()
	if !strings.HasPrefix(ref, AliasPrefix) && len(ref) == 16 {
		return 0, nil, badField("incomingKey", `a BDK is "alias/NAME" or "U" + 32H under the LMK`)
	}
	if p.bdk, e = s.resolveKey(rc, keySpec{field: "incomingKey", typeField: "incomingKeyType",
		typeName: req.IncomingKeyType, allowed: []string{"BDK"}}, ref); e != nil {
		return 0, nil, e
	}
	if len(p.bdk.cryptogram) == 16 {
		// A single-length key registered as a BDK: DUKPT needs 32H.
		return 0, nil, badField("incomingKey", "the registered BDK is single length; DUKPT needs a double-length BDK")
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

// translateDUKPT runs CI (TDES DUKPT) or G0 with descriptor 018 (AES).
func (s *server) translateDUKPT(rc *reqCtx, p *dukptTranslateParams) (translateResult, error) {
	bdk := hostcmd.KeyField{}
	if k, _, c := hostcmd.ParseKeyField([]byte(p.bdk.cryptogram), hostcmd.KeyU|hostcmd.KeyT); c == hostcmd.OK {
		bdk = k
	}
	var req hostcmd.Request
	if p.aes {
		req = &hostcmd.G0{BDK: bdk, ZPK: keyField(p.zpk.cryptogram), KSNDescriptor: "018", KSN: p.ksn,
			PINBlock: redact.String(p.block), SourceFormat: pin.ISO4.PayShieldCode(), DestinationFormat: p.outFormat,
			PAN: redact.String(p.pan)}
	} else {
		req = &hostcmd.CI{BDK: bdk, ZPK: keyField(p.zpk.cryptogram), KSNDescriptor: ksnDescriptorFull, KSN: p.ksn,
			PINBlock: redact.String(p.block), DestinationFormat: p.outFormat, Account: redact.String(p.account)}
	}
	r, err := s.do(rc, req)
	if err != nil {
		return translateResult{}, err
	}
	if r.ErrorCode() != hostcmd.OK {
		return translateResult{}, answerErr(req, r)
	}
	switch a := r.(type) {
	case *hostcmd.CJ:
		return translateResult{block: a.PINBlock.Reveal(), pinLength: a.PINLen}, nil
	case *hostcmd.G1:
		return translateResult{block: a.PINBlock.Reveal(), pinLength: a.PINLen}, nil
	}
	return translateResult{}, &protocolError{cmd: req.Code()}
}

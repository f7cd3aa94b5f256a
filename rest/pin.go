package rest

import (
	"net/http"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/pin"
)

// pinFormats are the PIN block formats of the REST API (rest.md).
var pinFormats = []string{"ISO0", "ISO1", "ISO3", "IBM3624"}

// translateFormats are the PIN block formats of /v1/pin/translate with a
// ZPK or TPK: those of pinFormats and ISO4 (format 48 of CA/CC,
// hostcmd-keyblocks.md §9), which takes AES keys.
var translateFormats = append(pinFormats[:len(pinFormats):len(pinFormats)], "ISO4")

// pinFormatField checks a format name and returns its payShield code.
func pinFormatField(field, v string) (string, *apiError) {
	return formatFieldOf(field, v, pinFormats)
}

// formatFieldOf checks a format name against allowed and returns its
// payShield code.
func formatFieldOf(field, v string, allowed []string) (string, *apiError) {
	if e := oneOf(field, v, allowed...); e != nil {
		return "", e
	}
	f, err := pin.ParseFormat(v)
	if err != nil {
		return "", badField(field, "is not a PIN block format")
	}
	return f.PayShieldCode(), nil
}

// accountField returns the payShield account field of a PAN: its 12
// right-most digits before the check digit.
func accountField(field, pan string) (string, *apiError) {
	if e := digitsField(field, pan, 13, 19); e != nil {
		return "", e
	}
	a, err := pin.AccountFromPAN(pan)
	if err != nil {
		return "", badField(field, "must be 13 to 19 digits")
	}
	return a, nil
}

type pinTranslateRequest struct {
	IncomingKey     redact.String `json:"incomingKey"`
	IncomingKeyType string        `json:"incomingKeyType"`
	OutgoingKey     redact.String `json:"outgoingKey"`
	IncomingFormat  string        `json:"incomingFormat"`
	OutgoingFormat  string        `json:"outgoingFormat"`
	PAN             redact.String `json:"pan"`
	PINBlock        redact.String `json:"pinBlock"`
	KSN             string        `json:"ksn"` // with incomingKeyType BDK only (dukpt.go)
}

// pinRequest is a request body with a PAN, which the audit record keeps
// (masked).
type pinRequest interface{ auditPAN() redact.String }

func (r *pinTranslateRequest) auditPAN() redact.String { return r.PAN }

// decodePINRequest decodes body into req (decodeRequest) and records its
// PAN for the audit record.
func decodePINRequest(rc *reqCtx, body []byte, req pinRequest) *apiError {
	if e := decodeRequest(body, req); e != nil {
		return e
	}
	rc.pan = req.auditPAN().Reveal()
	return nil
}

type pinTranslateResponse struct {
	PINBlock    string `json:"pinBlock"`
	PINLength   int    `json:"pinLength"`
	IncomingKCV string `json:"incomingKcv"`
	OutgoingKCV string `json:"outgoingKcv"`
}

// pinTranslate is POST /v1/pin/translate: CC (ZPK to ZPK), CA (TPK to
// ZPK), or from a BDK and KSN CI or G0 (pinTranslateDUKPT).
func (s *server) pinTranslate(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req pinTranslateRequest
	if e := decodePINRequest(rc, body, &req); e != nil {
		return 0, nil, e
	}
	if req.isDUKPT() {
		return s.pinTranslateDUKPT(rc, &req)
	}
	if req.KSN != "" {
		return 0, nil, badField("ksn", "is given only with incomingKeyType BDK")
	}
	if req.IncomingKey == "" {
		return 0, nil, missingField("incomingKey")
	}
	if req.OutgoingKey == "" {
		return 0, nil, missingField("outgoingKey")
	}
	inFmt, e := formatFieldOf("incomingFormat", req.IncomingFormat, translateFormats)
	if e != nil {
		return 0, nil, e
	}
	outFmt, e := formatFieldOf("outgoingFormat", req.OutgoingFormat, translateFormats)
	if e != nil {
		return 0, nil, e
	}
	iso4 := inFmt == hostcmd.FormatISO4 || outFmt == hostcmd.FormatISO4
	account, e := accountField("pan", req.PAN.Reveal())
	if e != nil {
		return 0, nil, e
	}
	if iso4 {
		// Format 48 on either side: CA/CC carry the whole PAN.
		account = req.PAN.Reveal()
	}
	blockLen := 16
	if inFmt == hostcmd.FormatISO4 {
		blockLen = 32
	}
	block, e := hexField("pinBlock", req.PINBlock.Reveal(), blockLen)
	if e != nil {
		return 0, nil, e
	}
	in, e := s.resolveKey(rc, keySpec{field: "incomingKey", typeField: "incomingKeyType",
		typeName: req.IncomingKeyType, allowed: []string{"ZPK", "TPK"}}, req.IncomingKey.Reveal())
	if e != nil {
		return 0, nil, e
	}
	out, e := s.resolveKey(rc, keySpec{field: "outgoingKey", allowed: []string{"ZPK"}}, req.OutgoingKey.Reveal())
	if e != nil {
		return 0, nil, e
	}
	if e := formatFitsKey("incomingFormat", inFmt, "incomingKey", in); e != nil {
		return 0, nil, e
	}
	if e := formatFitsKey("outgoingFormat", outFmt, "outgoingKey", out); e != nil {
		return 0, nil, e
	}
	res, err := s.translatePIN(rc, translateParams{
		in: in, out: out, block: block, inFormat: inFmt, outFormat: outFmt, account: account,
	})
	if err != nil {
		return 0, nil, fromExecError(err, hsmFields{
			hostcmd.SourceKeyParity: "incomingKey", hostcmd.DestKeyParity: "outgoingKey",
			hostcmd.InvalidPINBlock: "pinBlock", hostcmd.InvalidPINLength: "pinBlock",
			hostcmd.InvalidAccount: "pan", hostcmd.InvalidPINFormat: "incomingFormat",
		})
	}
	return http.StatusOK, pinTranslateResponse{
		PINBlock: res.block, PINLength: res.pinLength, IncomingKCV: in.kcv, OutgoingKCV: out.kcv,
	}, nil
}

// formatFitsKey checks that a PIN block format fits its key: ISO4 blocks
// are under AES keys and AES keys protect only ISO4 blocks (the HSM would
// answer 27; hostcmd-keyblocks.md §9).
func formatFitsKey(field, format, keyField string, k *keyRef) *apiError {
	aes := k.aes()
	switch {
	case format == hostcmd.FormatISO4 && !aes:
		return badField(field, "is ISO4, which needs an AES "+keyField)
	case format != hostcmd.FormatISO4 && aes:
		return badField(field, "must be ISO4 with an AES "+keyField)
	}
	return nil
}

type pinVerifyRequest struct {
	Key      redact.String   `json:"key"`
	KeyType  string          `json:"keyType"`
	Format   string          `json:"format"`
	PAN      redact.String   `json:"pan"`
	PINBlock redact.String   `json:"pinBlock"`
	Method   pinVerifyMethod `json:"method"`
	KSN      string          `json:"ksn"` // with keyType BDK only (dukpt.go)
}

// pinVerifyMethod is a one-of: exactly one member is set.
type pinVerifyMethod struct {
	VisaPVV *visaPVVMethod `json:"visaPvv"`
	IBM3624 *ibm3624Method `json:"ibm3624"`
}

type visaPVVMethod struct {
	PVK  redact.String `json:"pvk"`
	PVKI *int          `json:"pvki"`
	PVV  redact.String `json:"pvv"`
}

type ibm3624Method struct {
	PVK                 redact.String `json:"pvk"`
	DecimalizationTable redact.String `json:"decimalizationTable"`
	ValidationData      redact.String `json:"validationData"`
	Offset              redact.String `json:"offset"`
	CheckLength         *int          `json:"checkLength"`
}

type pinVerifyResponse struct {
	Verified bool   `json:"verified"`
	KeyKCV   string `json:"keyKcv"`
	PVKKCV   string `json:"pvkKcv"`
}

// pinVerify is POST /v1/pin/verify: EC/DC (Visa PVV) or EA/DA (IBM 3624
// offset), with a ZPK or a TPK; from a BDK and KSN GQ or GO
// (pinVerifyDUKPT).
func (s *server) pinVerify(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req pinVerifyRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	rc.pan = req.PAN.Reveal()
	if req.KeyType == "BDK" || req.KSN != "" {
		return s.pinVerifyDUKPT(rc, &req)
	}
	if req.Key == "" {
		return 0, nil, missingField("key")
	}
	format, e := pinFormatField("format", req.Format)
	if e != nil {
		return 0, nil, e
	}
	account, e := accountField("pan", req.PAN.Reveal())
	if e != nil {
		return 0, nil, e
	}
	block, e := hexField("pinBlock", req.PINBlock.Reveal(), 16)
	if e != nil {
		return 0, nil, e
	}
	p, pvkField, pvkRef, e := verifyMethod(req.Method)
	if e != nil {
		return 0, nil, e
	}
	p.block, p.format, p.account = block, format, account
	key, e := s.resolveKey(rc, keySpec{field: "key", typeField: "keyType", typeName: req.KeyType,
		allowed: []string{"ZPK", "TPK"}}, req.Key.Reveal())
	if e != nil {
		return 0, nil, e
	}
	pvk, e := s.resolveKey(rc, keySpec{field: pvkField, allowed: []string{"PVK"}}, pvkRef)
	if e != nil {
		return 0, nil, e
	}
	p.key, p.pvk = key, pvk
	ok, err := s.verifyPIN(rc, p)
	if err != nil {
		fields := verifyHSMFields(p.ibm, pvkField)
		fields[hostcmd.InvalidPINFormat] = "format"
		return 0, nil, fromExecError(err, fields)
	}
	return http.StatusOK, pinVerifyResponse{Verified: ok, KeyKCV: key.kcv, PVKKCV: pvk.kcv}, nil
}

// verifyMethod checks the one-of method of a PIN verification and returns
// its parameters, the PVK's field name and its reference.
func verifyMethod(m pinVerifyMethod) (p pinVerifyParams, pvkField, pvkRef string, e *apiError) {
	if (m.VisaPVV == nil) == (m.IBM3624 == nil) {
		return p, "", "", badField("method", "must have exactly one of visaPvv, ibm3624")
	}
	if v := m.VisaPVV; v != nil {
		pvkField, pvkRef = "method.visaPvv.pvk", v.PVK.Reveal()
		if pvkRef == "" {
			return p, "", "", missingField(pvkField)
		}
		if v.PVKI == nil {
			return p, "", "", missingField("method.visaPvv.pvki")
		}
		if *v.PVKI < 0 || *v.PVKI > 9 {
			return p, "", "", badField("method.visaPvv.pvki", "must be 0 to 9")
		}
		if e := digitsField("method.visaPvv.pvv", v.PVV.Reveal(), 4, 4); e != nil {
			return p, "", "", e
		}
		p.pvki, p.pvv = *v.PVKI, v.PVV.Reveal()
		return p, pvkField, pvkRef, nil
	}
	v := m.IBM3624
	pvkField, pvkRef = "method.ibm3624.pvk", v.PVK.Reveal()
	if pvkRef == "" {
		return p, "", "", missingField(pvkField)
	}
	if e := digitsField("method.ibm3624.decimalizationTable", v.DecimalizationTable.Reveal(), 16, 16); e != nil {
		return p, "", "", e
	}
	vd := v.ValidationData.Reveal()
	if e := validationDataField("method.ibm3624.validationData", vd); e != nil {
		return p, "", "", e
	}
	if v.CheckLength == nil {
		return p, "", "", missingField("method.ibm3624.checkLength")
	}
	if *v.CheckLength < 4 || *v.CheckLength > 12 {
		return p, "", "", badField("method.ibm3624.checkLength", "must be 4 to 12")
	}
	off := v.Offset.Reveal()
	if e := digitsField("method.ibm3624.offset", off, *v.CheckLength, *v.CheckLength); e != nil {
		if e.code == CodeInvalidField {
			e.message = "must be checkLength digits"
		}
		return p, "", "", e
	}
	p.ibm = true
	p.decTable, p.validationData = v.DecimalizationTable.Reveal(), upperHexN(vd)
	p.offset, _ = pin.PadOffset(off)
	p.checkLength = *v.CheckLength
	return p, pvkField, pvkRef, nil
}

// verifyHSMFields names the request field behind each HSM code of a PIN
// verification: the PIN key is "key", the PVK pvkField.
func verifyHSMFields(ibm bool, pvkField string) hsmFields {
	fields := hsmFields{
		hostcmd.SourceKeyParity: "key", hostcmd.DestKeyParity: pvkField,
		hostcmd.InvalidPINBlock: "pinBlock", hostcmd.InvalidPINLength: "pinBlock",
		hostcmd.InvalidAccount: "pan",
	}
	if ibm {
		fields[hostcmd.DecimalizationError] = "method.ibm3624.decimalizationTable"
	}
	return fields
}

// validationDataField checks IBM 3624 PIN validation data in the payShield
// form: 12 characters, hex digits and exactly one 'N' marking where the
// last 5 account digits go (hostcmd.md §4, DA; pin.ExpandValidationData).
func validationDataField(field, v string) *apiError {
	if v == "" {
		return missingField(field)
	}
	ns := 0
	for i := 0; i < len(v); i++ {
		if v[i] == 'N' {
			ns++
		}
	}
	if len(v) != 12 || ns != 1 || !isHex(stringsReplaceN(v)) {
		return badField(field, "must be 12 characters: hex digits and one N")
	}
	return nil
}

func stringsReplaceN(v string) string {
	b := []byte(v)
	for i := range b {
		if b[i] == 'N' {
			b[i] = '0'
		}
	}
	return string(b)
}

// upperHexN upper-cases hex letters, keeping 'N'.
func upperHexN(v string) string {
	b := []byte(v)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

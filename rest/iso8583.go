package rest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/iso8583"
)

// POST /v1/iso8583/authorize: one call does an authorisation's
// cryptography. The gateway unpacks the ISO 8583 message and runs, for
// each section of the request, the check the message's field calls for:
// pin (field 52: CC/CA translate or EC/DC/EA/DA verify), cryptogram (field
// 55: KQ/KW ARQC verify and ARPC) and card (field 35: CY for CVV or iCVV).
// Each check goes through the operation that serves it on its own
// (pinTranslate, pinVerify, cryptogramVerify, cardVerify), so validation,
// key resolution, host commands, audit and errors are the same; only the
// names of the fields an error blames are mapped to this request's.

type iso8583Request struct {
	Message         redact.String      `json:"message"`
	MessageEncoding string             `json:"messageEncoding"`
	Spec            string             `json:"spec"`
	PIN             *iso8583PIN        `json:"pin"`
	Cryptogram      *iso8583Cryptogram `json:"cryptogram"`
	Card            *iso8583Card       `json:"card"`
}

// iso8583PIN names the keys for field 52: the incoming PIN key and exactly
// one of translate and verify, or a BDK with the field that carries the
// KSN and translate (a DUKPT terminal's PIN, CI or G0 on the pool).
type iso8583PIN struct {
	Key       redact.String     `json:"key"`
	KeyType   string            `json:"keyType"`
	BDK       redact.String     `json:"bdk"`
	KSNField  *int              `json:"ksnField"`
	Format    string            `json:"format"`
	Translate *iso8583Translate `json:"translate"`
	Verify    *pinVerifyMethod  `json:"verify"`
}

type iso8583Translate struct {
	OutgoingKey    redact.String `json:"outgoingKey"`
	OutgoingFormat string        `json:"outgoingFormat"`
}

// iso8583Cryptogram names the issuer master key and the profile for field
// 55, and the ARPC's input: arc (method 1) or csu and proprietaryData
// (method 2), as the profile's ARPC method says.
type iso8583Cryptogram struct {
	IMK             redact.String `json:"imk"`
	Profile         string        `json:"profile"`
	ARC             string        `json:"arc"`
	CSU             string        `json:"csu"`
	ProprietaryData string        `json:"proprietaryData"`
}

// iso8583Card names the CVK for field 35 and where the 3-digit value sits
// in the track's discretionary data (issuer-specific; ours to ask).
type iso8583Card struct {
	CVK         redact.String `json:"cvk"`
	Kind        string        `json:"kind"`
	CVVPosition *int          `json:"cvvPosition"`
}

type iso8583Response struct {
	MTI         string `json:"mti"`
	PIN         any    `json:"pin,omitempty"`
	Cryptogram  any    `json:"cryptogram,omitempty"`
	Card        any    `json:"card,omitempty"`
	ResponseICC string `json:"responseIcc,omitempty"`
}

// maxISO8583Message bounds the decoded message (ours: ISO 8583 messages
// with three bitmaps and every LLL field full stay below it).
const maxISO8583Message = 16 << 10

// iso8583Authorize is POST /v1/iso8583/authorize.
func (s *server) iso8583Authorize(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req iso8583Request
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	if e := oneOf("spec", req.Spec, iso8583.Names()...); e != nil {
		return 0, nil, e
	}
	spec, _ := iso8583.Lookup(req.Spec)
	raw, e := messageBytes(req.Message.Reveal(), req.MessageEncoding)
	if e != nil {
		return 0, nil, e
	}
	defer clear(raw) // the message holds the PAN, track data and PIN block
	m, err := iso8583.Unpack(spec, raw)
	if err != nil {
		return 0, nil, messageError(err)
	}
	if req.PIN == nil && req.Cryptogram == nil && req.Card == nil {
		return 0, nil, missingField("pin")
	}
	c, e := cardOf(m)
	if e != nil {
		return 0, nil, e
	}
	rc.pan = c.pan
	resp := iso8583Response{MTI: m.MTI}
	if p := req.PIN; p != nil {
		if resp.PIN, e = s.iso8583PINCheck(rc, m, c, p); e != nil {
			return 0, nil, e
		}
	}
	if p := req.Cryptogram; p != nil {
		if resp.Cryptogram, resp.ResponseICC, e = s.iso8583Cryptogram(rc, m, c, p); e != nil {
			return 0, nil, e
		}
	}
	if p := req.Card; p != nil {
		if resp.Card, e = s.iso8583Card(rc, c, p); e != nil {
			return 0, nil, e
		}
	}
	return http.StatusOK, resp, nil
}

// messageBytes decodes the message as hex (the default) or standard base64.
func messageBytes(v, enc string) ([]byte, *apiError) {
	if v == "" {
		return nil, missingField("message")
	}
	var b []byte
	var err error
	switch enc {
	case "", "hex":
		b, err = hex.DecodeString(v)
	case "base64":
		b, err = base64.StdEncoding.DecodeString(v)
	default:
		return nil, badField("messageEncoding", "must be one of hex, base64")
	}
	if err != nil {
		if enc == "base64" {
			return nil, badField("message", "is not base64")
		}
		return nil, badField("message", "is not hex")
	}
	if len(b) > maxISO8583Message {
		return nil, badField("message", "is over "+strconv.Itoa(maxISO8583Message)+" bytes")
	}
	return b, nil
}

// messageField is the request field name of ISO 8583 field n.
func messageField(n int) string {
	switch n {
	case -1:
		return "message"
	case 0:
		return "message.mti"
	case 1:
		return "message.bitmap"
	}
	return "message." + strconv.Itoa(n)
}

// messageError turns an unpack error into a 400 naming the field; its
// text ("field 52: length 7, want 8") carries no message data.
func messageError(err error) *apiError {
	var fe *iso8583.FieldError
	if !errors.As(err, &fe) {
		return badField("message", "is not a message of this spec")
	}
	return badField(messageField(fe.Field), fe.Error())
}

// cardData is what the message says about the card.
type cardData struct {
	pan, panField string // the PAN and the field it came from
	track         *iso8583.Track2
	expiry        string
}

// cardOf takes the PAN from field 2, else from the track 2 data of field
// 35; when both are given they must agree. The expiry comes from track 2,
// else from field 14.
func cardOf(m *iso8583.Message) (cardData, *apiError) {
	var c cardData
	if v, ok := m.Field(35); ok {
		t, err := iso8583.ParseTrack2(v)
		if err != nil {
			return c, badField("message.35", "field 35: "+err.Error())
		}
		c.track, c.expiry = &t, t.Expiry
	}
	if v, ok := m.Field(2); ok {
		c.pan, c.panField = string(v), "message.2"
		if c.track != nil && c.track.PAN != c.pan {
			return c, badField("message.35", "field 35: the PAN differs from field 2")
		}
	} else if c.track != nil {
		c.pan, c.panField = c.track.PAN, "message.35"
	}
	if c.expiry == "" {
		c.expiry = m.FieldString(14)
	}
	return c, nil
}

// delegate runs another operation's handler on a request built here and
// maps the fields its errors blame to this request's names: names found
// in names, else prefix + name.
func delegate(rc *reqCtx, h opHandler, req map[string]any, names map[string]string, prefix string) (any, *apiError) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error"}
	}
	_, resp, e := h(rc, body)
	clear(body) // it held the PAN, the PIN block and key references
	if e != nil {
		if e.field != "" {
			if n, ok := names[e.field]; ok {
				e.field = n
			} else {
				e.field = prefix + e.field
			}
		}
		return nil, e
	}
	return resp, nil
}

// pinBlockField returns the PIN block of field 52 for the pin check, which
// also needs the card's PAN: an error names field 52 or field 2 otherwise.
func pinBlockField(m *iso8583.Message, c cardData) ([]byte, *apiError) {
	block, ok := m.Field(52)
	if !ok {
		return nil, badField("message.52", "field 52 is absent; the pin check needs it")
	}
	if len(block) != 8 {
		return nil, badField("message.52", "field 52: must be an 8-byte PIN block")
	}
	if c.pan == "" {
		return nil, badField("message.2", "field 2 and field 35 are absent; the pin check needs the PAN")
	}
	return block, nil
}

func (s *server) iso8583PINCheck(rc *reqCtx, m *iso8583.Message, c cardData, p *iso8583PIN) (any, *apiError) {
	if p.BDK != "" || p.KSNField != nil {
		return s.iso8583DUKPT(rc, m, c, p)
	}
	block, e := pinBlockField(m, c)
	if e != nil {
		return nil, e
	}
	if (p.Translate == nil) == (p.Verify == nil) {
		return nil, badField("pin", "must have exactly one of translate, verify")
	}
	names := map[string]string{"pan": c.panField, "pinBlock": "message.52"}
	req := map[string]any{"pan": c.pan, "pinBlock": strings.ToUpper(hex.EncodeToString(block))}
	if t := p.Translate; t != nil {
		req["incomingKey"], req["incomingFormat"] = p.Key.Reveal(), p.Format
		req["outgoingKey"], req["outgoingFormat"] = t.OutgoingKey.Reveal(), t.OutgoingFormat
		if p.KeyType != "" {
			req["incomingKeyType"] = p.KeyType
		}
		names["incomingKey"], names["incomingKeyType"], names["incomingFormat"] = "pin.key", "pin.keyType", "pin.format"
		names["outgoingKey"], names["outgoingFormat"] = "pin.translate.outgoingKey", "pin.translate.outgoingFormat"
		return delegate(rc, s.pinTranslate, req, names, "pin.")
	}
	req["key"], req["format"] = p.Key.Reveal(), p.Format
	if p.KeyType != "" {
		req["keyType"] = p.KeyType
	}
	method := map[string]any{}
	if v := p.Verify.VisaPVV; v != nil {
		pvv := map[string]any{"pvk": v.PVK.Reveal(), "pvv": v.PVV.Reveal()}
		if v.PVKI != nil {
			pvv["pvki"] = *v.PVKI
		}
		method["visaPvv"] = pvv
	}
	if v := p.Verify.IBM3624; v != nil {
		ibm := map[string]any{"pvk": v.PVK.Reveal(), "decimalizationTable": v.DecimalizationTable.Reveal(),
			"validationData": v.ValidationData.Reveal(), "offset": v.Offset.Reveal()}
		if v.CheckLength != nil {
			ibm["checkLength"] = *v.CheckLength
		}
		method["ibm3624"] = ibm
	}
	req["method"] = method
	names["key"], names["keyType"], names["format"], names["method"] = "pin.key", "pin.keyType", "pin.format", "pin.verify"
	resp, e := delegate(rc, s.pinVerify, req, names, "")
	if e != nil && strings.HasPrefix(e.field, "method.") {
		e.field = "pin.verify." + strings.TrimPrefix(e.field, "method.")
	}
	return resp, e
}

// iccValue returns the value of a tag of field 55 that must occur once
// with the given length (0: any).
func iccValue(tlvs []emv.TLV, tag uint32, n int) ([]byte, *apiError) {
	v, err := emv.Concat(tlvs, tag)
	if err != nil {
		return nil, badField("message.55", "field 55: "+strings.TrimPrefix(err.Error(), "emv: tlv: "))
	}
	if n > 0 && len(v) != n {
		return nil, badField("message.55", "field 55: tag "+strconv.FormatUint(uint64(tag), 16)+" must be "+strconv.Itoa(n)+" bytes")
	}
	return v, nil
}

// cardDataOf returns what the profile's card appends to the terminal data,
// taken from the issuer application data 9F10 (emv.Profile.CardData): Visa
// CVN 10 the CVR in IAD bytes 4-7, Visa CVN 18/22 the whole IAD,
// Mastercard the CVR in IAD bytes 3-8 and, for CVN 17/21, the counters in
// IAD bytes 11-18 (ours: the M/Chip IAD layout; no public source here
// confirms the counters' place).
func cardDataOf(p emv.Profile, iad []byte) ([]byte, bool) {
	switch {
	case p.Brand == "visa" && p.CVN == 10:
		if len(iad) < 7 {
			return nil, false
		}
		return iad[3:7], true
	case p.Brand == "visa":
		return iad, true
	case p.CVN == 17 || p.CVN == 21:
		if len(iad) < 18 {
			return nil, false
		}
		return append(append([]byte(nil), iad[2:8]...), iad[10:18]...), true
	default:
		if len(iad) < 8 {
			return nil, false
		}
		return iad[2:8], true
	}
}

func (s *server) iso8583Cryptogram(rc *reqCtx, m *iso8583.Message, c cardData, p *iso8583Cryptogram) (any, string, *apiError) {
	icc, ok := m.Field(55)
	if !ok {
		return nil, "", badField("message.55", "field 55 is absent; the cryptogram check needs it")
	}
	if c.pan == "" {
		return nil, "", badField("message.2", "field 2 and field 35 are absent; the cryptogram check needs the PAN")
	}
	if e := oneOf("cryptogram.profile", p.Profile, cryptogramProfiles...); e != nil {
		return nil, "", e
	}
	prof, _ := emv.LookupProfile(p.Profile)
	tlvs, err := emv.ParseTLV(icc)
	if err != nil {
		return nil, "", badField("message.55", "field 55: "+err.Error())
	}
	arqc, e := iccValue(tlvs, 0x9F26, 8)
	if e != nil {
		return nil, "", e
	}
	atc, e := iccValue(tlvs, 0x9F36, 2)
	if e != nil {
		return nil, "", e
	}
	iad, e := iccValue(tlvs, 0x9F10, 0)
	if e != nil {
		return nil, "", e
	}
	data, err := emv.Concat(tlvs, emv.ACTags()...)
	if err != nil {
		return nil, "", badField("message.55", "field 55: "+strings.TrimPrefix(err.Error(), "emv: tlv: "))
	}
	cd, ok := cardDataOf(prof, iad)
	if !ok {
		return nil, "", badField("message.55", "field 55: tag 9F10 is too short for this profile")
	}
	data = append(data, cd...)
	psn, e := psnOf(m, tlvs)
	if e != nil {
		return nil, "", e
	}
	req := map[string]any{"imk": p.IMK.Reveal(), "pan": c.pan, "psn": psn, "atc": hexUpper(atc),
		"transactionData": hexUpper(data), "arqc": hexUpper(arqc), "profile": p.Profile}
	if prof.Session == emv.SessionMastercard {
		un, e := iccValue(tlvs, 0x9F37, 4)
		if e != nil {
			return nil, "", e
		}
		req["un"] = hexUpper(un)
	}
	arpc := map[string]any{"method": prof.ARPCMethod}
	if prof.ARPCMethod == 1 {
		if p.CSU != "" || p.ProprietaryData != "" {
			return nil, "", badField("cryptogram.csu", "is only given with profiles of ARPC method 2")
		}
		arpc["arc"] = p.ARC
	} else {
		if p.ARC != "" {
			return nil, "", badField("cryptogram.arc", "is only given with profiles of ARPC method 1")
		}
		arpc["csu"] = p.CSU
		if p.ProprietaryData != "" {
			arpc["proprietaryData"] = p.ProprietaryData
		}
	}
	req["arpc"] = arpc
	names := map[string]string{"imk": "cryptogram.imk", "profile": "cryptogram.profile", "pan": c.panField,
		"psn": "message.55", "atc": "message.55", "arqc": "message.55", "un": "message.55",
		"transactionData": "message.55", "arpc.arc": "cryptogram.arc", "arpc.csu": "cryptogram.csu",
		"arpc.proprietaryData": "cryptogram.proprietaryData", "arpc.method": "cryptogram.profile"}
	resp, e := delegate(rc, s.cryptogramVerify, req, names, "cryptogram.")
	if e != nil {
		return nil, "", e
	}
	r := resp.(cryptogramVerifyResponse)
	if !r.Verified {
		return r, "", nil
	}
	// Tag 91, issuer authentication data: ARPC || ARC (method 1) or
	// ARPC || CSU [|| proprietary data] (method 2), EMV 4.3 Book 2 §8.2.
	v := decodeHex(r.ARPC)
	if prof.ARPCMethod == 1 {
		v = append(v, decodeHex(strings.ToUpper(p.ARC))...)
	} else {
		v = append(append(v, decodeHex(strings.ToUpper(p.CSU))...), decodeHex(strings.ToUpper(p.ProprietaryData))...)
	}
	return r, hexUpper(emv.AppendTLV(nil, emv.TLV{Tag: 0x91, Value: v})), nil
}

// psnOf returns the PAN sequence number: tag 5F34 of field 55 (one BCD
// byte), else the last two digits of field 23, else "00".
func psnOf(m *iso8583.Message, tlvs []emv.TLV) (string, *apiError) {
	if t, ok := emv.Find(tlvs, 0x5F34); ok {
		h := hexUpper(t.Value)
		if len(h) != 2 || !isDigits(h) {
			return "", badField("message.55", "field 55: tag 5F34 must be one BCD byte")
		}
		return h, nil
	}
	if v := m.FieldString(23); len(v) >= 2 {
		return v[len(v)-2:], nil
	}
	return "00", nil
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func (s *server) iso8583Card(rc *reqCtx, c cardData, p *iso8583Card) (any, *apiError) {
	if c.track == nil {
		return nil, badField("message.35", "field 35 is absent; the card check needs track 2 data")
	}
	if e := oneOf("card.kind", p.Kind, "cvv", "icvv"); e != nil {
		return nil, e
	}
	if p.CVVPosition == nil {
		return nil, missingField("card.cvvPosition")
	}
	d := c.track.Discretionary
	pos := *p.CVVPosition
	if pos < 0 || pos+3 > len(d) {
		return nil, badField("card.cvvPosition", "is past the track's discretionary data")
	}
	req := map[string]any{"cvk": p.CVK.Reveal(), "pan": c.pan, "expiry": c.expiry, "kind": p.Kind,
		"value": d[pos : pos+3]}
	if p.Kind == "cvv" {
		req["serviceCode"] = c.track.ServiceCode
	}
	names := map[string]string{"cvk": "card.cvk", "kind": "card.kind", "pan": c.panField,
		"expiry": "message.35", "serviceCode": "message.35", "value": "message.35"}
	return delegate(rc, s.cardVerify, req, names, "card.")
}

// iso8583DUKPT translates field 52 from a DUKPT terminal: the BDK and the
// KSN read from the field the caller names (20 or 24 hex characters, or
// 10 or 12 bytes), through /v1/pin/translate's DUKPT path.
func (s *server) iso8583DUKPT(rc *reqCtx, m *iso8583.Message, c cardData, p *iso8583PIN) (any, *apiError) {
	switch {
	case p.BDK == "":
		return nil, badField("pin.bdk", "is required with ksnField")
	case p.KSNField == nil:
		return nil, badField("pin.ksnField", "is required with bdk")
	case p.Key != "":
		return nil, badField("pin.key", "give key or bdk, not both")
	case p.Verify != nil || p.Translate == nil:
		return nil, badField("pin.translate", "is required with bdk (verify a DUKPT PIN by translating it first)")
	}
	kf := fmt.Sprintf("message.%d", *p.KSNField)
	ksnRaw, ok := m.Field(*p.KSNField)
	if !ok {
		return nil, badField(kf, "the KSN field is absent")
	}
	ksn := string(ksnRaw)
	if n := len(ksnRaw); (n == 10 || n == 12) && !isHexText(ksnRaw) {
		ksn = strings.ToUpper(hex.EncodeToString(ksnRaw))
	}
	block, e := pinBlockField(m, c)
	if e != nil {
		return nil, e
	}
	req := map[string]any{"pan": c.pan, "pinBlock": strings.ToUpper(hex.EncodeToString(block)),
		"incomingKey": p.BDK.Reveal(), "incomingKeyType": "BDK", "ksn": ksn,
		"outgoingKey": p.Translate.OutgoingKey.Reveal(), "outgoingFormat": p.Translate.OutgoingFormat}
	if p.Format != "" {
		req["incomingFormat"] = p.Format
	}
	names := map[string]string{"pan": c.panField, "pinBlock": "message.52", "ksn": kf,
		"incomingKey": "pin.bdk", "incomingKeyType": "pin.bdk", "incomingFormat": "pin.format",
		"outgoingKey": "pin.translate.outgoingKey", "outgoingFormat": "pin.translate.outgoingFormat"}
	return delegate(rc, s.pinTranslate, req, names, "pin.")
}

func isHexText(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

package rest

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

// Parameters of the host commands, validated by the operations.
type (
	translateParams struct {
		in, out             *keyRef
		block               string
		inFormat, outFormat string
		account             string
	}
	translateResult struct {
		block     string
		pinLength int
	}
	pinVerifyParams struct {
		key, pvk       *keyRef
		block, format  string
		account        string
		pvki           int
		pvv            string
		ibm            bool
		decTable       string
		validationData string
		offset         string // 12H, F-padded
		checkLength    int
	}
	cvvParams struct {
		cvk         *keyRef
		pan         string
		expiry      string
		serviceCode string
		value       string
	}
	arqcParams struct {
		imk        *keyRef
		profile    emv.Profile
		pan, psn   string
		atc        string // 4H
		un         string // 8H, Mastercard SKD profiles
		data       []byte // padded
		arqc       string // 16H
		arpcMethod int    // 0: no ARPC
		arc        string // 4H, method 1
		csu        string // 8H, method 2
		propData   string // 0..16H, method 2
	}
	macParams struct {
		key       *keyRef
		algorithm int // 1 or 3
		padding   int // 1 or 2
		message   string
		length    int // 4 or 8 bytes
		mac       string
	}
)

// run sends one command body through the executor, counts it and writes
// its audit record. It returns the answer's error code and the answer; an
// error is the executor's (no HSM answered) or a malformed answer.
func (s *server) run(rc *reqCtx, body []byte) (hostcmd.Code, []byte, error) {
	cmd := string(body[:2])
	start := time.Now()
	var resp []byte
	var hsm string
	var err error
	if he, ok := s.exec.(HSMExecutor); ok {
		resp, hsm, err = he.DoHSM(rc.ctx, body)
	} else {
		resp, err = s.exec.Do(rc.ctx, body)
	}
	d := time.Since(start)
	var code hostcmd.Code
	switch {
	case err != nil:
		var he *hostcmd.Error
		if errors.As(err, &he) {
			code = he.Code
		}
	case len(resp) < 4 || [2]byte(resp[:2]) != hostcmd.ResponseCode([2]byte(body[:2])):
		err = &protocolError{cmd: cmd}
	default:
		code = hostcmd.Code(resp[2:4])
	}
	label := string(code)
	if err != nil && code == "" {
		label = "none"
	}
	s.m.commands.WithLabelValues(cmd, label).Inc()
	rec := audit.Record{Time: start, RequestID: rc.requestID, Client: rc.client, Remote: rc.remote,
		Op: rc.op, Cmd: cmd, HSM: hsm, Code: string(code), Latency: d, PAN: rc.pan}
	if err != nil {
		rec.Error = "no_answer"
		if _, ok := err.(*protocolError); ok {
			rec.Error = "malformed_answer"
		}
	}
	s.audit.Write(rec)
	return code, resp, err
}

// do encodes req, runs it and parses the answer for req. A non-nil error is
// the executor's or a malformed answer; the HSM's error code is the
// answer's ErrorCode.
func (s *server) do(rc *reqCtx, req hostcmd.Request) (hostcmd.Response, error) {
	body := req.AppendBody(make([]byte, 0, 128))
	_, resp, err := s.run(rc, body)
	clear(body) // it held PIN blocks, keys and PANs
	if err != nil {
		return nil, err
	}
	r, err := hostcmd.ParseResponseFor(req, resp)
	if err != nil {
		return nil, &protocolError{cmd: req.Code()}
	}
	return r, nil
}

// answerErr returns the *hostcmd.Error of an answer with an error code.
func answerErr(req hostcmd.Request, r hostcmd.Response) error {
	return &hostcmd.Error{Cmd: req.Code(), Code: r.ErrorCode()}
}

// doVerify runs a verification command: 00 is true, 01 false, any other
// code an error.
func (s *server) doVerify(rc *reqCtx, req hostcmd.Request) (bool, error) {
	r, err := s.do(rc, req)
	if err != nil {
		return false, err
	}
	switch r.ErrorCode() {
	case hostcmd.OK:
		return true, nil
	case hostcmd.VerifyFailed:
		return false, nil
	}
	return false, answerErr(req, r)
}

// keyField turns a cryptogram the API accepted (inlineCryptogram, or the
// registry's) into a host-command key field.
func keyField(cryptogram string) hostcmd.KeyField {
	k, _, _ := hostcmd.ParseKeyField([]byte(cryptogram), hostcmd.KeySingle|hostcmd.KeyU|hostcmd.KeyT|hostcmd.KeyS)
	return k
}

// lengthFlag is BU's key length flag for a key field.
func lengthFlag(k hostcmd.KeyField) byte {
	switch k.Scheme {
	case hostcmd.SchemeU:
		return '1'
	case hostcmd.SchemeT:
		return '2'
	}
	return '0'
}

// checkValue computes a key's 6H KCV on the HSM: BU with key type code FF and
// the 3H key type, so that every variant is addressed (hostcmd.md §4).
func (s *server) checkValue(rc *reqCtx, typeCode, cryptogram string) (string, error) {
	k := keyField(cryptogram)
	req := &hostcmd.BU{KeyTypeCode: "FF", KeyLengthFlag: lengthFlag(k), Key: k, KeyType: typeCode,
		Reserved1: '0', Reserved2: '0', KCVType: '1'}
	r, err := s.do(rc, req)
	if err != nil {
		return "", err
	}
	bv, ok := r.(*hostcmd.BV)
	if !ok || r.ErrorCode() != hostcmd.OK {
		if r.ErrorCode() == hostcmd.OK {
			return "", &protocolError{cmd: "BU"}
		}
		return "", answerErr(req, r)
	}
	if len(bv.KCV) < 6 {
		return "", &protocolError{cmd: "BU"}
	}
	return bv.KCV[:6], nil
}

// generateKey generates a double-length key of the type on the HSM (A0
// mode 0, scheme U) and returns it under the LMK with its KCV.
func (s *server) generateKey(rc *reqCtx, typeCode string) (string, string, error) {
	req := &hostcmd.A0{Mode: '0', KeyType: typeCode, SchemeLMK: 'U'}
	r, err := s.do(rc, req)
	if err != nil {
		return "", "", err
	}
	if r.ErrorCode() != hostcmd.OK {
		return "", "", answerErr(req, r)
	}
	a1, ok := r.(*hostcmd.A1)
	if !ok || a1.KeyUnderLMK.Scheme != hostcmd.SchemeU || len(a1.KCV) != 6 {
		return "", "", &protocolError{cmd: "A0"}
	}
	return string(a1.KeyUnderLMK.AppendWire(nil)), a1.KCV, nil
}

// maxPINLen is the maximum PIN length sent with CA, CC, DA and EA
// (hostcmd.md §4: "12").
const maxPINLen = 12

// translatePIN runs CC (ZPK to ZPK) or CA (TPK to ZPK).
func (s *server) translatePIN(rc *reqCtx, p translateParams) (translateResult, error) {
	var req hostcmd.Request
	if p.in.typ == "TPK" {
		req = &hostcmd.CA{TPK: keyField(p.in.cryptogram), ZPK: keyField(p.out.cryptogram), MaxPINLen: maxPINLen,
			PINBlock: redact.String(p.block), SourceFormat: p.inFormat, DestinationFormat: p.outFormat,
			Account: redact.String(p.account)}
	} else {
		req = &hostcmd.CC{SourceZPK: keyField(p.in.cryptogram), DestinationZPK: keyField(p.out.cryptogram),
			MaxPINLen: maxPINLen, PINBlock: redact.String(p.block), SourceFormat: p.inFormat,
			DestinationFormat: p.outFormat, Account: redact.String(p.account)}
	}
	return s.doTranslate(rc, req)
}

// doTranslate runs a PIN translation (CA, CC, CI, G0) and returns the PIN
// block and length of its answer.
func (s *server) doTranslate(rc *reqCtx, req hostcmd.Request) (translateResult, error) {
	r, err := s.do(rc, req)
	if err != nil {
		return translateResult{}, err
	}
	if r.ErrorCode() != hostcmd.OK {
		return translateResult{}, answerErr(req, r)
	}
	var a *hostcmd.CB
	switch v := r.(type) {
	case *hostcmd.CB:
		a = v
	case *hostcmd.CD:
		a = (*hostcmd.CB)(v)
	case *hostcmd.CJ:
		a = (*hostcmd.CB)(v)
	case *hostcmd.G1:
		a = (*hostcmd.CB)(v)
	default:
		return translateResult{}, &protocolError{cmd: req.Code()}
	}
	return translateResult{block: a.PINBlock.Reveal(), pinLength: a.PINLen}, nil
}

// verifyPIN runs EC/DC (Visa PVV) or EA/DA (IBM 3624 offset).
func (s *server) verifyPIN(rc *reqCtx, p pinVerifyParams) (bool, error) {
	key, pvk := keyField(p.key.cryptogram), keyField(p.pvk.cryptogram)
	tpk := p.key.typ == "TPK"
	var req hostcmd.Request
	if !p.ibm {
		pvki := byte('0' + p.pvki)
		if tpk {
			req = &hostcmd.DC{TPK: key, PVK: pvk, PINBlock: redact.String(p.block), Format: p.format,
				Account: redact.String(p.account), PVKI: pvki, PVV: redact.String(p.pvv)}
		} else {
			req = &hostcmd.EC{ZPK: key, PVK: pvk, PINBlock: redact.String(p.block), Format: p.format,
				Account: redact.String(p.account), PVKI: pvki, PVV: redact.String(p.pvv)}
		}
	} else {
		off := hostcmd.IBMOffset{PVK: pvk, MaxPINLen: maxPINLen, PINBlock: redact.String(p.block),
			Format: p.format, CheckLen: p.checkLength, Account: redact.String(p.account),
			DecimalisationTable: redact.String(p.decTable), ValidationData: redact.String(p.validationData),
			Offset: redact.String(p.offset)}
		if tpk {
			req = &hostcmd.DA{TPK: key, IBMOffset: off}
		} else {
			req = &hostcmd.EA{ZPK: key, IBMOffset: off}
		}
	}
	return s.doVerify(rc, req)
}

// generateCVV runs CW.
func (s *server) generateCVV(rc *reqCtx, p cvvParams) (string, error) {
	req := &hostcmd.CW{CVK: keyField(p.cvk.cryptogram), PAN: redact.String(p.pan), Expiry: p.expiry, ServiceCode: p.serviceCode}
	r, err := s.do(rc, req)
	if err != nil {
		return "", err
	}
	if r.ErrorCode() != hostcmd.OK {
		return "", answerErr(req, r)
	}
	cx, ok := r.(*hostcmd.CX)
	if !ok {
		return "", &protocolError{cmd: "CW"}
	}
	return cx.CVV.Reveal(), nil
}

// verifyCVV runs CY.
func (s *server) verifyCVV(rc *reqCtx, p cvvParams) (bool, error) {
	return s.doVerify(rc, &hostcmd.CY{CVK: keyField(p.cvk.cryptogram), CVV: redact.String(p.value),
		PAN: redact.String(p.pan), Expiry: p.expiry, ServiceCode: p.serviceCode})
}

// macSize is M6/M8's MAC size flag for a MAC length in bytes.
func macSize(length int) byte {
	if length == 8 {
		return '1'
	}
	return '0'
}

func (p macParams) hostParams() hostcmd.MACParams {
	kt := "003"
	if p.key.typ == "ZAK" {
		kt = "008"
	}
	return hostcmd.MACParams{Mode: '0', InputFormat: '0', MACSize: macSize(p.length),
		Algorithm: byte('0' + p.algorithm), Padding: byte('0' + p.padding), KeyType: kt,
		Key: keyField(p.key.cryptogram), Message: hostcmd.SecretBytes(decodeHex(p.message))}
}

// generateMAC runs M6 (message as binary, one block).
func (s *server) generateMAC(rc *reqCtx, p macParams) (string, error) {
	req := &hostcmd.M6{MACParams: p.hostParams()}
	r, err := s.do(rc, req)
	if err != nil {
		return "", err
	}
	if r.ErrorCode() != hostcmd.OK {
		return "", answerErr(req, r)
	}
	m7, ok := r.(*hostcmd.M7)
	if !ok || len(m7.MAC) != 2*p.length {
		return "", &protocolError{cmd: "M6"}
	}
	return m7.MAC.Reveal(), nil
}

// verifyMAC runs M8.
func (s *server) verifyMAC(rc *reqCtx, p macParams) (bool, error) {
	return s.doVerify(rc, &hostcmd.M8{MACParams: p.hostParams(), MAC: redact.String(p.mac)})
}

// verifyARQC runs KQ or KW as the profile says, in the mode that verifies
// the ARQC and, when asked, makes the ARPC.
func (s *server) verifyARQC(rc *reqCtx, p arqcParams) (bool, string, error) {
	mode, err := p.profile.CommandMode(true, p.arpcMethod != 0)
	if err != nil {
		return false, "", err
	}
	atc := [2]byte(decodeHex(p.atc))
	arqc := hostcmd.SecretBytes(decodeHex(p.arqc))
	var req hostcmd.Request
	switch p.profile.Command {
	case "KQ":
		block, err := emv.PANPSNBlock(p.pan, p.psn)
		if err != nil {
			return false, "", &hostcmd.Error{Cmd: "KQ", Code: hostcmd.InvalidInput}
		}
		kq := &hostcmd.KQ{Mode: mode, Scheme: p.profile.CommandScheme, MKAC: keyField(p.imk.cryptogram),
			PANPSN: hostcmd.SecretBytes(block[:]), ATC: atc, Data: p.data, ARQC: arqc}
		if p.un != "" {
			kq.UN = [4]byte(decodeHex(p.un))
		}
		if p.arpcMethod == 1 {
			kq.ARC = [2]byte(decodeHex(p.arc))
		}
		req = kq
	case "KW":
		kw := &hostcmd.KW{Mode: mode, Scheme: p.profile.CommandScheme, MKAC: keyField(p.imk.cryptogram),
			ATC: atc, Data: p.data, ARQC: arqc}
		if kw.Scheme == '3' {
			kw.PANDigits, kw.PANPSN = packPANPSN(p.pan, p.psn)
		} else {
			block, err := emv.PANPSNBlock(p.pan, p.psn)
			if err != nil {
				return false, "", &hostcmd.Error{Cmd: "KW", Code: hostcmd.InvalidInput}
			}
			kw.PANPSN = hostcmd.SecretBytes(block[:])
		}
		switch p.arpcMethod {
		case 1:
			kw.ARC = [2]byte(decodeHex(p.arc))
		case 2:
			kw.CSU = [4]byte(decodeHex(p.csu))
			kw.PropAuth = decodeHex(p.propData)
		}
		req = kw
	default:
		return false, "", &protocolError{cmd: p.profile.Command}
	}
	r, err := s.do(rc, req)
	if err != nil {
		return false, "", err
	}
	switch r.ErrorCode() {
	case hostcmd.OK:
	case hostcmd.VerifyFailed:
		return false, "", nil
	default:
		return false, "", answerErr(req, r)
	}
	var arpc []byte
	switch a := r.(type) {
	case *hostcmd.KR:
		arpc = a.ARPC
	case *hostcmd.KX:
		arpc = a.ARPC
	}
	want := 0
	switch p.arpcMethod {
	case 1:
		want = 8
	case 2:
		want = 4
	}
	if len(arpc) != want {
		return false, "", &protocolError{cmd: req.Code()}
	}
	return true, strings.ToUpper(hex.EncodeToString(arpc)), nil
}

// packPANPSN packs PAN || PSN as BCD with a leading zero nibble when the
// digit count is odd, the option B form of KW (hostcmd.md §4; the same
// packing as EMV 4.3 Book 2 A1.4.2 option B's hash input). It returns the
// digit count and the bytes.
func packPANPSN(pan, psn string) (int, hostcmd.SecretBytes) {
	d := pan + psn
	n := len(d)
	b := make([]byte, (n+1)/2)
	i := 2*len(b) - n
	for k := 0; k < n; k++ {
		v := d[k] - '0'
		if i%2 == 0 {
			b[i/2] = v << 4
		} else {
			b[i/2] |= v
		}
		i++
	}
	return n, hostcmd.SecretBytes(b)
}

package rest

import (
	"net/http"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

// MaxMACMessage is the longest message, in bytes, of /v1/mac (ours: it
// keeps an M6/M8 request well inside a 32 KiB frame).
const MaxMACMessage = 8192

type macRequest struct {
	Key       redact.String `json:"key"`
	KeyType   string        `json:"keyType"`
	Algorithm string        `json:"algorithm"`
	Padding   string        `json:"padding"`
	Message   string        `json:"message"`
	Length    *int          `json:"length"`
}

// macVerifyRequest is macRequest plus the MAC and, for a DUKPT key
// (dukpt.go), the KSN and direction.
type macVerifyRequest struct {
	Key       redact.String `json:"key"`
	KeyType   string        `json:"keyType"`
	KSN       string        `json:"ksn"`       // with keyType BDK only
	Direction string        `json:"direction"` // with keyType BDK only
	Algorithm string        `json:"algorithm"`
	Padding   string        `json:"padding"`
	Message   string        `json:"message"`
	MAC       redact.String `json:"mac"`
	Length    *int          `json:"length"`
}

type macGenerateResponse struct {
	MAC    string `json:"mac"`
	KeyKCV string `json:"keyKcv"`
}

type macVerifyResponse struct {
	Verified bool   `json:"verified"`
	KeyKCV   string `json:"keyKcv"`
}

var macHSMFields = hsmFields{
	hostcmd.SourceKeyParity: "key", hostcmd.DataLengthError: "message",
}

// macParams validates a MAC request; with verify, mac is checked too.
func (s *server) macParams(rc *reqCtx, r macVerifyRequest, verify bool) (macParams, *apiError) {
	var p macParams
	if r.Key == "" {
		return p, missingField("key")
	}
	// Each name ends in the M6/M8 flag's digit.
	if e := oneOf("algorithm", r.Algorithm, "ISO9797_ALG1", "ISO9797_ALG3"); e != nil {
		return p, e
	}
	if e := oneOf("padding", r.Padding, "ISO9797_M1", "ISO9797_M2"); e != nil {
		return p, e
	}
	p.algorithm = int(r.Algorithm[len(r.Algorithm)-1] - '0')
	p.padding = int(r.Padding[len(r.Padding)-1] - '0')
	msg, e := hexBytesField("message", r.Message, 1, MaxMACMessage)
	if e != nil {
		return p, e
	}
	if r.Length == nil {
		return p, missingField("length")
	}
	if *r.Length != 4 && *r.Length != 8 {
		return p, badField("length", "must be 4 or 8 (bytes)")
	}
	p.message, p.length = msg, *r.Length
	if verify {
		if p.mac, e = hexField("mac", r.MAC.Reveal(), 2*p.length); e != nil {
			return p, e
		}
	}
	key, e := s.resolveKey(rc, keySpec{field: "key", typeField: "keyType", typeName: r.KeyType,
		allowed: []string{"TAK", "ZAK"}}, r.Key.Reveal())
	if e != nil {
		return p, e
	}
	p.key = key
	return p, nil
}

// macGenerate is POST /v1/mac/generate: M6.
func (s *server) macGenerate(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req macRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	return s.mac(rc, macVerifyRequest{Key: req.Key, KeyType: req.KeyType, Algorithm: req.Algorithm,
		Padding: req.Padding, Message: req.Message, Length: req.Length}, false)
}

// macVerify is POST /v1/mac/verify: M8, or from a BDK and KSN GW
// (macVerifyDUKPT).
func (s *server) macVerify(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req macVerifyRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	if req.KeyType == "BDK" || req.KSN != "" || req.Direction != "" {
		return s.macVerifyDUKPT(rc, &req)
	}
	return s.mac(rc, req, true)
}

// mac runs M6, or M8 with verify, for a decoded request.
func (s *server) mac(rc *reqCtx, req macVerifyRequest, verify bool) (int, any, *apiError) {
	p, e := s.macParams(rc, req, verify)
	if e != nil {
		return 0, nil, e
	}
	if verify {
		ok, err := s.verifyMAC(rc, p)
		if err != nil {
			return 0, nil, fromExecError(err, macHSMFields)
		}
		return http.StatusOK, macVerifyResponse{Verified: ok, KeyKCV: p.key.kcv}, nil
	}
	m, err := s.generateMAC(rc, p)
	if err != nil {
		return 0, nil, fromExecError(err, macHSMFields)
	}
	return http.StatusOK, macGenerateResponse{MAC: m, KeyKCV: p.key.kcv}, nil
}

package rest

import (
	"net/http"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

// cardKinds are the card verification values of the REST API (rest.md).
var cardKinds = []string{"cvv", "cvv2", "icvv"}

type cardRequest struct {
	CVK         redact.String `json:"cvk"`
	PAN         redact.String `json:"pan"`
	Expiry      redact.String `json:"expiry"`
	Kind        string        `json:"kind"`
	ServiceCode string        `json:"serviceCode"`
	Value       redact.String `json:"value"`
}

// cardGenerateRequest has no value.
type cardGenerateRequest struct {
	CVK         redact.String `json:"cvk"`
	PAN         redact.String `json:"pan"`
	Expiry      redact.String `json:"expiry"`
	Kind        string        `json:"kind"`
	ServiceCode string        `json:"serviceCode"`
}

type cardVerifyResponse struct {
	Verified bool   `json:"verified"`
	CVKKCV   string `json:"cvkKcv"`
}

type cardGenerateResponse struct {
	Value  string `json:"value"`
	CVKKCV string `json:"cvkKcv"`
}

var cardHSMFields = hsmFields{
	hostcmd.SourceKeyParity: "cvk", hostcmd.DestKeyParity: "cvk", hostcmd.InvalidAccount: "pan",
}

// cardParams validates the fields shared by generate and verify.
// With verify, the value is checked too, before the key is resolved.
func (s *server) cardParams(rc *reqCtx, r cardRequest, verify bool) (cvvParams, *apiError) {
	var p cvvParams
	rc.pan = r.PAN.Reveal()
	if r.CVK == "" {
		return p, missingField("cvk")
	}
	if e := panField("pan", r.PAN.Reveal()); e != nil {
		return p, e
	}
	if e := digitsField("expiry", r.Expiry.Reveal(), 4, 4); e != nil {
		return p, e
	}
	if e := oneOf("kind", r.Kind, cardKinds...); e != nil {
		return p, e
	}
	sc, e := serviceCodeFor(r.Kind, r.ServiceCode)
	if e != nil {
		return p, e
	}
	if verify {
		if e := digitsField("value", r.Value.Reveal(), 3, 3); e != nil {
			return p, e
		}
	}
	cvk, e := s.resolveKey(rc, keySpec{field: "cvk", allowed: []string{"CVK"}}, r.CVK.Reveal())
	if e != nil {
		return p, e
	}
	return cvvParams{cvk: cvk, pan: r.PAN.Reveal(), expiry: r.Expiry.Reveal(), serviceCode: sc, value: r.Value.Reveal()}, nil
}

// serviceCodeFor returns the service code a kind is computed with
// (card.Kind.ServiceCode): the given one for cvv (required), 000 for cvv2
// and 999 for icvv, which take none (ours: a service code sent with them is
// refused, not ignored).
func serviceCodeFor(kind, sc string) (string, *apiError) {
	k, err := card.ParseKind(kind)
	if err != nil {
		return "", badField("kind", "must be one of cvv, cvv2, icvv")
	}
	if k == card.CVV {
		if e := digitsField("serviceCode", sc, 3, 3); e != nil {
			return "", e
		}
	} else if sc != "" {
		return "", badField("serviceCode", "is only given with kind cvv")
	}
	return k.ServiceCode(sc), nil
}

// cardVerify is POST /v1/card/verify: CY.
func (s *server) cardVerify(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req cardRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	p, e := s.cardParams(rc, req, true)
	if e != nil {
		return 0, nil, e
	}
	ok, err := s.verifyCVV(rc, p)
	if err != nil {
		return 0, nil, fromExecError(err, cardHSMFields)
	}
	return http.StatusOK, cardVerifyResponse{Verified: ok, CVKKCV: p.cvk.kcv}, nil
}

// cardGenerate is POST /v1/card/generate: CW.
func (s *server) cardGenerate(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req cardGenerateRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	p, e := s.cardParams(rc, cardRequest{CVK: req.CVK, PAN: req.PAN, Expiry: req.Expiry, Kind: req.Kind, ServiceCode: req.ServiceCode}, false)
	if e != nil {
		return 0, nil, e
	}
	v, err := s.generateCVV(rc, p)
	if err != nil {
		return 0, nil, fromExecError(err, cardHSMFields)
	}
	return http.StatusOK, cardGenerateResponse{Value: v, CVKKCV: p.cvk.kcv}, nil
}

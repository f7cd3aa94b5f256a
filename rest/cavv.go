package rest

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

type cavvVerifyRequest struct {
	Key  redact.String `json:"key"`
	PAN  redact.String `json:"pan"`
	CAVV redact.String `json:"cavv"`
}

// cavvFields are the unpacked fields of a Visa CAVV (Visa table D-7); the
// CAVV output itself, a check value, is not echoed.
type cavvFields struct {
	AuthenticationResultsCode string `json:"authenticationResultsCode"`
	SecondFactorCode          string `json:"secondFactorCode"`
	KeyIndicator              string `json:"keyIndicator"`
	ATN                       string `json:"atn"`
	Version                   int    `json:"version"`
}

type cavvVerifyResponse struct {
	Verified bool       `json:"verified"`
	CAVV     cavvFields `json:"cavv"`
	KeyKCV   string     `json:"keyKcv"`
}

// cavvVerify is POST /v1/3ds/cavv/verify: the 20-byte Visa CAVV (CAVV
// algorithm 2, "CVV with ATN") is unpacked here and its output verified
// with CY under the CAVV key pair, with the CAVV mapping of card.CAVVInput
// (hostcmd.md §4: PAN right-justified in 16 digits, the last four ATN digits
// in the expiry slot, results code and second factor code in the
// service-code slot).
func (s *server) cavvVerify(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req cavvVerifyRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	rc.pan = req.PAN.Reveal()
	if req.Key == "" {
		return 0, nil, missingField("key")
	}
	if e := panField("pan", req.PAN.Reveal()); e != nil {
		return 0, nil, e
	}
	if req.CAVV == "" {
		return 0, nil, missingField("cavv")
	}
	raw, err := card.DecodeCAVV(req.CAVV.Reveal())
	if err != nil {
		return 0, nil, badField("cavv", "must be 40 hex digits or the base64 of 20 bytes")
	}
	c, err := card.ParseCAVV(raw)
	clear(raw)
	if err != nil {
		return 0, nil, badField("cavv", cavvProblem(err))
	}
	pan16, expiry, sc, err := card.CAVVInput(req.PAN.Reveal(), c)
	if err != nil {
		return 0, nil, badField("cavv", cavvProblem(err))
	}
	key, e := s.resolveKey(rc, keySpec{field: "key", allowed: []string{"CVK"}}, req.Key.Reveal())
	if e != nil {
		return 0, nil, e
	}
	ok, err := s.verifyCVV(rc, cvvParams{cvk: key, pan: pan16, expiry: expiry, serviceCode: sc, value: c.Output.Reveal()})
	if err != nil {
		return 0, nil, fromExecError(err, hsmFields{"10": "key", "11": "key", "22": "pan"})
	}
	return http.StatusOK, cavvVerifyResponse{
		Verified: ok,
		CAVV: cavvFields{
			AuthenticationResultsCode: strconv.Itoa(int(c.AuthResultsCode)),
			SecondFactorCode:          c.SecondFactorCode,
			KeyIndicator:              c.KeyIndicator,
			ATN:                       c.ATN,
			Version:                   int(c.Version),
		},
		KeyKCV: key.kcv,
	}, nil
}

// cavvProblem turns a card.FieldError (which names a CAVV field, never a
// value) into the message of the 400.
func cavvProblem(err error) string {
	var fe *card.FieldError
	if errors.As(err, &fe) {
		return "is not a valid Visa CAVV: " + fe.Field + " " + fe.Reason
	}
	return "is not a valid Visa CAVV"
}

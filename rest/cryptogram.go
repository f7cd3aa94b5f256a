package rest

import (
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/mac"
)

// cryptogramProfiles are the profile names of rest.md, in its order.
var cryptogramProfiles = []string{"visa-cvn10", "visa-cvn18", "visa-cvn22", "mc-cvn16", "mc-cvn17", "mc-cvn20", "mc-cvn21"}

// maxTransactionData bounds the transaction data: KQ and KW carry its
// length in 2H, so at most 255 bytes after the gateway's padding.
const maxTransactionData = 255

type cryptogramVerifyRequest struct {
	IMK             redact.String `json:"imk"`
	PAN             redact.String `json:"pan"`
	PSN             string        `json:"psn"`
	ATC             string        `json:"atc"`
	TransactionData string        `json:"transactionData"`
	ARQC            redact.String `json:"arqc"`
	Profile         string        `json:"profile"`
	UN              string        `json:"un"`
	ARPC            *arpcRequest  `json:"arpc"`
}

// arpcRequest asks for an ARPC: method 1 with arc, or method 2 with csu and
// optional proprietaryData (EMV 4.4 Book 2 §8.2).
type arpcRequest struct {
	Method          int    `json:"method"`
	ARC             string `json:"arc"`
	CSU             string `json:"csu"`
	ProprietaryData string `json:"proprietaryData"`
}

type cryptogramVerifyResponse struct {
	Verified bool   `json:"verified"`
	ARPC     string `json:"arpc,omitempty"`
	IMKKCV   string `json:"imkKcv"`
}

// cryptogramVerify is POST /v1/cryptogram/verify: KQ or KW as the profile
// says, with the profile's padding added to the transaction data here.
func (s *server) cryptogramVerify(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req cryptogramVerifyRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	rc.pan = req.PAN.Reveal()
	if req.IMK == "" {
		return 0, nil, missingField("imk")
	}
	if e := panField("pan", req.PAN.Reveal()); e != nil {
		return 0, nil, e
	}
	if e := digitsField("psn", req.PSN, 2, 2); e != nil {
		return 0, nil, e
	}
	atc, e := hexField("atc", req.ATC, 4)
	if e != nil {
		return 0, nil, e
	}
	data, e := hexBytesField("transactionData", req.TransactionData, 1, maxTransactionData)
	if e != nil {
		return 0, nil, e
	}
	arqc, e := hexField("arqc", req.ARQC.Reveal(), 16)
	if e != nil {
		return 0, nil, e
	}
	if e := oneOf("profile", req.Profile, cryptogramProfiles...); e != nil {
		return 0, nil, e
	}
	prof, ok := emv.LookupProfile(req.Profile)
	if !ok {
		return 0, nil, badField("profile", "is not supported")
	}
	// The gateway pads as the profile says (rest.md); the HSM's own
	// zero padding then adds nothing (hostcmd.md, KQ/KW).
	padded, err := mac.Pad(nil, decodeHex(data), 8, prof.Padding)
	if err != nil || len(padded) > maxTransactionData {
		return 0, nil, badField("transactionData", "is too long for this profile's padding")
	}
	p := arqcParams{profile: prof, pan: req.PAN.Reveal(), psn: req.PSN, atc: atc, data: padded, arqc: arqc}
	if prof.Session == emv.SessionMastercard {
		if p.un, e = hexField("un", req.UN, 8); e != nil {
			return 0, nil, e
		}
	} else if req.UN != "" {
		// Other profiles do not use the UN; a well-formed one is accepted
		// and ignored so that callers may send one request shape (ours).
		if _, e := hexField("un", req.UN, 8); e != nil {
			return 0, nil, e
		}
	}
	if a := req.ARPC; a != nil {
		if e := arpcParamsOf(a, prof, &p); e != nil {
			return 0, nil, e
		}
	}
	imk, e := s.resolveKey(rc, keySpec{field: "imk", allowed: []string{"MK-AC"}}, req.IMK.Reveal())
	if e != nil {
		return 0, nil, e
	}
	p.imk = imk
	verified, arpc, err := s.verifyARQC(rc, p)
	if err != nil {
		return 0, nil, fromExecError(err, hsmFields{
			hostcmd.SourceKeyParity: "imk", hostcmd.DataLengthError: "transactionData",
		})
	}
	resp := cryptogramVerifyResponse{Verified: verified, IMKKCV: imk.kcv}
	if verified {
		resp.ARPC = arpc
	}
	return http.StatusOK, resp, nil
}

func arpcParamsOf(a *arpcRequest, prof emv.Profile, p *arqcParams) *apiError {
	if a.Method != 1 && a.Method != 2 {
		return badField("arpc.method", "must be 1 or 2")
	}
	if a.Method != prof.ARPCMethod {
		return badField("arpc.method", "must be "+strconv.Itoa(prof.ARPCMethod)+" for this profile")
	}
	p.arpcMethod = a.Method
	var e *apiError
	if a.Method == 1 {
		if a.CSU != "" {
			return badField("arpc.csu", "is only given with method 2")
		}
		if a.ProprietaryData != "" {
			return badField("arpc.proprietaryData", "is only given with method 2")
		}
		p.arc, e = hexField("arpc.arc", a.ARC, 4)
		return e
	}
	if a.ARC != "" {
		return badField("arpc.arc", "is only given with method 1")
	}
	if p.csu, e = hexField("arpc.csu", a.CSU, 8); e != nil {
		return e
	}
	if a.ProprietaryData != "" {
		if p.propData, e = hexBytesField("arpc.proprietaryData", a.ProprietaryData, 1, 8); e != nil {
			return e
		}
	}
	return nil
}

// decodeHex decodes hex already checked by hexField or hexBytesField.
func decodeHex(h string) []byte {
	b, _ := hex.DecodeString(h)
	return b
}

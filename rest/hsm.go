package rest

import (
	"errors"
	"time"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/hostcmd"
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
		offset         string
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
	resp, err := s.exec.Do(rc.ctx, body)
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
		Op: rc.op, Cmd: cmd, Code: string(code), Latency: d, PAN: rc.pan}
	if err != nil {
		rec.Error = "no_answer"
		if _, ok := err.(*protocolError); ok {
			rec.Error = "malformed_answer"
		}
	}
	s.audit.Write(rec)
	return code, resp, err
}

package hostcmd

// Response is a typed host-command response: one of *ND, *NP, *B3, *A1,
// *BV, *CB, *CD, *JF, *JH, *BB, *NH, *DD, *ED, *DB, *EB, *CX, *CZ, *KR, *KX,
// *M7, *M9, or *RawResponse for a code the table does not know. Code returns
// the response code ("CB"); ErrorCode the ERR field. AppendBody appends the
// body from the response code on: RCODE, ERR, the fields when ERR is 00,
// then the trailer if set (hostcmd.md §1).
type Response interface {
	Code() string
	ErrorCode() Code
	AppendBody(dst []byte) []byte
}

// Status is the part common to every response: the error code and the
// echoed trailer. A zero Err encodes as 00.
type Status struct {
	Err     Code    // ERR: OK, VerifyFailed, or another error code
	Trailer Trailer // echoed only if the request carried one
}

// ErrorCode returns the ERR field, OK when unset.
func (s *Status) ErrorCode() Code {
	if s.Err == "" {
		return OK
	}
	return s.Err
}

// appendHead appends RCODE and ERR and reports whether fields follow.
func (s *Status) appendHead(dst []byte, rcode string) ([]byte, bool) {
	dst = append(dst, rcode...)
	c := s.ErrorCode()
	dst = append(dst, c...)
	return dst, c == OK
}

// AppendErrorResponse appends an error response body, RCODE + code, for the
// command cmd (hostcmd.md §1: an error response carries no fields). The
// caller appends the request's trailer after it, if any. It panics if code is
// not two code characters.
func AppendErrorResponse(dst []byte, cmd [2]byte, code Code) []byte {
	if !code.Valid() {
		panic("hostcmd: AppendErrorResponse: invalid error code")
	}
	rc := ResponseCode(cmd)
	dst = append(dst, rc[0], rc[1])
	return append(dst, code...)
}

// RawResponse is a response to a command the table does not know: only its
// response and error codes are interpreted; Rest holds everything after ERR.
type RawResponse struct {
	RCode string
	Err   Code
	Rest  []byte
}

// Code returns the response code.
func (r *RawResponse) Code() string { return r.RCode }

// ErrorCode returns the ERR field.
func (r *RawResponse) ErrorCode() Code { return r.Err }

// AppendBody appends RCODE + ERR + Rest.
func (r *RawResponse) AppendBody(dst []byte) []byte {
	dst = append(dst, r.RCode...)
	dst = append(dst, r.Err...)
	return append(dst, r.Rest...)
}

// respHint is what a request tells about the shape of its response, where
// the response alone is ambiguous (binary fields before a trailer, optional
// fields).
type respHint struct {
	known   bool
	mode    byte // A0, KQ, KW mode
	kcvType byte // BU: '0' 16H, '1' 6H; 0 unknown
	macSize byte // M6: '0' 8H, '1' 16H
	dataLen int  // B2: echoed data length
	trailer bool // the request carried a trailer
}

// hinter is implemented by requests whose response shape depends on them.
type hinter interface{ respHint() respHint }

// ParseResponse parses a response body (from the response code on) to the
// command cmd. The response code must match cmd. Fields are parsed only
// when ERR is 00; any other code carries none (hostcmd.md §1). A body that
// does not follow the contract gives a *ProtocolError naming the field.
//
// Without the request, a binary response is parsed by heuristics where a
// trailer could be mistaken for data: B3 data runs to the end of the body,
// and KR/KX take a trailer only where one parses cleanly. ParseResponseFor
// is exact.
func ParseResponse(cmd [2]byte, body []byte) (Response, error) {
	return parseResponse(cmd, body, respHint{})
}

// ParseResponseFor parses a response body to req, using req to resolve the
// response's shape (KQ/KW/A0 mode, BU KCV type, M6 MAC size, B2 length, and
// whether a trailer was sent).
func ParseResponseFor(req Request, body []byte) (Response, error) {
	var h respHint
	if hr, ok := req.(hinter); ok {
		h = hr.respHint()
	}
	c := req.Code()
	if len(c) != 2 {
		return nil, &ProtocolError{Msg: "request has no command code"}
	}
	return parseResponse([2]byte{c[0], c[1]}, body, h)
}

func parseResponse(cmd [2]byte, body []byte, h respHint) (Response, error) {
	rc := ResponseCode(cmd)
	spec, known := Lookup(cmd)
	name := printableCode(cmd[:])
	if len(body) < 4 {
		return nil, &ProtocolError{Cmd: name, Msg: "response shorter than its code and error code"}
	}
	if body[0] != rc[0] || body[1] != rc[1] {
		return nil, &ProtocolError{Cmd: name, Msg: "response code does not match the command"}
	}
	code := codeOf(body[2:4])
	if !code.Valid() {
		return nil, &ProtocolError{Cmd: name, Field: "errorCode", Msg: "malformed error code"}
	}
	if !known {
		return &RawResponse{RCode: string(rc[:]), Err: code, Rest: append([]byte(nil), body[4:]...)}, nil
	}
	p := getParser(spec.Code, body, 4)
	defer putParser(p)
	st := Status{Err: code}
	if code == OK && !spec.Binary {
		// Text response: fields never contain 0x19, so the trailer starts
		// at the first one.
		for j := 4; j < len(body); j++ {
			if body[j] == 0x19 {
				p.end = j
				break
			}
		}
	} else if code != OK {
		p.end = 4
	}
	r := spec.parseResponse(p, st, &h)
	if p.err == nil && p.i != p.end {
		p.fail(&fTrailing, InvalidInput)
	}
	t := p.trailer(body[p.end:])
	if p.err != nil {
		return nil, &ProtocolError{Cmd: p.cmd, Field: p.err.Field, Msg: "malformed response"}
	}
	setTrailer(r, t)
	return r, nil
}

// statusOf returns the Status embedded in a typed response.
func setTrailer(r Response, t Trailer) {
	if s, ok := r.(interface{ status() *Status }); ok {
		s.status().Trailer = t
	}
}

func (s *Status) status() *Status { return s }

// codeOf returns b as a Code, interning the common codes.
func codeOf(b []byte) Code {
	switch string(b) {
	case "00":
		return OK
	case "01":
		return VerifyFailed
	case "15":
		return InvalidInput
	case "68":
		return CommandDisabled
	}
	return Code(b)
}

// ProtocolError reports a conversation that broke: a response that does not
// follow the contract, a framing error, or a connection lost with requests
// in flight. It never carries a value or a frame.
type ProtocolError struct {
	Cmd   string // command code, when known
	Field string // response field at fault, when known
	Msg   string // what went wrong
	Err   error  // underlying cause, may be nil
}

// Error returns "hostcmd: CMD: field: msg: cause", leaving out empty parts.
func (e *ProtocolError) Error() string {
	s := "hostcmd: "
	if e.Cmd != "" {
		s += e.Cmd + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ProtocolError) Unwrap() error { return e.Err }

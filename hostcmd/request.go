package hostcmd

// Request is a typed host-command request: one of *NC, *NO, *B2, *A0, *BU,
// *CA, *CC, *JE, *JG, *BA, *NG, *DC, *EC, *DA, *EA, *CW, *CY, *KQ, *KW, *M6,
// *M8. AppendBody appends the body from the command code on, fields in wire
// order, then the %nn LMK identifier and trailer if set. AppendBody does not
// validate; ValidateRequest does.
type Request interface {
	Code() string
	AppendBody(dst []byte) []byte
}

// ParseRequest parses a request body (from the command code on, no header)
// into its typed struct, such as *CA. A bad field gives an *Error naming the
// field, with the contract's code for it (hostcmd.md §2, §4); an unknown
// command gives CommandDisabled (68). Hex is accepted in either case and
// stored upper case. ParseRequest does not keep a reference to body.
func ParseRequest(body []byte) (Request, error) {
	if len(body) < 2 {
		return nil, &Error{Code: InvalidInput, Field: "command"}
	}
	i := commandIndex([2]byte{body[0], body[1]})
	if i < 0 {
		return nil, &Error{Cmd: printableCode(body[:2]), Code: CommandDisabled}
	}
	p := newParser(commandTable[i].Code, body, 2)
	return parseRequest(i, &p)
}

// parseRequest dispatches on the table index.
func parseRequest(i int, p *parser) (Request, error) {
	var r Request
	switch i {
	case iNC:
		r = parseNC(p)
	case iNO:
		r = parseNO(p)
	case iB2:
		r = parseB2(p)
	case iA0:
		r = parseA0(p)
	case iBU:
		r = parseBU(p)
	case iCA:
		r = parseCA(p)
	case iCC:
		r = parseCC(p)
	case iJE:
		r = parseJE(p)
	case iJG:
		r = parseJG(p)
	case iBA:
		r = parseBA(p)
	case iNG:
		r = parseNG(p)
	case iDC:
		r = parseDC(p)
	case iEC:
		r = parseEC(p)
	case iDA:
		r = parseDA(p)
	case iEA:
		r = parseEA(p)
	case iCW:
		r = parseCW(p)
	case iCY:
		r = parseCY(p)
	case iKQ:
		r = parseKQ(p)
	case iKW:
		r = parseKW(p)
	case iM6:
		r = parseM6(p)
	case iM8:
		r = parseM8(p)
	}
	if p.err != nil {
		return nil, p.err
	}
	return r, nil
}

// ValidateRequest encodes req and parses it back, returning the *Error the
// HSM side would answer with, or nil. Use it on requests built from outside
// input before sending them.
func ValidateRequest(req Request) error {
	_, err := ParseRequest(req.AppendBody(nil))
	return err
}

// printableCode returns b as a string if it is printable, else "".
func printableCode(b []byte) string {
	for _, c := range b {
		if !isPrint(c) {
			return ""
		}
	}
	return string(b)
}

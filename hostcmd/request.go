package hostcmd

// Request is a typed host-command request: one of *NC, *NO, *B2, *A0, *BU,
// *CA, *CC, *JE, *JG, *BA, *NG, *DC, *EC, *DA, *EA, *CW, *CY, *KQ, *KW, *M6,
// *M8, *CI, *G0. AppendBody appends the body from the command code on, fields in wire
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
	spec, ok := Lookup([2]byte{body[0], body[1]})
	if !ok {
		return nil, &Error{Cmd: printableCode(body[:2]), Code: CommandDisabled}
	}
	p := getParser(spec.Code, body, 2)
	defer putParser(p)
	return spec.parse(p)
}

// parse runs the command's request parser over p.
func (s *CommandSpec) parse(p *parser) (Request, error) {
	r := s.parseRequest(p)
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

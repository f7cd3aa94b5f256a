package hostcmd

// The command table: every host command of the contract (hostcmd.md §4),
// declared once as data. The typed parsers read their
// fields through these FieldSpecs, so names, lengths and error codes live
// here only; TestParsersFollowTable checks that each parser reads the
// table's fields in the table's order.

// Key-field forms (hostcmd.md §2): a generic key field is a bare single key
// or a variant U/T key; X/Y are not accepted under the LMK by any command of
// the contract (ours: "only where a command allows it", and none does).
//
// Every key field under the LMK also takes an S key block (hostcmd-keyblocks.md §2):
// which of S and the variant forms is right depends on the LMK the HSM
// holds, which the codec does not know; the HSM answers A1 for the wrong one.
const (
	keysGeneric = KeySingle | KeyU | KeyT | KeyS
	keysPVKPVV  = KeyPair | KeyU | KeyS   // DC/EC PVK: 32H pair or U+32H
	keysPVKIBM  = KeySingle | KeyU | KeyS // DA/EA PVK: 16H single or U+32H
	keysCVK     = KeyPair | KeyU | KeyS   // CW/CY CVK: 32H pair or U+32H
	keysAny     = KeySingle | KeyU | KeyT | KeyX | KeyY | KeyS | KeyR
)

// Request and response fields.
var (
	// Shared key fields. All keys travel encrypted, but keys under the LMK
	// are treated as secret all the same (internal/redact).
	fTPK       = FieldSpec{Name: "tpk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "key type 002"}
	fZPK       = FieldSpec{Name: "zpk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "key type 001"}
	fSrcZPK    = FieldSpec{Name: "sourceZpk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "key type 001"}
	fDstZPK    = FieldSpec{Name: "destinationZpk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "key type 001"}
	fPVKPVV    = FieldSpec{Name: "pvk", Type: FieldKey, Keys: keysPVKPVV, Secret: true, Note: "key type 002; bare 32H pair or U+32H"}
	fPVKIBM    = FieldSpec{Name: "pvk", Type: FieldKey, Keys: keysPVKIBM, Secret: true, Note: "key type 002; 16H single or U+32H"}
	fCVK       = FieldSpec{Name: "cvk", Type: FieldKey, Keys: keysCVK, Secret: true, Note: "key type 402; bare 32H pair or U+32H"}
	fMKAC      = FieldSpec{Name: "mkAc", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "key type 109"}
	fMACKey    = FieldSpec{Name: "key", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "TAK (003) or ZAK (008)"}
	fZMK       = FieldSpec{Name: "zmkTmk", Type: FieldKey, Keys: keysGeneric, Secret: true, When: "mode 1"}
	fBUKey     = FieldSpec{Name: "key", Type: FieldKey, Keys: keysGeneric, Secret: true, Err: IncompatibleKeyLength, Note: "form must match the key length flag (else 27)"}
	fKeyLMK    = FieldSpec{Name: "keyUnderLmk", Type: FieldKey, Keys: keysGeneric, Secret: true}
	fKeyZMK    = FieldSpec{Name: "keyUnderZmk", Type: FieldKey, Keys: keysAny, Secret: true, When: "mode 1"}
	fDelim     = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1}
	fA0Delim   = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "mode 1, optional"}
	fDelimMode = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, Err: DataLengthError, When: "modes 0/1", Note: "misplaced: the data length is wrong (80)"}
	fDataDelim = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, Err: DataLengthError, Note: "misplaced: the data length is wrong (80)"}
	fDelimOptB = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "scheme 3 (option B)"}

	// PIN fields.
	fMaxPINLen   = FieldSpec{Name: "maxPinLength", Type: FieldN, Len: 2, Err: InvalidPINLength, Note: "04..12"}
	fPINBlock    = FieldSpec{Name: "pinBlock", Type: FieldH, Len: 16, Secret: true, Err: InvalidPINBlock}
	fSrcFormat   = FieldSpec{Name: "sourceFormat", Type: FieldN, Len: 2, Err: InvalidPINFormat, Note: "01, 03, 05, 34, 47"}
	fDstFormat   = FieldSpec{Name: "destinationFormat", Type: FieldN, Len: 2, Err: InvalidPINFormat, Note: "01, 03, 05, 34, 47"}
	fFormat      = FieldSpec{Name: "format", Type: FieldN, Len: 2, Err: InvalidPINFormat, Note: "01, 03, 05, 34, 47"}
	fAccount     = FieldSpec{Name: "account", Type: FieldN, Len: 12, Secret: true, Err: InvalidAccount, Note: "12 right-most PAN digits excluding the check digit"}
	fPINUnderLMK = FieldSpec{Name: "pinUnderLmk", Type: FieldN, MinLen: 5, MaxLen: 13, Secret: true, Err: InvalidLMKPIN, Note: "L = PIN length + 1; runs to the end of the fields"}
	fClearPIN    = FieldSpec{Name: "pin", Type: FieldH, MinLen: 5, MaxLen: 13, Secret: true, Note: "clear PIN digits (4..12, else 24) then F padding; the account's 12N follow"}
	fPINLen      = FieldSpec{Name: "pinLength", Type: FieldN, Len: 2, Note: "04..12"}
	fReference   = FieldSpec{Name: "referenceNumber", Type: FieldN, Len: 12, Secret: true}
	fPVKI        = FieldSpec{Name: "pvki", Type: FieldN, Len: 1}
	fPVV         = FieldSpec{Name: "pvv", Type: FieldN, Len: 4, Secret: true}
	fCheckLen    = FieldSpec{Name: "checkLength", Type: FieldN, Len: 2, Note: "04..12"}
	fDecTable    = FieldSpec{Name: "decimalisationTable", Type: FieldH, Len: 16, Secret: true, Err: DecimalizationError}
	fValidation  = FieldSpec{Name: "validationData", Type: FieldA, Len: 12, Secret: true, Note: "hex digits and exactly one N"}
	fOffset      = FieldSpec{Name: "offset", Type: FieldH, Len: 12, Secret: true, Note: "digits, F-padded on the right"}

	// Card fields.
	fPAN         = FieldSpec{Name: "pan", Type: FieldN, MinLen: 1, MaxLen: 19, Secret: true, Note: "ends at ';'"}
	fExpiry      = FieldSpec{Name: "expiry", Type: FieldN, Len: 4}
	fServiceCode = FieldSpec{Name: "serviceCode", Type: FieldN, Len: 3}
	fCVV         = FieldSpec{Name: "cvv", Type: FieldN, Len: 3, Secret: true}

	// Health.
	fNOMode      = FieldSpec{Name: "mode", Type: FieldN, Len: 2, Note: "00"}
	fLMKCheck    = FieldSpec{Name: "lmkCheckValue", Type: FieldH, Len: 16}
	fFirmware    = FieldSpec{Name: "firmware", Type: FieldA, Len: 9, Note: "nnnn-nnnn"}
	fIOBuffer    = FieldSpec{Name: "ioBufferSize", Type: FieldN, Len: 1}
	fEthernet    = FieldSpec{Name: "ethernetType", Type: FieldN, Len: 1, Note: "1 = TCP"}
	fTCPSockets  = FieldSpec{Name: "tcpSockets", Type: FieldN, Len: 2}
	fReservedNP1 = FieldSpec{Name: "reserved1", Type: FieldA, Len: 1}
	fReservedNP2 = FieldSpec{Name: "reserved2", Type: FieldA, Len: 4}
	fEchoLen     = FieldSpec{Name: "length", Type: FieldH, Len: 4, Note: "byte count of data"}
	fEchoData    = FieldSpec{Name: "data", Type: FieldB, MaxLen: MaxFrameLen, Note: "length bytes; in B3 up to the end of the body"}

	// Keys.
	fA0Mode      = FieldSpec{Name: "mode", Type: FieldH, Len: 1, Note: "0 generate, 1 generate and export"}
	fKeyType     = FieldSpec{Name: "keyType", Type: FieldH, Len: 3}
	fSchemeLMK   = FieldSpec{Name: "keySchemeLmk", Type: FieldA, Len: 1, Err: InvalidKeyScheme, Note: "Z, U or T; S under a key-block LMK"}
	fZMKFlag     = FieldSpec{Name: "zmkTmkFlag", Type: FieldN, Len: 1, When: "mode 1, optional after ';'", Note: "0 ZMK, 1 TMK"}
	fSchemeZMK   = FieldSpec{Name: "keySchemeZmk", Type: FieldA, Len: 1, Err: InvalidKeyScheme, When: "mode 1", Note: "Z, U, T, X or Y; R or S with key scheme (LMK) S"}
	fKCV6        = FieldSpec{Name: "kcv", Type: FieldH, Len: 6}
	fKeyTypeCode = FieldSpec{Name: "keyTypeCode", Type: FieldA, Len: 2, Err: InvalidKeyTypeCode, Note: "00..0E (LMK pair code) or FF"}
	fKeyLenFlag  = FieldSpec{Name: "keyLengthFlag", Type: FieldN, Len: 1, Err: InvalidKeyLengthFlag, Note: "0 single, 1 double, 2 triple"}
	fBUKeyType   = FieldSpec{Name: "keyType", Type: FieldH, Len: 3, When: "key type code FF, after ';'"}
	fBUDelimOpt  = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "optional: KCV type block"}
	fBUDelimType = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "key type code FF"}
	fReserved1   = FieldSpec{Name: "reserved1", Type: FieldA, Len: 1, When: "optional"}
	fReserved2   = FieldSpec{Name: "reserved2", Type: FieldA, Len: 1, When: "optional"}
	fKCVType     = FieldSpec{Name: "kcvType", Type: FieldN, Len: 1, When: "optional", Note: "0 = 16H, 1 = 6H"}
	fKCV         = FieldSpec{Name: "kcv", Type: FieldH, MinLen: 6, MaxLen: 16, Note: "16H, or 6H with KCV type 1"}

	// EMV.
	fKQMode    = FieldSpec{Name: "mode", Type: FieldN, Len: 1, Err: InvalidKeyTypeCode, Note: "0 verify, 1 verify + ARPC, 2 ARPC only (else 04)"}
	fKQScheme  = FieldSpec{Name: "scheme", Type: FieldN, Len: 1, Err: InvalidKeyLengthFlag, Note: "0 Visa CVN 10, 1 Mastercard (else 05)"}
	fKWMode    = FieldSpec{Name: "mode", Type: FieldN, Len: 1, Err: InvalidKeyTypeCode, Note: "0..4 (else 04)"}
	fKWScheme  = FieldSpec{Name: "scheme", Type: FieldN, Len: 1, Err: InvalidKeyLengthFlag, Note: "2 option A, 3 option B (else 05)"}
	fPANPSN    = FieldSpec{Name: "panPsn", Type: FieldB, Len: 8, Secret: true, Note: "right-most 16 digits of PAN+PSN, BCD"}
	fPANPSNA   = FieldSpec{Name: "panPsn", Type: FieldB, Len: 8, Secret: true, When: "scheme 2 (option A)", Note: "right-most 16 digits of PAN+PSN, BCD"}
	fPANLenB   = FieldSpec{Name: "panLength", Type: FieldN, Len: 2, When: "scheme 3 (option B)", Note: "digits of PAN+PSN, 01..21 (ours); (n+1)/2 BCD bytes follow"}
	fPANB      = FieldSpec{Name: "panPsn", Type: FieldB, MinLen: 1, MaxLen: 11, Secret: true, When: "scheme 3 (option B)", Note: "PAN+PSN, BCD"}
	fATC       = FieldSpec{Name: "atc", Type: FieldB, Len: 2}
	fUN        = FieldSpec{Name: "un", Type: FieldB, Len: 4}
	fKQDataLen = FieldSpec{Name: "dataLength", Type: FieldH, Len: 2, Err: DataLengthError, When: "modes 0/1", Note: "01..FF"}
	fKQData    = FieldSpec{Name: "data", Type: FieldB, MinLen: 1, MaxLen: 255, Err: DataLengthError, When: "modes 0/1"}
	fKWDataLen = FieldSpec{Name: "dataLength", Type: FieldH, Len: 2, Err: DataLengthError, Note: "01..FF"}
	fKWData    = FieldSpec{Name: "data", Type: FieldB, MinLen: 1, MaxLen: 255, Err: DataLengthError}
	fARQC      = FieldSpec{Name: "arqc", Type: FieldB, Len: 8, Secret: true}
	fARC       = FieldSpec{Name: "arc", Type: FieldB, Len: 2, When: "modes 1/2"}
	fCSU       = FieldSpec{Name: "csu", Type: FieldB, Len: 4, When: "modes 3/4"}
	fPADLen    = FieldSpec{Name: "propAuthDataLength", Type: FieldH, Len: 1, When: "modes 3/4"}
	fPAD       = FieldSpec{Name: "propAuthData", Type: FieldB, MaxLen: 15, When: "modes 3/4"}
	fARPC8     = FieldSpec{Name: "arpc", Type: FieldB, Len: 8, Secret: true, When: "modes 1/2"}
	fARPC4     = FieldSpec{Name: "arpc", Type: FieldB, Len: 4, Secret: true, When: "modes 3/4 (ARPC method 2)"}

	// MAC.
	fMACMode    = FieldSpec{Name: "mode", Type: FieldN, Len: 1, Note: "0 (only block)"}
	fInputFmt   = FieldSpec{Name: "inputFormat", Type: FieldN, Len: 1, Note: "0 binary, 1 hex"}
	fMACSize    = FieldSpec{Name: "macSize", Type: FieldN, Len: 1, Note: "0 = 8H, 1 = 16H"}
	fMACAlg     = FieldSpec{Name: "algorithm", Type: FieldN, Len: 1, Note: "1 ISO 9797-1 alg 1, 3 alg 3"}
	fPadding    = FieldSpec{Name: "padding", Type: FieldN, Len: 1, Note: "0 none, 1 method 1, 2 method 2"}
	fMACKeyType = FieldSpec{Name: "keyType", Type: FieldH, Len: 3, Note: "003 TAK, 008 ZAK"}
	fMsgLen     = FieldSpec{Name: "messageLength", Type: FieldH, Len: 4, Err: DataLengthError, Note: "bytes of the decoded message, 0001..FFFF"}
	fMsg        = FieldSpec{Name: "message", Type: FieldB, MinLen: 1, MaxLen: MaxFrameLen, Secret: true, Note: "binary, or hex (two characters a byte) with input format 1"}
	fMAC        = FieldSpec{Name: "mac", Type: FieldH, MinLen: 8, MaxLen: 16, Secret: true, Note: "8H with MAC size 0, 16H with 1"}
)

// CommandSpec declares one host command: codes, name, handling flags and
// its request and response fields in wire order (hostcmd.md §4).
type CommandSpec struct {
	Code     string // command code, e.g. "CA"
	Response string // response code: second character + 1, e.g. "CB"
	Name     string // what the command does
	// RetrySafe: a request that was written but got no answer may be sent
	// again, to the same or another HSM. True for every
	// stateless verification, translation, generation and health command;
	// A0 too (ours): a lost answer's key was never delivered, so generating
	// another one is harmless. False for BA and NG (ours): a clear PIN
	// crosses the wire once.
	RetrySafe bool
	// ClearPIN: the command carries a clear PIN (BA in, NG out); the gateway
	// refuses it with 68 unless configured to allow it (hostcmd.md §4).
	ClearPIN bool
	// Binary: the request and response bodies carry raw bytes (B2, KQ,
	// KW), so a 0x19 in them may be data: their trailer cannot be found by
	// looking for the first 0x19.
	Binary bool
	// RequestFields are the fields after the command code, in wire order,
	// before the optional %nn and trailer.
	RequestFields []FieldSpec
	// ResponseFields are the fields after ERR on success (ERR 00), before
	// the optional trailer. Error responses carry none (hostcmd.md §1).
	ResponseFields []FieldSpec
	// Errors lists the error codes the contract names for the command,
	// besides 00 and the 13/15/68 any command may answer.
	Errors []Code

	// parseRequest reads the fields after the command code and the
	// envelope; a failure is left in p.err.
	parseRequest func(p *parser) Request
	// parseResponse reads the fields after ERR; st carries ERR, and when it
	// is not 00 the parser reads nothing. h is what the request said about
	// the response's shape (h.known false: parse without it).
	parseResponse func(p *parser, st Status, h *respHint) Response
}

// Adapters from the typed parsers to the table's two signatures.

func request[R Request](f func(*parser) R) func(*parser) Request {
	return func(p *parser) Request { return f(p) }
}

func noHint[R Response](f func(*parser, Status) R) func(*parser, Status, *respHint) Response {
	return func(p *parser, st Status, _ *respHint) Response { return f(p, st) }
}

func withHint[R Response](f func(*parser, Status, *respHint) R) func(*parser, Status, *respHint) Response {
	return func(p *parser, st Status, h *respHint) Response { return f(p, st, h) }
}

// statusOnly parses a response with no fields (a verification's).
func statusOnly[T any, R interface {
	*T
	Response
	status() *Status
}](_ *parser, st Status, _ *respHint) Response {
	r := R(new(T))
	*r.status() = st
	return r
}

var pinErrors = []Code{SourceKeyParity, DestKeyParity, InvalidLMKPIN, InvalidInput, InvalidPINBlock, InvalidAccount, InvalidPINFormat, InvalidPINLength}
var dukptErrors = []Code{SourceKeyParity, DestKeyParity, InvalidPINBlock, InvalidPINFormat, InvalidPINLength, IncompatibleKeyLength}
var verifyErrors = []Code{VerifyFailed, SourceKeyParity, DestKeyParity, InvalidPINBlock, InvalidAccount, InvalidPINFormat, InvalidPINLength, IncompatibleKeyLength}

// commandTable is never modified: Lookup hands out pointers into it that
// callers must treat as read-only.
var commandTable = [...]CommandSpec{
	{Code: "NC", Response: "ND", Name: "perform diagnostics",
		parseRequest: request(parseNC), parseResponse: noHint(parseND), RetrySafe: true,
		ResponseFields: []FieldSpec{fLMKCheck, fFirmware}},
	{Code: "NO", Response: "NP", Name: "HSM status",
		parseRequest: request(parseNO), parseResponse: noHint(parseNP), RetrySafe: true,
		RequestFields:  []FieldSpec{fNOMode},
		ResponseFields: []FieldSpec{fIOBuffer, fEthernet, fTCPSockets, fFirmware, fReservedNP1, fReservedNP2}},
	{Code: "B2", Response: "B3", Name: "echo",
		parseRequest: request(parseB2), parseResponse: withHint(parseB3), RetrySafe: true, Binary: true,
		RequestFields:  []FieldSpec{fEchoLen, fEchoData},
		ResponseFields: []FieldSpec{fEchoData}},
	{Code: "A0", Response: "A1", Name: "generate a key",
		parseRequest: request(parseA0), parseResponse: withHint(parseA1), RetrySafe: true,
		RequestFields:  []FieldSpec{fA0Mode, fKeyType, fSchemeLMK, fA0Delim, fZMKFlag, fZMK, fSchemeZMK},
		ResponseFields: []FieldSpec{fKeyLMK, fKeyZMK, fKCV6},
		Errors:         append([]Code{InvalidKeyTypeCode, SourceKeyParity, InvalidKeyScheme}, keyBlockErrors...)},
	{Code: "A6", Response: "A7", Name: "import a key from under a ZMK (key-block LMK)",
		parseRequest: request(parseA6), parseResponse: noHint(parseA7), RetrySafe: true,
		RequestFields:  []FieldSpec{fKeyType, fA6ZMK, fA6Key, fA6SchemeLMK},
		ResponseFields: []FieldSpec{fKeyLMK, fKCV6},
		Errors:         append([]Code{InvalidKeyScheme}, keyBlockErrors...)},
	{Code: "A8", Response: "A9", Name: "export a key under a ZMK (key-block LMK)",
		parseRequest: request(parseA8), parseResponse: noHint(parseA9), RetrySafe: true,
		RequestFields:  []FieldSpec{fKeyType, fA8Delim, fZMKFlag, fA8ZMK, fA8Key, fA8SchemeZMK},
		ResponseFields: []FieldSpec{fA9Key, fKCV6},
		Errors:         append([]Code{InvalidKeyScheme}, keyBlockErrors...)},
	{Code: "BU", Response: "BV", Name: "generate a key check value",
		parseRequest: request(parseBU), parseResponse: withHint(parseBV), RetrySafe: true,
		RequestFields:  []FieldSpec{fKeyTypeCode, fKeyLenFlag, fBUKey, fBUDelimType, fBUKeyType, fBUDelimOpt, fReserved1, fReserved2, fKCVType},
		ResponseFields: []FieldSpec{fKCV},
		Errors:         []Code{InvalidKeyTypeCode, InvalidKeyLengthFlag, SourceKeyParity, IncompatibleKeyLength}},
	{Code: "CA", Response: "CB", Name: "translate a PIN from TPK to ZPK",
		parseRequest: request(parseCA), parseResponse: noHint(parseCB), RetrySafe: true,
		RequestFields:  []FieldSpec{fTPK, fZPK, fMaxPINLen, fPINBlock, fSrcFormat, fDstFormat, fAccount, fPANDelim},
		ResponseFields: []FieldSpec{fPINLen, fPINBlock, fDstFormat},
		Errors:         pinErrors},
	{Code: "CC", Response: "CD", Name: "translate a PIN from ZPK to ZPK",
		parseRequest: request(parseCC), parseResponse: noHint(parseCD), RetrySafe: true,
		RequestFields:  []FieldSpec{fSrcZPK, fDstZPK, fMaxPINLen, fPINBlock, fSrcFormat, fDstFormat, fAccount, fPANDelim},
		ResponseFields: []FieldSpec{fPINLen, fPINBlock, fDstFormat},
		Errors:         pinErrors},
	{Code: "JE", Response: "JF", Name: "translate a PIN from ZPK to LMK",
		parseRequest: request(parseJE), parseResponse: noHint(parseJF), RetrySafe: true,
		RequestFields:  []FieldSpec{fZPK, fPINBlock, fFormat, fAccount, fPANDelim},
		ResponseFields: []FieldSpec{fPINUnderLMK},
		Errors:         pinErrors},
	{Code: "JG", Response: "JH", Name: "translate a PIN from LMK to ZPK",
		parseRequest: request(parseJG), parseResponse: noHint(parseJH), RetrySafe: true,
		RequestFields:  []FieldSpec{fZPK, fFormat, fAccount, fPANDelim, fPINUnderLMK},
		ResponseFields: []FieldSpec{fPINBlock},
		Errors:         pinErrors},
	{Code: "BA", Response: "BB", Name: "encrypt a clear PIN",
		parseRequest: request(parseBA), parseResponse: noHint(parseBB), ClearPIN: true,
		RequestFields:  []FieldSpec{fClearPIN, fAccount},
		ResponseFields: []FieldSpec{fPINUnderLMK},
		Errors:         pinErrors},
	{Code: "NG", Response: "NH", Name: "decrypt an encrypted PIN",
		parseRequest: request(parseNG), parseResponse: noHint(parseNH), ClearPIN: true,
		RequestFields:  []FieldSpec{fAccount, fPINUnderLMK},
		ResponseFields: []FieldSpec{fClearPIN, fReference},
		Errors:         pinErrors},
	{Code: "DC", Response: "DD", Name: "verify a terminal PIN by Visa PVV",
		parseRequest: request(parseDC), parseResponse: statusOnly[DD], RetrySafe: true,
		RequestFields: []FieldSpec{fTPK, fPVKPVV, fPINBlock, fFormat, fAccount, fPANDelim, fPVKI, fPVV},
		Errors:        verifyErrors},
	{Code: "EC", Response: "ED", Name: "verify an interchange PIN by Visa PVV",
		parseRequest: request(parseEC), parseResponse: statusOnly[ED], RetrySafe: true,
		RequestFields: []FieldSpec{fZPK, fPVKPVV, fPINBlock, fFormat, fAccount, fPANDelim, fPVKI, fPVV},
		Errors:        verifyErrors},
	{Code: "DA", Response: "DB", Name: "verify a terminal PIN by IBM 3624 offset",
		parseRequest: request(parseDA), parseResponse: statusOnly[DB], RetrySafe: true,
		RequestFields: []FieldSpec{fTPK, fPVKIBM, fMaxPINLen, fPINBlock, fFormat, fCheckLen, fAccount, fPANDelim, fDecTable, fValidation, fOffset},
		Errors:        append(verifyErrors[:len(verifyErrors):len(verifyErrors)], DecimalizationError)},
	{Code: "EA", Response: "EB", Name: "verify an interchange PIN by IBM 3624 offset",
		parseRequest: request(parseEA), parseResponse: statusOnly[EB], RetrySafe: true,
		RequestFields: []FieldSpec{fZPK, fPVKIBM, fMaxPINLen, fPINBlock, fFormat, fCheckLen, fAccount, fPANDelim, fDecTable, fValidation, fOffset},
		Errors:        append(verifyErrors[:len(verifyErrors):len(verifyErrors)], DecimalizationError)},
	{Code: "CW", Response: "CX", Name: "generate a card verification value",
		parseRequest: request(parseCW), parseResponse: noHint(parseCX), RetrySafe: true,
		RequestFields:  []FieldSpec{fCVK, fPAN, fDelim, fExpiry, fServiceCode},
		ResponseFields: []FieldSpec{fCVV},
		Errors:         []Code{SourceKeyParity, IncompatibleKeyLength}},
	{Code: "CY", Response: "CZ", Name: "verify a card verification value",
		parseRequest: request(parseCY), parseResponse: statusOnly[CZ], RetrySafe: true,
		RequestFields: []FieldSpec{fCVK, fCVV, fPAN, fDelim, fExpiry, fServiceCode},
		Errors:        []Code{VerifyFailed, SourceKeyParity, IncompatibleKeyLength}},
	{Code: "KQ", Response: "KR", Name: "verify an ARQC and/or generate an ARPC (Visa CVN 10, Mastercard)",
		parseRequest: request(parseKQ), parseResponse: withHint(parseKR), RetrySafe: true, Binary: true,
		RequestFields:  []FieldSpec{fKQMode, fKQScheme, fMKAC, fPANPSN, fATC, fUN, fKQDataLen, fKQData, fDelimMode, fARQC, fARC},
		ResponseFields: []FieldSpec{fARPC8},
		Errors:         []Code{VerifyFailed, InvalidKeyTypeCode, InvalidKeyLengthFlag, SourceKeyParity, DataLengthError}},
	{Code: "KW", Response: "KX", Name: "verify an ARQC and/or generate an ARPC (EMV common session key)",
		parseRequest: request(parseKW), parseResponse: withHint(parseKX), RetrySafe: true, Binary: true,
		RequestFields:  []FieldSpec{fKWMode, fKWScheme, fMKAC, fPANPSNA, fPANLenB, fPANB, fDelimOptB, fATC, fKWDataLen, fKWData, fDataDelim, fARQC, fARC, fCSU, fPADLen, fPAD},
		ResponseFields: []FieldSpec{fARPC8, fARPC4},
		Errors:         []Code{VerifyFailed, InvalidKeyTypeCode, InvalidKeyLengthFlag, SourceKeyParity, DataLengthError}},
	{Code: "M6", Response: "M7", Name: "generate a MAC",
		parseRequest: request(parseM6), parseResponse: withHint(parseM7), RetrySafe: true,
		RequestFields:  []FieldSpec{fMACMode, fInputFmt, fMACSize, fMACAlg, fPadding, fMACKeyType, fMACKey, fMsgLen, fMsg},
		ResponseFields: []FieldSpec{fMAC},
		Errors:         []Code{SourceKeyParity, DataLengthError}},
	{Code: "M8", Response: "M9", Name: "verify a MAC",
		parseRequest: request(parseM8), parseResponse: statusOnly[M9], RetrySafe: true,
		RequestFields: []FieldSpec{fMACMode, fInputFmt, fMACSize, fMACAlg, fPadding, fMACKeyType, fMACKey, fMsgLen, fMsg, fMAC},
		Errors:        []Code{VerifyFailed, SourceKeyParity, DataLengthError}},
	{Code: "CI", Response: "CJ", Name: "translate a PIN from TDES DUKPT to ZPK",
		parseRequest: request(parseCI), parseResponse: noHint(parseCJ), RetrySafe: true,
		RequestFields:  []FieldSpec{fBDK, fZPK, fKSNDesc, fKSN, fDUKPTBlock, fDstFormat, fDUKPTAccount},
		ResponseFields: []FieldSpec{fPINLen, fPINBlock, fDstFormat},
		Errors:         dukptErrors},
	{Code: "G0", Response: "G1", Name: "translate a PIN from DUKPT (TDES or AES) to ZPK",
		parseRequest: request(parseG0), parseResponse: noHint(parseG1), RetrySafe: true,
		RequestFields:  []FieldSpec{fBDK, fZPK, fKSNDesc, fKSN, fDUKPTBlock, fDUKPTSrcFmt, fDstFormat, fDUKPTAccount, fDUKPTPAN, fDUKPTDelim},
		ResponseFields: []FieldSpec{fPINLen, fPINBlock, fDstFormat},
		Errors:         dukptErrors},
	{Code: "GO", Response: "GP", Name: "verify a DUKPT terminal PIN by IBM 3624 offset",
		parseRequest: request(parseGO), parseResponse: statusOnly[GP], RetrySafe: true,
		RequestFields: []FieldSpec{fBDK, fPVKIBM, fKSNDesc, fKSN, fDUKPTBlock, fCheckLen, fDUKPTAccount, fDUKPTPAN, fDUKPTDelim, fDecTable, fValidation, fOffset},
		Errors:        dukptVerifyErrors(DecimalizationError)},
	{Code: "GQ", Response: "GR", Name: "verify a DUKPT terminal PIN by Visa PVV",
		parseRequest: request(parseGQ), parseResponse: statusOnly[GR], RetrySafe: true,
		RequestFields: []FieldSpec{fBDK, fPVKPVV, fKSNDesc, fKSN, fDUKPTBlock, fDUKPTAccount, fDUKPTPAN, fDUKPTDelim, fPVKI, fPVV},
		Errors:        dukptVerifyErrors()},
	{Code: "GW", Response: "GX", Name: "verify a DUKPT terminal MAC",
		parseRequest: request(parseGW), parseResponse: statusOnly[GX], RetrySafe: true,
		RequestFields: []FieldSpec{fBDK, fKSNDesc, fKSN, fDUKPTMACKey, fDUKPTMACSize, fDUKPTMsgLen, fDUKPTMsg, fMAC},
		Errors:        []Code{VerifyFailed, SourceKeyParity, IncompatibleKeyLength, DataLengthError}},
}

// commandIdx maps a command code (first byte << 8 | second) to its
// position in commandTable plus one; 0 is a code the table does not know.
// It is built once from the table, which is the only list of codes.
var commandIdx = indexCommands()

func indexCommands() *[1 << 16]uint8 {
	if len(commandTable) > 255 {
		panic("hostcmd: command table longer than its index")
	}
	var idx [1 << 16]uint8
	for i := range commandTable {
		c := &commandTable[i]
		k := codeKey(c.Code)
		if len(c.Code) != 2 || idx[k] != 0 || c.parseRequest == nil || c.parseResponse == nil {
			panic("hostcmd: command table: bad or repeated entry " + c.Code)
		}
		idx[k] = uint8(i + 1)
	}
	return &idx
}

func codeKey(code string) int {
	if len(code) != 2 {
		return 0
	}
	return int(code[0])<<8 | int(code[1])
}

// CommandIndex returns the position of code in the command table (and in
// Commands()), or -1 for a code the table does not know. It does not
// allocate: callers keep per-command state in a slice indexed by it.
func CommandIndex(code [2]byte) int {
	return int(commandIdx[int(code[0])<<8|int(code[1])]) - 1
}

// NumCommands is the number of commands in the table.
func NumCommands() int { return len(commandTable) }

// Lookup returns the table entry for a command code. It does not allocate.
// The returned spec is shared and must not be modified.
func Lookup(code [2]byte) (*CommandSpec, bool) {
	i := CommandIndex(code)
	if i < 0 {
		return nil, false
	}
	return &commandTable[i], true
}

// Commands returns a copy of the command table, in contract order; the
// caller may modify it freely.
func Commands() []CommandSpec {
	out := make([]CommandSpec, len(commandTable))
	for i, c := range commandTable {
		c.RequestFields = append([]FieldSpec(nil), c.RequestFields...)
		c.ResponseFields = append([]FieldSpec(nil), c.ResponseFields...)
		c.Errors = append([]Code(nil), c.Errors...)
		out[i] = c
	}
	return out
}

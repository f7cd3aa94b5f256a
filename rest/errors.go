package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// Error codes of the error body (rest.md "Errors"; the finer split of 400
// codes is ours).
const (
	CodeInvalidRequest   = "invalid_request"    // 400: not a JSON object, truncated, trailing data
	CodeUnknownField     = "unknown_field"      // 400: a field the operation does not define
	CodeMissingField     = "missing_field"      // 400: a required field is absent or null
	CodeInvalidField     = "invalid_field"      // 400: wrong type, bad hex, bad length, bad value
	CodeKCVMismatch      = "kcv_mismatch"       // 400: the HSM's KCV differs from the expected one
	CodeKeyTypeMismatch  = "key_type_mismatch"  // 400: a key of the wrong type for the field
	CodeInvalidKey       = "invalid_key"        // 400: HSM 10/11 (parity), 26/27/28 (scheme, length, type), the key-block codes A1-AC, B3, BB, BC
	CodeInvalidPINBlock  = "invalid_pin_block"  // 400: HSM 20, 24 (PIN block does not decode)
	CodeHSMRejected      = "hsm_rejected"       // 400: any other HSM error code
	CodeUnauthorized     = "unauthorized"       // 401: no or unknown credentials
	CodeForbidden        = "forbidden"          // 403: authenticated but not allowed
	CodeNotFound         = "not_found"          // 404: unknown alias or route
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeAliasExists      = "alias_exists"       // 409
	CodeBodyTooLarge     = "body_too_large"     // 413: body over MaxBodyBytes
	CodeUnavailable      = "unavailable"        // 503: no HSM could serve in time (Retry-After)
	CodeBadGateway       = "hsm_protocol_error" // 502: an HSM answer the gateway cannot parse
	CodeInternal         = "internal"           // 500
)

// apiError is an error answered to the client. Its message is a fixed
// phrase that never carries a request value.
type apiError struct {
	status   int
	code     string
	message  string
	field    string
	hsmError hostcmd.Code
}

func (e *apiError) Error() string {
	s := "rest: " + e.code
	if e.field != "" {
		s += ": " + e.field
	}
	return s + ": " + e.message
}

// errorBody is the JSON error body of rest.md.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Field    string `json:"field,omitempty"`
	HSMError string `json:"hsmError,omitempty"`
}

func badField(field, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: CodeInvalidField, field: field, message: message}
}

func missingField(field string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: CodeMissingField, field: field, message: "is required"}
}

func notFound(field, message string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeNotFound, field: field, message: message}
}

// retryAfterSeconds is the Retry-After of a 503 (ours: HSM capacity frees
// within a second when the pool's queue is the cause).
const retryAfterSeconds = 1

func unavailable(message string) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, code: CodeUnavailable, message: message}
}

// writeError answers e as the rest.md error body.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payhsm-gw"`)
	}
	writeJSON(w, e.status, errorBody{Error: errorDetail{
		Code: e.code, Message: e.message, Field: e.field, HSMError: string(e.hsmError),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Response types are ours and always marshal; this is a bug.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"response encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// hsmFields maps an HSM error code to the request field it blames, per
// command; codes not listed blame no field.
type hsmFields map[hostcmd.Code]string

// fromExecError turns an error of the executor or of a response parser into
// an apiError: code 41, a context deadline or a pool failure is 503; any
// other HSM code is a 400 naming the field fields blames.
func fromExecError(err error, fields hsmFields) *apiError {
	var he *hostcmd.Error
	if errors.As(err, &he) {
		return fromHSMCode(he.Code, fields)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable("no HSM answered in time")
	}
	var pe *protocolError
	if errors.As(err, &pe) {
		return &apiError{status: http.StatusBadGateway, code: CodeBadGateway, message: "the HSM answer could not be parsed"}
	}
	return unavailable("no HSM could serve the request")
}

func fromHSMCode(code hostcmd.Code, fields hsmFields) *apiError {
	e := &apiError{status: http.StatusBadRequest, code: CodeHSMRejected, hsmError: code, field: fields[code], message: code.Description()}
	switch code {
	case hostcmd.InternalError:
		return &apiError{status: http.StatusServiceUnavailable, code: CodeUnavailable, hsmError: code, message: "no HSM could serve the request in time"}
	case hostcmd.SourceKeyParity, hostcmd.DestKeyParity, hostcmd.InvalidKeyScheme,
		hostcmd.IncompatibleKeyLength, hostcmd.InvalidKeyType, hostcmd.KeyFunctionNotAllowed,
		// A key block the HSM refuses (hostcmd-keyblocks.md §3).
		hostcmd.IncompatibleLMK, hostcmd.KeyBlockLMKID, hostcmd.KeyBlockMAC, hostcmd.KeyBlockLength,
		hostcmd.KeyUsageNotAllowed, hostcmd.KeyAlgorithmMismatch, hostcmd.ModeOfUseNotAllowed,
		hostcmd.KeyBlockVersion, hostcmd.ExportNotAllowed, hostcmd.OptionalBlockCount,
		hostcmd.KeyBlockHeader, hostcmd.OptionalBlockRefused, hostcmd.KBPKMismatch, hostcmd.RepeatedOptionalBlock:
		e.code = CodeInvalidKey
	case hostcmd.InvalidPINBlock, hostcmd.InvalidPINLength:
		e.code = CodeInvalidPINBlock
	case hostcmd.InvalidInput, hostcmd.InvalidAccount, hostcmd.InvalidPINFormat,
		hostcmd.DataLengthError, hostcmd.DecimalizationError:
		e.code = CodeInvalidField
	}
	return e
}

// protocolError is an HSM answer that does not parse.
type protocolError struct{ cmd string }

func (e *protocolError) Error() string { return "rest: malformed " + e.cmd + " answer" }

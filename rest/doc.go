// Package rest is the gateway's REST/JSON API for processors, exactly as
// docs/spec/rest.md fixes it, in the shape of the AWS Payment Cryptography
// data plane: one POST per operation, keys by alias or inline LMK
// cryptogram, the check value of every key used echoed in the answer.
// New returns the http.Handler (gorilla/mux); NewServer wraps it in an
// http.Server with the recommended limits.
//
// # Operations and host commands
//
// Every operation is carried out by host commands through the Executor
// (normally the HSM pool); the gateway never sees a clear key or PIN.
//
//	POST /v1/pin/translate      CC (ZPK->ZPK) or CA (TPK->ZPK)
//	POST /v1/pin/verify         EC/DC (Visa PVV), EA/DA (IBM 3624 offset)
//	POST /v1/card/verify        CY   (cvv, cvv2 = service code 000, icvv = 999)
//	POST /v1/card/generate      CW
//	POST /v1/cryptogram/verify  KQ or KW, as the profile (emv.LookupProfile) says;
//	                            the gateway adds the profile's padding
//	POST /v1/3ds/cavv/verify    CY with the CAVV mapping (Visa CAVV algorithm 2)
//	POST /v1/iso8583/authorize  the checks above for an ISO 8583 message's fields 52, 55, 35
//	POST /v1/mac/generate       M6
//	POST /v1/mac/verify         M8
//	POST /v1/keys               A0 (generate) or BU (import, KCV checked)
//	GET  /v1/keys, GET and DELETE /v1/keys/{alias}, GET /v1/hsms
//	GET  /healthz, /readyz, /metrics, /openapi.json
//
// Verification outcomes are results: 200 with "verified": true|false
// (HSM code 01 is false, not an error).
//
// # Key check values (ours)
//
// An alias's KCV is the registry's, computed when it was registered. An
// inline key's KCV is computed once with BU and cached by the SHA-256 of its
// key type code and cryptogram (the cache holds no cryptogram), bounded by
// Config.KCVCacheSize; a BU failure names the key field in a 400.
//
// # Errors
//
// {"error": {"code", "message", "field", "hsmError"}}: 400 names the first
// bad field — unknown fields, fields given twice, wrong JSON types, a
// truncated body, bad hex, bad lengths — (codes invalid_request,
// unknown_field, missing_field, invalid_field, key_type_mismatch,
// kcv_mismatch, and for HSM answers invalid_key, invalid_pin_block,
// hsm_rejected with hsmError); 401 and 403 for authentication; 404 for an
// unknown alias or route; 405; 409 when an alias exists; 413 for a body over
// 64 KiB; 502 for an HSM answer that does not parse; 503 with Retry-After
// when no HSM could serve in time (pool error 41, or the operation's
// deadline). Messages are fixed phrases: they never carry a request value.
//
// # Security
//
// /v1 requires an API key (SHA-256 stored, compared with
// crypto/subtle.ConstantTimeCompare against every configured hash) or a
// verified TLS client certificate with an allowed CN or DNS SAN; key
// management needs ManageKeys. Auth.Disabled turns this off, for a
// loopback-only listener. X-Request-Id is echoed, or generated when absent
// or unsafe (over 64 characters, characters outside A-Z a-z 0-9 . _ : -, or
// 13 digits in a row, which could be a PAN).
//
// Secret values — keys under the LMK, PIN blocks, PANs, CVVs, PVVs,
// offsets, ARQCs, MACs — are held in redact.String fields in the request
// types and never reach a log line, a metric label, an audit record (the
// PAN is masked to first six and last four) or an error body. The only
// secret comparison made here, an expected KCV on import, is constant time;
// every other check is the HSM's.
package rest

package rest

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/registry"
)

type keyCreateRequest struct {
	Alias      string        `json:"alias"`
	KeyType    string        `json:"keyType"`
	Generate   bool          `json:"generate"`
	Cryptogram redact.String `json:"cryptogram"`
	KCV        string        `json:"kcv"`
	TR31       *tr31Import   `json:"tr31"`
}

// keyRecord is a registered key as the API shows it: never a clear key.
type keyRecord struct {
	Alias      string    `json:"alias"`
	KeyType    string    `json:"keyType"`
	Cryptogram string    `json:"cryptogram"`
	KCV        string    `json:"kcv"`
	Scheme     string    `json:"scheme"`
	Usage      string    `json:"usage,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

type keyListResponse struct {
	Keys []keyRecord `json:"keys"`
}

func recordOf(r registry.Record) keyRecord {
	out := keyRecord{Alias: AliasPrefix + r.Alias, KeyType: r.KeyType, Cryptogram: r.Cryptogram.Reveal(),
		KCV: r.KCV, Scheme: r.Scheme, Usage: r.Usage, CreatedAt: r.CreatedAt}
	if out.Scheme == "" {
		// Records written before the scheme was kept.
		out.Scheme = schemeOf(out.Cryptogram)
	}
	if out.Usage == "" {
		out.Usage = blockUsage(out.Cryptogram)
	}
	return out
}

// registryFailed answers a registry failure: 503 with Retry-After when a
// shared registry cannot reach its store (the write may be retried), 500
// otherwise.
func registryFailed(s *server, rc *reqCtx, err error) *apiError {
	s.log.Error("rest: registry failed", "requestId", rc.requestID, "err", err)
	if errors.Is(err, registry.ErrUnavailable) {
		return unavailable("key registry unavailable")
	}
	return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "key registry unavailable"}
}

// keyCreate is POST /v1/keys: register a key generated on the HSM (A0),
// imported as a cryptogram whose KCV the HSM computes (BU) and, when the
// caller gives one, must match, or imported from a TR-31 block under a KEK
// (A6, keyImport).
func (s *server) keyCreate(rc *reqCtx, body []byte) (int, any, *apiError) {
	var req keyCreateRequest
	if e := decodeRequest(body, &req); e != nil {
		return 0, nil, e
	}
	alias := strings.TrimPrefix(req.Alias, AliasPrefix)
	if req.Alias == "" {
		return 0, nil, missingField("alias")
	}
	if !registry.ValidAlias(alias) {
		return 0, nil, badField("alias", "must be 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit")
	}
	if e := oneOf("keyType", req.KeyType, keyTypeNames...); e != nil {
		return 0, nil, e
	}
	if req.TR31 != nil {
		return s.keyImport(rc, &req, alias)
	}
	code, _ := keyTypeCode(req.KeyType)
	cryptogram := req.Cryptogram.Reveal()
	switch {
	case req.Generate && cryptogram != "":
		return 0, nil, badField("cryptogram", "is not given with generate")
	case !req.Generate && cryptogram == "":
		return 0, nil, missingField("cryptogram")
	case req.Generate && req.KCV != "":
		return 0, nil, badField("kcv", "is not given with generate")
	case !req.Generate && !inlineCryptogram(cryptogram):
		return 0, nil, badField("cryptogram", `must be a key under the LMK ("U" + 32H, "T" + 48H or 16H)`)
	}
	want, e := kcvField(req.KCV)
	if e != nil {
		return 0, nil, e
	}
	if e := s.aliasFree(rc, alias); e != nil {
		return 0, nil, e
	}
	var kcv string
	if req.Generate {
		var err error
		cryptogram, kcv, err = s.generateKey(rc, code)
		if err != nil {
			return 0, nil, fromExecError(err, hsmFields{})
		}
	} else {
		cryptogram = strings.ToUpper(cryptogram)
		var err error
		kcv, err = s.checkValue(rc, code, cryptogram)
		if err != nil {
			return 0, nil, fromExecError(err, hsmFields{
				hostcmd.SourceKeyParity: "cryptogram", hostcmd.DestKeyParity: "cryptogram",
				hostcmd.InvalidInput: "cryptogram", hostcmd.InvalidKeyScheme: "cryptogram",
				hostcmd.IncompatibleKeyLength: "cryptogram",
			})
		}
		if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(kcv)) != 1 {
			return 0, nil, &apiError{status: http.StatusBadRequest, code: CodeKCVMismatch, field: "kcv",
				message: "the key's check value on the HSM differs from the one given"}
		}
	}
	rec, err := s.reg.Create(registry.Record{Alias: alias, KeyType: req.KeyType,
		Cryptogram: redact.String(cryptogram), KCV: kcv, Scheme: schemeOf(cryptogram)})
	if errors.Is(err, registry.ErrExists) {
		return 0, nil, aliasExists()
	}
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	s.log.Info("rest: key registered", "requestId", rc.requestID, "alias", alias, "keyType", req.KeyType,
		"generated", req.Generate, "client", rc.client)
	return http.StatusCreated, recordOf(rec), nil
}

// kcvField checks an optional expected KCV and returns it upper case.
func kcvField(v string) (string, *apiError) {
	if v == "" {
		return "", nil
	}
	if len(v) != 6 || !isHex(v) {
		return "", badField("kcv", "must be 6 hex digits")
	}
	return strings.ToUpper(v), nil
}

// aliasFree refuses a taken alias before any HSM work; Create checks again.
func (s *server) aliasFree(rc *reqCtx, alias string) *apiError {
	if _, err := s.reg.Get(alias); err == nil {
		return aliasExists()
	} else if !errors.Is(err, registry.ErrNotFound) {
		return registryFailed(s, rc, err)
	}
	return nil
}

func aliasExists() *apiError {
	return &apiError{status: http.StatusConflict, code: CodeAliasExists, field: "alias", message: "alias already registered"}
}

// keyList is GET /v1/keys.
func (s *server) keyList(rc *reqCtx, _ []byte) (int, any, *apiError) {
	recs, err := s.reg.List()
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	out := keyListResponse{Keys: make([]keyRecord, 0, len(recs))}
	for _, r := range recs {
		out.Keys = append(out.Keys, recordOf(r))
	}
	return http.StatusOK, out, nil
}

func pathAlias(rc *reqCtx) string {
	return strings.TrimPrefix(mux.Vars(rc.r)["alias"], AliasPrefix)
}

// keyGet is GET /v1/keys/{alias}.
func (s *server) keyGet(rc *reqCtx, _ []byte) (int, any, *apiError) {
	rec, err := s.reg.Get(pathAlias(rc))
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil, notFound("alias", "no key with this alias")
	}
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	return http.StatusOK, recordOf(rec), nil
}

// keyDelete is DELETE /v1/keys/{alias}; it answers the deleted record.
func (s *server) keyDelete(rc *reqCtx, _ []byte) (int, any, *apiError) {
	alias := pathAlias(rc)
	rec, err := s.reg.Get(alias)
	if err == nil {
		err = s.reg.Delete(alias)
	}
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil, notFound("alias", "no key with this alias")
	}
	if err != nil {
		return 0, nil, registryFailed(s, rc, err)
	}
	s.log.Info("rest: key deleted", "requestId", rc.requestID, "alias", alias, "client", rc.client)
	return http.StatusOK, recordOf(rec), nil
}

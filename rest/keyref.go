package rest

import (
	"errors"
	"net/http"
	"strings"

	"github.com/payhsm/payhsm-gw/registry"
)

// AliasPrefix starts a key reference to a registered key (rest.md).
const AliasPrefix = "alias/"

// keySpec says what a key field of a request accepts.
type keySpec struct {
	field     string   // the request field holding the reference
	typeField string   // the request field naming an inline key's type ("" if none)
	typeName  string   // its value ("" when absent)
	allowed   []string // accepted key types; the first is an inline key's default
}

// keyRef is a resolved key reference.
type keyRef struct {
	field      string
	alias      string // registry alias, "" for an inline key
	typ        string // key type name
	code       string // key type code, 3H
	cryptogram string // under the LMK, upper case
	kcv        string // 6H, filled by resolveKey
}

// aes reports whether the key is an AES key: a key block (registered by
// alias) whose header says algorithm A.
func (k *keyRef) aes() bool { return keyField(k.cryptogram).IsAESKeyBlock() }

// inlineCryptogram reports whether v has the form of a key under the LMK
// that the REST API accepts inline: "U" + 32H, "T" + 48H or 16H (rest.md).
func inlineCryptogram(v string) bool {
	switch {
	case len(v) == 33 && v[0] == 'U', len(v) == 49 && v[0] == 'T':
		return isHex(v[1:])
	case len(v) == 16:
		return isHex(v)
	}
	return false
}

// resolveKey resolves a key reference, checks its type, and finds its KCV:
// the registry's for an alias, the cache's or the HSM's (BU) for an
// inline key.
func (s *server) resolveKey(rc *reqCtx, spec keySpec, ref string) (*keyRef, *apiError) {
	if ref == "" {
		return nil, missingField(spec.field)
	}
	if spec.typeName != "" && !contains(spec.allowed, spec.typeName) {
		return nil, badField(spec.typeField, "must be one of "+strings.Join(spec.allowed, ", "))
	}
	if name, ok := strings.CutPrefix(ref, AliasPrefix); ok {
		if !registry.ValidAlias(name) {
			return nil, badField(spec.field, "is not a valid alias")
		}
		rec, err := s.reg.Get(name)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, notFound(spec.field, "no key with this alias")
		}
		if err != nil {
			return nil, registryFailed(s, rc, err)
		}
		if !contains(spec.allowed, rec.KeyType) {
			return nil, &apiError{status: http.StatusBadRequest, code: CodeKeyTypeMismatch, field: spec.field,
				message: "the registered key's type is not one of " + strings.Join(spec.allowed, ", ")}
		}
		if spec.typeName != "" && spec.typeName != rec.KeyType {
			return nil, &apiError{status: http.StatusBadRequest, code: CodeKeyTypeMismatch, field: spec.typeField,
				message: "differs from the registered key's type"}
		}
		code, _ := keyTypeCode(rec.KeyType)
		return &keyRef{field: spec.field, alias: name, typ: rec.KeyType, code: code,
			cryptogram: rec.Cryptogram.Reveal(), kcv: rec.KCV}, nil
	}
	if !inlineCryptogram(ref) {
		return nil, badField(spec.field, `must be "alias/NAME" or a key under the LMK ("U" + 32H, "T" + 48H or 16H)`)
	}
	typ := spec.typeName
	if typ == "" {
		typ = spec.allowed[0]
	}
	code, _ := keyTypeCode(typ)
	k := &keyRef{field: spec.field, typ: typ, code: code, cryptogram: strings.ToUpper(ref)}
	if e := s.inlineKCV(rc, k); e != nil {
		return nil, e
	}
	return k, nil
}

// inlineKCV fills k.kcv from the cache or with BU.
func (s *server) inlineKCV(rc *reqCtx, k *keyRef) *apiError {
	ck := kcvCacheKey(k.code, k.cryptogram)
	if v, ok := s.kcv.get(ck); ok {
		s.m.kcvHits.Inc()
		k.kcv = v
		return nil
	}
	s.m.kcvMiss.Inc()
	kcv, err := s.checkValue(rc, k.code, k.cryptogram)
	if err != nil {
		return fromExecError(err, hsmFields{"10": k.field, "11": k.field, "15": k.field, "04": k.field,
			"05": k.field, "26": k.field, "27": k.field, "28": k.field})
	}
	s.kcv.put(ck, kcv)
	k.kcv = kcv
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes is the largest request body accepted (rest.md: 413 beyond).
const MaxBodyBytes = 64 << 10

// readBody reads the whole request body, bounded by MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge,
				message: "request body over " + strconv.Itoa(MaxBodyBytes) + " bytes"}
		}
		return nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "request body could not be read"}
	}
	return body, nil
}

// decodeRequest decodes body, which must be one JSON object, into dst (a
// pointer to a request struct). It names the first bad field: a syntax
// error or truncation at a field, a field dst does not define (names match
// exactly, unlike encoding/json's case-insensitive match), a field given
// twice, or a value of the wrong JSON type. Field paths are dotted
// ("method.visaPvv.pvk").
// The body must be valid UTF-8 (RFC 8259 §8.1), which encoding/json would
// otherwise repair silently.
func decodeRequest(body []byte, dst any) *apiError {
	if !utf8.Valid(body) {
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "body is not valid UTF-8"}
	}
	if e := checkShape(body, reflect.TypeOf(dst).Elem()); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "body must be a JSON object"}
			}
			return badField(field, "has the wrong JSON type (want "+jsonKind(te.Type)+")")
		}
		// checkShape has accepted the syntax and the field names, so
		// this is a value encoding/json refuses (e.g. a string with an
		// invalid escape); name nothing more precise than the body.
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "body is not valid JSON"}
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return t.Kind().String()
}

// maxDepth bounds the nesting of objects and arrays in a request; ours are
// at most three deep.
const maxDepth = 8

// checkShape walks the JSON tokens of body against type t and returns the
// first structural problem with the path where it happened.
func checkShape(body []byte, t reflect.Type) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return syntaxError("")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "body must be a JSON object"}
	}
	if e := walkObject(dec, t, "", 1); e != nil {
		return e
	}
	if _, err := dec.Token(); err != io.EOF {
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: "data after the JSON object"}
	}
	return nil
}

func syntaxError(path string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: CodeInvalidRequest, field: path, message: "body is not valid JSON (syntax error or truncated)"}
}

// walkObject reads an object's members after its '{' up to and including
// its '}'. t is the Go type the object decodes into (nil: anything).
func walkObject(dec *json.Decoder, t reflect.Type, path string, depth int) *apiError {
	if depth > maxDepth {
		return badField(path, "is nested too deeply")
	}
	fields := structFields(t)
	seen := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(path)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return nil
		}
		name, ok := tok.(string)
		if !ok {
			return syntaxError(path)
		}
		p := joinPath(path, name)
		if !validFieldName(name) {
			return &apiError{status: http.StatusBadRequest, code: CodeUnknownField, message: "is not a field of this request"}
		}
		var ft reflect.Type
		if fields != nil {
			var known bool
			ft, known = fields[name]
			if !known {
				return &apiError{status: http.StatusBadRequest, code: CodeUnknownField, field: p, message: "is not a field of this request"}
			}
		}
		if seen[name] {
			return badField(p, "is given more than once")
		}
		seen[name] = true
		if e := walkValue(dec, ft, p, depth); e != nil {
			return e
		}
	}
}

func walkValue(dec *json.Decoder, t reflect.Type, path string, depth int) *apiError {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(path)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar; its type is checked by encoding/json
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch d {
	case '{':
		if t != nil && t.Kind() != reflect.Struct {
			// The wrong JSON type: let encoding/json name it, after
			// checking the syntax of what follows.
			t = nil
		}
		return walkObject(dec, t, path, depth+1)
	case '[':
		if depth+1 > maxDepth {
			return badField(path, "is nested too deeply")
		}
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if e := walkValue(dec, et, path+"["+strconv.Itoa(i)+"]", depth+1); e != nil {
				return e
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntaxError(path)
		}
		return nil
	}
	return syntaxError(path)
}

// validFieldName bounds the field names echoed in error bodies: a name
// that could not be a field of ours is not repeated back (it might be
// anything, a PAN included).
func validFieldName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	digits := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-':
		case c >= '0' && c <= '9':
			digits++
		default:
			return false
		}
	}
	return digits < 6
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// structFields returns the JSON field names of struct type t and their
// types, or nil when t is nil or not a struct (anything goes).
func structFields(t reflect.Type) map[string]reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

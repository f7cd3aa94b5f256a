package rest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// doc is the parsed OpenAPI document.
type doc map[string]any

func loadDoc(t testing.TB) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(OpenAPI(), &d); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if d["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", d["openapi"])
	}
	return d
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// operations returns "METHOD path" -> operation object.
func (d doc) operations() map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range obj(d["paths"]) {
		for method, op := range obj(item) {
			if method == "parameters" {
				continue
			}
			ops[strings.ToUpper(method)+" "+path] = obj(op)
		}
	}
	return ops
}

// resolve follows a local $ref.
func (d doc) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		cur := any(map[string]any(d))
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = obj(cur)[part]
		}
		s = obj(cur)
	}
}

// validate checks v against schema s, for the JSON Schema subset the
// document uses: $ref, type, properties, required, additionalProperties
// false, enum, pattern, minimum, maximum, items, min/maxProperties.
func (d doc) validate(s map[string]any, v any, path string) error {
	s = d.resolve(s)
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum %v", path, v, enum)
		}
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object", path)
		}
		props := obj(s["properties"])
		for _, r := range asSlice(s["required"]) {
			if _, ok := m[r.(string)]; !ok {
				return fmt.Errorf("%s: required %s missing", path, r)
			}
		}
		if n, ok := s["minProperties"].(float64); ok && len(m) < int(n) {
			return fmt.Errorf("%s: fewer than %v properties", path, n)
		}
		if n, ok := s["maxProperties"].(float64); ok && len(m) > int(n) {
			return fmt.Errorf("%s: more than %v properties", path, n)
		}
		for k, e := range m {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					return fmt.Errorf("%s: property %s not in the schema", path, k)
				}
				continue
			}
			if err := d.validate(obj(ps), e, path+"."+k); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array", path)
		}
		for i, e := range a {
			if err := d.validate(obj(s["items"]), e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, have %T", path, v)
		}
		if n, ok := s["minLength"].(float64); ok && len(str) < int(n) {
			return fmt.Errorf("%s: shorter than %v", path, n)
		}
		if n, ok := s["maxLength"].(float64); ok && len(str) > int(n) {
			return fmt.Errorf("%s: longer than %v", path, n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: does not match %s", path, p)
		}
	case "integer", "number":
		n, ok := v.(float64)
		if !ok || (s["type"] == "integer" && n != math.Trunc(n)) {
			return fmt.Errorf("%s: want %s, have %v", path, s["type"], v)
		}
		if m, ok := s["minimum"].(float64); ok && n < m {
			return fmt.Errorf("%s: below minimum", path)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			return fmt.Errorf("%s: above maximum", path)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want a boolean", path)
		}
	}
	return nil
}

func asSlice(v any) []any { a, _ := v.([]any); return a }

// TestOpenAPIMatchesRoutes walks the router and the document: every route
// is documented with its method, and every documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := loadDoc(t)
	documented := map[string]bool{}
	for k := range d.operations() {
		documented[k] = true
	}
	routed := map[string]bool{}
	srv := newTestServer(t)
	err := srv.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := r.GetMethods()
		if err != nil {
			return err
		}
		for _, m := range methods {
			routed[m+" "+path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routed) < 17 {
		t.Fatalf("walked only %d routes", len(routed))
	}
	for k := range routed {
		if !documented[k] {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for k := range documented {
		if !routed[k] {
			t.Errorf("openapi.json documents %s, which is not routed", k)
		}
	}
	// Operation ids are the route names (used as the audit "op").
	for _, rt := range srv.routeTable(http.NotFoundHandler()) {
		op := d.operations()[rt.method+" "+rt.path]
		if op["operationId"] != rt.op {
			t.Errorf("%s %s: operationId %v, route name %s", rt.method, rt.path, op["operationId"], rt.op)
		}
	}
}

// newTestServer builds the internal server value over the simulator.
func newTestServer(t *testing.T) *server {
	t.Helper()
	e := newEnv(t)
	h, err := newServer(Config{Executor: e.sim, Registry: e.reg, Auth: Auth{Disabled: true},
		Metrics: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestOpenAPIExamplesRoundTrip sends every documented request example
// through the real handler and the simulator: the answer has the
// documented status, validates against the documented schema, and equals
// the documented response example of the same name (but for the fields
// that cannot be fixed: creation times, and the key a generate makes).
// GET and DELETE operations are checked against their examples too.
//
// Examples named keyBlock… run against a simulator with a key-block LMK.
func TestOpenAPIExamplesRoundTrip(t *testing.T) {
	e, kb := newEnv(t), newKBEnv(t)
	envFor := func(name string) *env {
		if strings.HasPrefix(name, "keyBlock") {
			return kb
		}
		return e
	}
	d := loadDoc(t)
	ops := d.operations()
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	// Register keys first (later examples may use their aliases), delete last.
	rank := func(k string) int {
		switch {
		case k == "POST /v1/keys":
			return 0
		case strings.HasPrefix(k, "DELETE"):
			return 2
		}
		return 1
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	examples := 0
	for _, k := range keys {
		op := ops[k]
		method, path, _ := strings.Cut(k, " ")
		var status string
		var okResp map[string]any
		for code, r := range obj(op["responses"]) {
			if strings.HasPrefix(code, "2") {
				status, okResp = code, obj(r)
			}
		}
		if okResp == nil {
			t.Errorf("%s documents no 2xx answer", k)
			continue
		}
		content := obj(obj(okResp["content"])["application/json"])
		if content == nil { // /metrics
			continue
		}
		schema := obj(content["schema"])
		respExamples := obj(content["examples"])
		check := func(name string, r response) {
			t.Helper()
			examples++
			if strconv.Itoa(r.status) != status {
				t.Errorf("%s example %s: have %d %s, want %s", k, name, r.status, r.body, status)
				return
			}
			var got any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Errorf("%s example %s: %v", k, name, err)
				return
			}
			if err := d.validate(schema, got, "response"); err != nil {
				t.Errorf("%s example %s: the answer does not match the schema: %v", k, name, err)
			}
			want, ok := obj(respExamples[name])["value"]
			if !ok {
				return
			}
			if err := d.validate(schema, want, "example"); err != nil {
				t.Errorf("%s response example %s does not match its schema: %v", k, name, err)
			}
			if name == "pair" || path == "/openapi.json" { // pool status and the document itself depend on the setup
				return
			}
			if diff := diffJSON(got, want); diff != "" {
				t.Errorf("%s example %s: answer differs from the documented example: %s", k, name, diff)
			}
		}
		switch method {
		case http.MethodPost:
			body := obj(op["requestBody"])
			bc := obj(obj(body["content"])["application/json"])
			reqSchema := obj(bc["schema"])
			exs := obj(bc["examples"])
			if len(exs) == 0 {
				t.Errorf("%s has no request example", k)
			}
			for name, ex := range exs {
				v := obj(ex)["value"]
				if err := d.validate(reqSchema, v, "request"); err != nil {
					t.Errorf("%s request example %s does not match its schema: %v", k, name, err)
				}
				check(name, envFor(name).post(pathOf(d, path), v))
			}
		default:
			p := pathOf(d, path)
			name := ""
			for n := range respExamples {
				name = n
			}
			check(name, e.do(method, p, nil, nil))
		}
	}
	if examples < 16 {
		t.Fatalf("only %d examples checked", examples)
	}
}

// pathOf fills a path template's parameters with their examples.
func pathOf(d doc, path string) string {
	p := path
	for _, prm := range asSlice(obj(obj(d["paths"])[path])["parameters"]) {
		pm := obj(prm)
		p = strings.ReplaceAll(p, "{"+pm["name"].(string)+"}", pm["example"].(string))
	}
	return p
}

// generatedAlias is the alias of the documented key-generation example,
// whose cryptogram and KCV are new on every run.
const generatedAlias = "alias/cvk-2026"

// volatile lists the fields of an example object that cannot be fixed.
func volatile(want map[string]any) map[string]bool {
	v := map[string]bool{"createdAt": true}
	if want["alias"] == generatedAlias {
		v["cryptogram"], v["kcv"] = true, true
	}
	// The HSM pads key blocks with random bytes.
	if want["scheme"] == "S" {
		v["cryptogram"] = true
	}
	v["keyBlock"] = true
	return v
}

// diffJSON compares two decoded JSON values, ignoring the volatile keys of
// objects, and describes the first difference.
func diffJSON(have, want any) string {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return fmt.Sprintf("have %v, want an object", have)
		}
		skip := volatile(w)
		for k := range w {
			if _, ok := h[k]; !ok {
				return "missing " + k
			}
		}
		for k := range h {
			if _, ok := w[k]; !ok {
				return "extra " + k
			}
			if skip[k] {
				continue
			}
			if d := diffJSON(h[k], w[k]); d != "" {
				return k + ": " + d
			}
		}
		return ""
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return fmt.Sprintf("have %v, want %d elements", have, len(w))
		}
		for i := range w {
			if d := diffJSON(h[i], w[i]); d != "" {
				return fmt.Sprintf("[%d]: %s", i, d)
			}
		}
		return ""
	}
	if fmt.Sprint(have) != fmt.Sprint(want) {
		return fmt.Sprintf("have %v, want %v", have, want)
	}
	return ""
}

// TestErrorBodiesMatchTheSchema checks error answers against the
// document's Error schema.
func TestErrorBodiesMatchTheSchema(t *testing.T) {
	e := newEnv(t)
	d := loadDoc(t)
	s := obj(obj(obj(d["components"])["schemas"])["Error"])
	for _, r := range []response{
		e.post("/v1/pin/translate", `{`),
		e.post("/v1/pin/translate", `{"x":1}`),
		e.post("/v1/mac/generate", with(validBodies(t)["/v1/mac/generate"], "length", 3)),
		e.post("/v1/pin/translate", validBodies(t)["/v1/pin/translate"]), // HSM 20
		e.do(http.MethodGet, "/v1/keys/nope", nil, nil),
		e.do(http.MethodGet, "/nope", nil, nil),
	} {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		if err := d.validate(s, v, "error"); err != nil {
			t.Errorf("%d %s: %v", r.status, r.body, err)
		}
	}
}

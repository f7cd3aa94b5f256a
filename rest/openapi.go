package rest

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3 description of this API; a test checks
// it against the routes and runs its examples through the handler.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3 document served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDocument)
}

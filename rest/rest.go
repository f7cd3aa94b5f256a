package rest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/registry"
)

// Executor runs one host command: body from the command code on (no
// header), answer body from the response code on. *pool.Pool satisfies it.
// When no HSM can serve the command in time it returns an error that
// errors.As-matches *hostcmd.Error with Code "41"; an HSM answer with an
// error code is a normal answer, not an error.
type Executor interface {
	Do(ctx context.Context, body []byte) ([]byte, error)
}

// HSMExecutor is an Executor that can also say which HSM answered; when
// the Executor implements it, audit records name the HSM (ours).
type HSMExecutor interface {
	Executor
	DoHSM(ctx context.Context, body []byte) (resp []byte, hsm string, err error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, body []byte) ([]byte, error)

// Do calls f.
func (f ExecutorFunc) Do(ctx context.Context, body []byte) ([]byte, error) { return f(ctx, body) }

// Config configures the REST handler. Executor and Registry are required.
type Config struct {
	// Executor runs host commands, normally the HSM pool (required).
	Executor Executor
	// Status reports the pool for GET /v1/hsms and /readyz (default: an
	// empty pool, so /readyz answers 503).
	Status func() Status
	// Registry is the key registry (required): the embedded bbolt one or
	// the shared one on etcd.
	Registry registry.Store
	// Audit receives one record per REST operation and per host command
	// (default: none).
	Audit *audit.Log
	// Logger receives request logs at debug level and failures at warn
	// and error (default: discard). Nothing secret is ever logged.
	Logger *slog.Logger
	// Registerer receives the payhsm_rest_* metrics (default: not registered).
	Registerer prometheus.Registerer
	// Metrics is mounted at GET /metrics (default: /metrics answers 404).
	Metrics http.Handler
	// Auth configures authentication of /v1 (required: keys, certificates,
	// or Disabled).
	Auth Auth
	// OperationTimeout bounds one REST operation, all its host commands
	// included; past it the answer is 503 (default 5s).
	OperationTimeout time.Duration
	// KCVCacheSize bounds the key check values cached per cryptogram
	// (default 4096).
	KCVCacheSize int
}

// DefaultOperationTimeout is the default Config.OperationTimeout.
const DefaultOperationTimeout = 5 * time.Second

// DefaultKCVCacheSize is the default Config.KCVCacheSize.
const DefaultKCVCacheSize = 4096

// server is the REST handler's state.
type server struct {
	exec    Executor
	status  func() Status
	reg     registry.Store
	audit   *audit.Log
	log     *slog.Logger
	auth    *authenticator
	timeout time.Duration
	kcv     *kcvCache
	m       *metrics
	router  *mux.Router
}

// New returns the REST API handler: the operations of rest.md under /v1,
// /healthz, /readyz, /metrics and /openapi.json.
func New(cfg Config) (http.Handler, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(s.serveHTTP), nil
}

func newServer(cfg Config) (*server, error) {
	if cfg.Executor == nil {
		return nil, errors.New("rest: config needs an Executor")
	}
	if cfg.Registry == nil {
		return nil, errors.New("rest: config needs a Registry")
	}
	auth, err := newAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Status == nil {
		cfg.Status = func() Status { return Status{} }
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.KCVCacheSize <= 0 {
		cfg.KCVCacheSize = DefaultKCVCacheSize
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &server{
		exec: cfg.Executor, status: cfg.Status, reg: cfg.Registry, audit: cfg.Audit,
		log: cfg.Logger, auth: auth, timeout: cfg.OperationTimeout,
		kcv: newKCVCache(cfg.KCVCacheSize), m: m,
	}
	s.router = s.routes(cfg.Metrics)
	return s, nil
}

// route is one entry of the route table: the OpenAPI operation id, the
// method and path template, and whether it is a /v1 API operation
// (authenticated and audited).
type route struct {
	op      string
	method  string
	path    string
	api     bool
	handler http.Handler
}

// opHandler handles one API operation: it gets the request state and the
// body (nil for GET and DELETE) and returns the status and response value.
type opHandler func(rc *reqCtx, body []byte) (int, any, *apiError)

func (s *server) routeTable(metricsHandler http.Handler) []route {
	api := func(op, method, path string, h opHandler) route {
		return route{op: op, method: method, path: path, api: true, handler: s.operation(op, h)}
	}
	rs := []route{
		api("pin.translate", http.MethodPost, "/v1/pin/translate", s.pinTranslate),
		api("pin.verify", http.MethodPost, "/v1/pin/verify", s.pinVerify),
		api("card.verify", http.MethodPost, "/v1/card/verify", s.cardVerify),
		api("card.generate", http.MethodPost, "/v1/card/generate", s.cardGenerate),
		api("cryptogram.verify", http.MethodPost, "/v1/cryptogram/verify", s.cryptogramVerify),
		api("cavv.verify", http.MethodPost, "/v1/3ds/cavv/verify", s.cavvVerify),
		api("iso8583.authorize", http.MethodPost, "/v1/iso8583/authorize", s.iso8583Authorize),
		api("mac.generate", http.MethodPost, "/v1/mac/generate", s.macGenerate),
		api("mac.verify", http.MethodPost, "/v1/mac/verify", s.macVerify),
		api("keys.create", http.MethodPost, "/v1/keys", s.keyCreate),
		api("keys.list", http.MethodGet, "/v1/keys", s.keyList),
		api("keys.get", http.MethodGet, "/v1/keys/{alias}", s.keyGet),
		api("keys.delete", http.MethodDelete, "/v1/keys/{alias}", s.keyDelete),
		api("keys.export", http.MethodPost, "/v1/keys/{alias}/export", s.keyExport),
		api("hsms.list", http.MethodGet, "/v1/hsms", s.hsmList),
		{op: "healthz", method: http.MethodGet, path: "/healthz", handler: http.HandlerFunc(s.healthz)},
		{op: "readyz", method: http.MethodGet, path: "/readyz", handler: http.HandlerFunc(s.readyz)},
		{op: "openapi", method: http.MethodGet, path: "/openapi.json", handler: http.HandlerFunc(serveOpenAPI)},
	}
	if metricsHandler != nil {
		rs = append(rs, route{op: "metrics", method: http.MethodGet, path: "/metrics", handler: metricsHandler})
	}
	return rs
}

func (s *server) routes(metricsHandler http.Handler) *mux.Router {
	r := mux.NewRouter()
	for _, rt := range s.routeTable(metricsHandler) {
		h := rt.handler
		if rt.api {
			h = s.authenticate(h)
		}
		r.Handle(rt.path, h).Methods(rt.method).Name(rt.op)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, code: CodeNotFound, message: "no such route"})
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, message: "method not allowed on this route"})
	})
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rc := reqCtxFrom(r.Context()); rc != nil {
				if cur := mux.CurrentRoute(r); cur != nil {
					rc.route, _ = cur.GetPathTemplate()
					rc.op = cur.GetName()
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	return r
}

// reqCtx is the state of one request, shared by the middleware and the
// operation: what the audit record and the metrics need.
type reqCtx struct {
	ctx       context.Context
	r         *http.Request
	requestID string
	remote    string
	client    string // principal, "key:ID" or "cert:NAME"
	canManage bool   // the principal may create and delete keys
	route     string // path template, "" when no route matched
	op        string
	pan       string // for the audit record (masked there)
	errCode   string
	s         *server
}

type reqCtxKey struct{}

func reqCtxFrom(ctx context.Context) *reqCtx {
	rc, _ := ctx.Value(reqCtxKey{}).(*reqCtx)
	return rc
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveHTTP is the outermost layer: request id, panic recovery, metrics,
// the request log line and the audit record of an API operation.
func (s *server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := &reqCtx{requestID: requestID(r.Header.Get("X-Request-Id")), remote: r.RemoteAddr, s: s}
	w.Header().Set("X-Request-Id", rc.requestID)
	sw := &statusWriter{ResponseWriter: w}
	ctx := context.WithValue(r.Context(), reqCtxKey{}, rc)
	r = r.WithContext(ctx)
	rc.r = r
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// The panic value is not logged: it could hold request data.
			s.log.Error("rest: handler panic", "requestId", rc.requestID, "route", rc.route)
			if sw.status == 0 {
				writeError(sw, &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error"})
			}
		}
		s.finish(rc, sw.status, time.Since(start))
	}()
	s.router.ServeHTTP(sw, r)
}

func (s *server) finish(rc *reqCtx, status int, d time.Duration) {
	route := rc.route
	if route == "" {
		route = "unmatched"
	}
	s.m.requests.WithLabelValues(route, methodLabel(rc.r.Method), statusLabel(status)).Inc()
	s.m.latency.WithLabelValues(route).Observe(d.Seconds())
	s.log.Debug("rest: request", "requestId", rc.requestID, "method", rc.r.Method, "route", route,
		"status", status, "latency", d, "client", rc.client, "error", rc.errCode)
	if rc.op == "" || !isAPIPath(rc.route) {
		return
	}
	s.audit.Write(audit.Record{
		Time: time.Now().Add(-d), RequestID: rc.requestID, Client: rc.client, Remote: rc.remote,
		Op: rc.op, Status: status, Error: rc.errCode, Latency: d, PAN: rc.pan,
	})
}

func isAPIPath(template string) bool { return len(template) > 4 && template[:4] == "/v1/" }

// requestID returns the client's X-Request-Id when it is a safe token (1 to
// 64 of A-Z a-z 0-9 . _ : -, no run of 13 or more digits, which could be a
// PAN), else a new random one (ours).
func requestID(h string) string {
	if validRequestID(h) {
		return h
	}
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRequestID(h string) bool {
	if len(h) == 0 || len(h) > 64 {
		return false
	}
	run := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= '0' && c <= '9':
			run++
			if run >= 13 {
				return false
			}
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
		run = 0
	}
	return true
}

// operation wraps an API operation: the deadline, the body, the call and
// the answer.
func (s *server) operation(op string, h opHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtxFrom(r.Context())
		rc.r = r // the router's copy, which carries the path variables
		var body []byte
		if r.Method == http.MethodPost {
			var e *apiError
			if body, e = readBody(w, r); e != nil {
				s.answerError(w, rc, e)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		rc.ctx = ctx
		status, resp, e := h(rc, body)
		if e != nil {
			s.answerError(w, rc, e)
			return
		}
		writeJSON(w, status, resp)
	})
}

func (s *server) answerError(w http.ResponseWriter, rc *reqCtx, e *apiError) {
	rc.errCode = e.code
	switch {
	case e.status == http.StatusServiceUnavailable:
		// Expected under overload; counted in the metrics, so not a
		// warning per request.
		s.log.Debug("rest: no HSM could serve", "requestId", rc.requestID, "op", rc.op, "hsmError", string(e.hsmError))
	case e.status >= 500:
		s.log.Warn("rest: operation failed", "requestId", rc.requestID, "op", rc.op, "code", e.code, "hsmError", string(e.hsmError))
	}
	writeError(w, e)
}

package rest

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"time"
)

// Recommended http.Server limits for the REST listener (ours). The write
// timeout exceeds DefaultOperationTimeout so that a 503 can still be written
// after an operation's deadline.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = DefaultOperationTimeout + 5*time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// NewServer returns an http.Server for h on addr with the recommended
// timeouts and header limit; tlsConfig, when not nil, makes it serve HTTPS
// (call ListenAndServeTLS("", "") or ServeTLS(l, "", "")). Errors of the
// server itself go to logger at warn level.
func NewServer(addr string, h http.Handler, tlsConfig *tls.Config, logger *slog.Logger) *http.Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Package tlsconfig builds *tls.Config values from PEM files for the three
// TLS endpoints of the gateway: the host-command front, the REST API (both
// servers, optionally with mutual TLS) and the connections towards HSMs
// (clients, optionally presenting a certificate; payShield-class HSMs
// accept TLS host connections).
//
// Every configuration requires TLS 1.2 or later (PCI DSS 4.0 req. 4.2.1
// "strong cryptography"; RFC 8996 deprecates 1.0 and 1.1) and leaves cipher
// suite choice to crypto/tls, whose defaults are forward-secret AEAD suites.
//
// Secrets: private key files are read and handed to crypto/tls; nothing in
// this package prints or logs their contents. Errors name the file role
// (cert, key, ca), never a file's content. No comparisons happen here:
// certificate verification is crypto/tls's.
package tlsconfig

// Package config is the YAML configuration of 'payhsm-gw serve' (ours): a
// plain struct with yaml tags, defaults applied once by SetDefaults, and one
// validation pass, Validate, that reports every problem with its path in the
// file (for example "pools[0].hsms[1].addr: missing port").
//
// Load decodes a file strictly: an unknown key is an error, so a misspelt
// option never goes unnoticed. Command-line flags override the file; the
// caller applies them between Load and SetDefaults.
//
// The configuration holds no secret values: TLS private keys are referred to
// by file name, the LMK check value is a public check value, not a key, and
// REST API keys appear only as their SHA-256 (rest.auth.api_keys[].sha256),
// which the REST layer compares in constant time; this package only checks
// that each is 64 hex digits.
// No comparison in this package is security-relevant, so none is constant time.
package config

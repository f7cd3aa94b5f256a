// Package registry is the gateway's durable key registry: it maps aliases to
// keys stored under the HSM's LMK (the cryptogram), with their key type, key
// check value, key scheme, key-block usage and creation time. It is an embedded go.etcd.io/bbolt database
// (one file, registry.db, under the gateway's --data directory) committed
// synchronously: when Create returns nil the record has been fsynced, so an
// alias the REST API acknowledged survives a crash and a restart (ours, from
// the REST contract's durability rule).
//
// Secrets: the registry never holds a clear key — only cryptograms under the
// LMK, which are still secret material: Record.Cryptogram is a redact.String,
// so a Record printed or logged shows no cryptogram. The package compares no
// secret values; the REST layer checks a KCV on the HSM (BU) before it
// calls Create.
//
// Several gateway replicas cannot share one registry file (bbolt takes an
// exclusive file lock): replicas share the registry on etcd instead (Etcd,
// serve --registry etcd://HOST:PORT), strongly consistent with a read cache
// per replica. Both backends satisfy Store.
package registry

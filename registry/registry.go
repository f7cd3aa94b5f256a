package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// FileName is the database file created in the data directory.
const FileName = "registry.db"

// MaxAliasLen is the longest alias accepted (ours).
const MaxAliasLen = 64

var (
	// ErrExists is returned by Create when the alias is already registered.
	ErrExists = errors.New("registry: alias exists")
	// ErrNotFound is returned by Get and Delete for an unknown alias.
	ErrNotFound = errors.New("registry: alias not found")
	// ErrInvalidAlias is returned for an alias that ValidAlias rejects.
	ErrInvalidAlias = errors.New("registry: invalid alias")
)

var bucketKeys = []byte("keys")

// Record is one registered key.
type Record struct {
	// Alias is the name, without the "alias/" prefix of key references.
	Alias string
	// KeyType is the key type name ("ZPK", "TPK", "PVK", "CVK", "MK-AC",
	// "TAK", "ZAK", "ZMK", "BDK").
	KeyType string
	// Cryptogram is the key encrypted under the LMK ("U…", "T…", 16H, or
	// "S" + a Thales key block under a key-block LMK).
	Cryptogram redact.String
	// KCV is the key check value (6H).
	KCV string
	// Scheme is the key scheme of Cryptogram: "U", "T", "X", "Y", "S"
	// (Thales key block), "R" (TR-31 block), or "" for a bare 16H key.
	// Records written before the field existed read as "".
	Scheme string
	// Usage is the key block's key usage ("P0", "K0", or a Thales numeric
	// usage such as "72"), "" for a variant-LMK key.
	Usage string
	// CreatedAt is when the alias was registered (UTC, second precision
	// or finer).
	CreatedAt time.Time
}

// stored is the on-disk encoding of a Record; Cryptogram is a plain string
// here because redact.String marshals as a placeholder.
type stored struct {
	KeyType    string    `json:"keyType"`
	Cryptogram string    `json:"cryptogram"`
	KCV        string    `json:"kcv"`
	CreatedAt  time.Time `json:"createdAt"`
	// Added with key blocks; absent in older records, which decode with
	// both empty.
	Scheme string `json:"scheme,omitempty"`
	Usage  string `json:"usage,omitempty"`
}

// Options configures Open.
type Options struct {
	// LockTimeout bounds the wait for the database file lock, held by
	// another process using the same data directory (default 2s).
	LockTimeout time.Duration
}

// Registry is an open key registry. It is safe for concurrent use.
type Registry struct {
	db *bolt.DB
}

// Open opens, creating it if needed, the registry in directory dir.
func Open(dir string, opt Options) (*Registry, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("registry: creating data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{
		Timeout: opt.LockTimeout,
		NoSync:  false, // every commit is fsynced: an acknowledged alias is on disk
	})
	if err != nil {
		return nil, fmt.Errorf("registry: opening database: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketKeys)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("registry: preparing database: %w", err)
	}
	return &Registry{db: db}, nil
}

// Close closes the database.
func (r *Registry) Close() error {
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("registry: closing database: %w", err)
	}
	return nil
}

// ValidAlias reports whether name is an acceptable alias: 1 to MaxAliasLen
// characters from A-Z a-z 0-9 '_' '-', starting with a letter or digit
// (ours: safe in a URL path segment, a log line and a file).
func ValidAlias(name string) bool {
	if len(name) == 0 || len(name) > MaxAliasLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Create registers rec. It returns ErrExists if the alias is taken and
// returns nil only once the record is committed to disk. A zero CreatedAt
// is set to the current time.
func (r *Registry) Create(rec Record) (Record, error) {
	rec, val, err := prepare(rec)
	if err != nil {
		return Record{}, err
	}
	err = r.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		if b.Get([]byte(rec.Alias)) != nil {
			return ErrExists
		}
		return b.Put([]byte(rec.Alias), val)
	})
	if err != nil {
		if errors.Is(err, ErrExists) {
			return Record{}, err
		}
		return Record{}, fmt.Errorf("registry: writing record: %w", err)
	}
	return rec, nil
}

// Get returns the record of alias, or ErrNotFound.
func (r *Registry) Get(alias string) (Record, error) {
	if !ValidAlias(alias) {
		return Record{}, ErrNotFound
	}
	var rec Record
	err := r.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketKeys).Get([]byte(alias))
		if v == nil {
			return ErrNotFound
		}
		var err error
		rec, err = decode(alias, v)
		return err
	})
	return rec, err
}

// List returns every record, ordered by alias.
func (r *Registry) List() ([]Record, error) {
	var recs []Record
	err := r.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(k, v []byte) error {
			rec, err := decode(string(k), v)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
			return nil
		})
	})
	return recs, err
}

// Delete removes alias, committed to disk when it returns nil, or returns
// ErrNotFound.
func (r *Registry) Delete(alias string) error {
	if !ValidAlias(alias) {
		return ErrNotFound
	}
	err := r.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		if b.Get([]byte(alias)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(alias))
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("registry: deleting record: %w", err)
	}
	return err
}

func decode(alias string, v []byte) (Record, error) {
	var s stored
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Record{}, fmt.Errorf("registry: record %q is corrupt: %w", alias, err)
	}
	return Record{
		Alias: alias, KeyType: s.KeyType, Cryptogram: redact.String(s.Cryptogram),
		KCV: s.KCV, CreatedAt: s.CreatedAt, Scheme: s.Scheme, Usage: s.Usage,
	}, nil
}

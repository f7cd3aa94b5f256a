package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable is returned, wrapped, by a shared registry that cannot
// reach its store in time: a write that may not be committed, or a read
// the replica's cache cannot answer. The REST API answers it with 503 and
// Retry-After (ours).
var ErrUnavailable = errors.New("registry: store unavailable")

// Store is a key registry: the embedded bbolt Registry of one process, or
// Etcd, shared by several gateway replicas. Implementations are safe for
// concurrent use; Create is atomic (of two creates of one alias, exactly
// one succeeds and the other returns ErrExists).
type Store interface {
	// Create registers rec and returns it with CreatedAt set, ErrExists if
	// the alias is taken, or ErrInvalidAlias. It returns nil only once the
	// record is durable.
	Create(rec Record) (Record, error)
	// Get returns the record of alias, or ErrNotFound.
	Get(alias string) (Record, error)
	// List returns every record, ordered by alias.
	List() ([]Record, error)
	// Delete removes alias, durably when it returns nil, or returns
	// ErrNotFound.
	Delete(alias string) error
	// Close releases the store.
	Close() error
}

var (
	_ Store = (*Registry)(nil)
	_ Store = (*Etcd)(nil)
)

// prepare checks rec, sets a zero CreatedAt to now, and encodes it.
func prepare(rec Record) (Record, []byte, error) {
	if !ValidAlias(rec.Alias) {
		return Record{}, nil, ErrInvalidAlias
	}
	if rec.KeyType == "" || rec.Cryptogram == "" || rec.KCV == "" {
		return Record{}, nil, errors.New("registry: record needs keyType, cryptogram and kcv")
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now()
	}
	rec.CreatedAt = rec.CreatedAt.UTC()
	val, err := json.Marshal(stored{
		KeyType: rec.KeyType, Cryptogram: rec.Cryptogram.Reveal(), KCV: rec.KCV, CreatedAt: rec.CreatedAt,
		Scheme: rec.Scheme, Usage: rec.Usage,
	})
	if err != nil {
		return Record{}, nil, fmt.Errorf("registry: encoding record: %w", err)
	}
	return rec, val, nil
}

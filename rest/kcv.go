package rest

import (
	"crypto/sha256"
	"sync"
)

// kcvCache remembers the key check value of inline key cryptograms, so that
// the KCV every response echoes costs one BU per key, not one per request
// (ours). Entries are keyed by SHA-256 of the key type code and the
// cryptogram, so the cache holds no cryptogram. A cryptogram's KCV under one
// LMK never changes; when the cache is full an arbitrary entry is evicted.
type kcvCache struct {
	mu  sync.RWMutex
	max int
	m   map[[sha256.Size]byte]string
}

func newKCVCache(max int) *kcvCache {
	return &kcvCache{max: max, m: make(map[[sha256.Size]byte]string)}
}

func kcvCacheKey(typeCode, cryptogram string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(typeCode))
	h.Write([]byte{0})
	h.Write([]byte(cryptogram))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *kcvCache) get(k [sha256.Size]byte) (string, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *kcvCache) put(k [sha256.Size]byte, kcv string) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = kcv
	c.mu.Unlock()
}

package simulator

import (
	"crypto/cipher"
	"errors"
	"sync"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
)

// defaultCacheSize bounds the decrypted keys kept per HSM.
const defaultCacheSize = 4096

// clearKey is a key decrypted from under the LMK with the cipher schedules
// the commands need, built once per key. It is immutable once built, except
// for the lazily built schedules, each behind its own sync.Once.
type clearKey struct {
	key   keys.ClearKey
	block cipher.Block // Triple DES (or DES for single keys) under the key; AES for an AES key block
	alg   byte         // key block algorithm ('T', 'D', 'A'); 0 for a variant-LMK key

	cvkOnce sync.Once
	cvk     *card.CVK
	cvkErr  error

	retailOnce sync.Once
	retail     *mac.Retail
	retailErr  error
}

// cvkSchedule returns the key as a CVK pair (card.CVK), built once.
func (k *clearKey) cvkSchedule() (*card.CVK, error) {
	k.cvkOnce.Do(func() { k.cvk, k.cvkErr = card.NewCVK(k.key.Bytes()) })
	return k.cvk, k.cvkErr
}

// retailSchedule returns the key as an ISO 9797-1 MAC algorithm 3 key,
// built once.
func (k *clearKey) retailSchedule() (*mac.Retail, error) {
	k.retailOnce.Do(func() { k.retail, k.retailErr = mac.NewRetail(k.key.Bytes()) })
	return k.retail, k.retailErr
}

// cacheKey identifies a key under the LMK: its type, scheme and cryptogram.
type cacheKey struct {
	kt     keys.KeyType
	scheme hostcmd.KeyScheme
	hex    string
	role   role // key blocks: the role the header was checked against
}

// keyCache keeps decrypted keys so that a key used again does not pay for
// its LMK decryption and its cipher schedules again. It is bounded: two
// generations of at most max/2 entries each; a hit in the old generation
// moves the entry to the new one, and when the new one is full the old one
// is dropped (an approximation of least-recently-used).
type keyCache struct {
	mu       sync.Mutex
	cur, old map[cacheKey]*clearKey
	half     int
}

func newKeyCache(size int) *keyCache {
	half := max(size/2, 1)
	return &keyCache{cur: make(map[cacheKey]*clearKey, half), half: half}
}

func (c *keyCache) get(k cacheKey) *clearKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v
	}
	if v, ok := c.old[k]; ok {
		delete(c.old, k)
		c.putLocked(k, v)
		return v
	}
	return nil
}

func (c *keyCache) put(k cacheKey, v *clearKey) {
	c.mu.Lock()
	c.putLocked(k, v)
	c.mu.Unlock()
}

func (c *keyCache) putLocked(k cacheKey, v *clearKey) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[cacheKey]*clearKey, c.half)
	}
	c.cur[k] = v
}

// len returns the number of keys cached.
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// lmkScheme maps a key field's scheme to the LMK wrapping scheme.
func lmkScheme(s hostcmd.KeyScheme) keys.Scheme {
	switch s {
	case hostcmd.SchemeSingle:
		return keys.SchemeSingle
	case hostcmd.SchemePair:
		return keys.SchemePair
	}
	return keys.Scheme(s) // U, T, X, Y: the tag letter
}

// errKeyField reports a key field that does not decode (not hex, wrong
// length); the parser has normally refused it already.
var errKeyField = errors.New("simulator: key field does not decode")

// key decrypts the key field f of type kt under the LMK, from the cache when
// it can. A parity error wraps keys.ErrParity. Under a key-block LMK f must
// be an S block whose header fits kt's default role (keyAs); an S block
// under a variant LMK answers A1.
func (h *HSM) key(kt keys.KeyType, f hostcmd.KeyField) (*clearKey, error) {
	return h.keyAs(kt, defaultRole(kt), f)
}

// variantKey decrypts a variant key field under the variant LMK.
func (h *HSM) variantKey(kt keys.KeyType, f hostcmd.KeyField) (*clearKey, error) {
	ck := cacheKey{kt: kt, scheme: f.Scheme, hex: f.Hex}
	if k := h.cache.get(ck); k != nil {
		return k, nil
	}
	ct, err := f.Ciphertext()
	if err != nil {
		return nil, errKeyField
	}
	clear, err := h.lmk.Decrypt(kt, lmkScheme(f.Scheme), ct)
	if err != nil {
		return nil, err
	}
	b, err := tdes.New(clear.Bytes())
	if err != nil {
		return nil, err
	}
	k := &clearKey{key: clear, block: b}
	h.cache.put(ck, k)
	return k, nil
}

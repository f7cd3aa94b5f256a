package conformance

import (
	"crypto/aes"
	"fmt"
	"io"
	"sync"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// DUKPTPINBlock returns the 8-byte PIN block a TDES DUKPT terminal sends
// for PIN p and card number pan in the transaction with KSN ksn: the ISO
// 9564-1 format 0 block (account field from pan) enciphered with TDES-ECB
// under the transaction's PIN key, derived from the double-length bdk
// (ANSI X9.24-1:2009). It is the terminal side of CI and G0, for tests and
// load; a host never holds a BDK in clear outside an HSM.
func DUKPTPINBlock(bdk keys.ClearKey, ksn dukpt.KSN, p pin.PIN, pan string) ([]byte, error) {
	acct, err := pin.AccountFromPAN(pan)
	if err != nil {
		return nil, fmt.Errorf("conformance: DUKPT PIN block: %w", err)
	}
	k, err := dukpt.DeriveTDES(bdk, ksn, dukpt.VariantPIN)
	if err != nil {
		return nil, fmt.Errorf("conformance: DUKPT PIN block: %w", err)
	}
	defer k.Destroy()
	c, err := tdes.New(k.Bytes())
	if err != nil {
		return nil, fmt.Errorf("conformance: DUKPT PIN block: %w", err)
	}
	b, err := pin.EncryptBlock(nil, c, pin.ISO0, p, acct, nil)
	if err != nil {
		return nil, fmt.Errorf("conformance: DUKPT PIN block: %w", err)
	}
	return b, nil
}

// AESDUKPTPINBlock returns the 16-byte PIN block an AES DUKPT terminal
// sends for PIN p and card number pan in the transaction with KSN ksn: the
// ISO 9564-1 format 4 block, two-step enciphered under the transaction's
// PIN key of type kt (AES128, AES192 or AES256, no stronger than bdk),
// derived from bdk (ANSI X9.24-3:2017). The PIN key, never the transaction
// key: a block under the latter is the classic interop mistake. rnd supplies
// the 8 random bytes of the PIN field (nil means crypto/rand.Reader); a
// fixed reader reproduces the standard's vectors.
func AESDUKPTPINBlock(bdk keys.ClearKey, ksn dukpt.AESKSN, kt dukpt.KeyType, p pin.PIN, pan string, rnd io.Reader) ([]byte, error) {
	if kt != dukpt.AES128 && kt != dukpt.AES192 && kt != dukpt.AES256 {
		return nil, fmt.Errorf("conformance: AES DUKPT PIN block: %w: format 4 needs an AES PIN key, not %s", dukpt.ErrKeyType, kt)
	}
	k, err := dukpt.DeriveAES(bdk, ksn, dukpt.UsagePIN, kt)
	if err != nil {
		return nil, fmt.Errorf("conformance: AES DUKPT PIN block: %w", err)
	}
	defer k.Destroy()
	c, err := aes.NewCipher(k.Bytes())
	if err != nil {
		return nil, fmt.Errorf("conformance: AES DUKPT PIN block: %w", err)
	}
	b, err := pin.EncryptBlock(nil, c, pin.ISO4, p, pan, rnd)
	if err != nil {
		return nil, fmt.Errorf("conformance: AES DUKPT PIN block: %w", err)
	}
	return b, nil
}

// DUKPTTerminal is a simulated TDES DUKPT PIN pad: every PINBlock call
// advances its KSN to the next counter a terminal may use (at most 10 bits
// set) and returns that KSN with the block, so a load run sends fresh KSNs.
// It is safe for concurrent use.
type DUKPTTerminal struct {
	mu  sync.Mutex
	bdk keys.ClearKey
	ksn dukpt.KSN
}

// NewDUKPTTerminal returns a terminal whose first transaction uses the
// counter after that of ksn (pass an initial KSN, counter 0, to start at
// counter 1). The terminal keeps bdk (shared, not copied): do not Destroy it
// while the terminal is in use.
func NewDUKPTTerminal(bdk keys.ClearKey, ksn dukpt.KSN) *DUKPTTerminal {
	return &DUKPTTerminal{bdk: bdk, ksn: ksn}
}

// PINBlock advances the terminal's KSN and returns it with the PIN block of
// p and pan (see DUKPTPINBlock). When the counter is exhausted it returns
// an error wrapping dukpt.ErrCounter and the terminal stays exhausted.
func (t *DUKPTTerminal) PINBlock(p pin.PIN, pan string) (dukpt.KSN, []byte, error) {
	t.mu.Lock()
	next, err := t.ksn.Next()
	if err == nil {
		t.ksn = next
	}
	t.mu.Unlock()
	if err != nil {
		return dukpt.KSN{}, nil, fmt.Errorf("conformance: DUKPT terminal: %w", err)
	}
	b, err := DUKPTPINBlock(t.bdk, next, p, pan)
	return next, b, err
}

package testvec

import (
	"os"
	"path/filepath"
	"testing"
)

// DUKPTPINBlock is a published DUKPT PIN block: PIN 1234 enciphered under
// the PIN key of KSN (hex), for the PAN of its set.
type DUKPTPINBlock struct{ KSN, Block string }

// DUKPTPINBlocks returns the published DUKPT PIN blocks kept in
// keys/dukpt/testdata/vectors.json, where each names its public source:
// tdes, the ANSI X9.24-1:2009 A.4 blocks (BDK
// 0123456789ABCDEFFEDCBA9876543210, PAN 4012345678909, ISO format 0), and
// aes, the AES-128 format 4 blocks of the ANSI X9.24-3:2017 supplement (BDK
// FEDCBA9876543210F1F1F1F1F1F1F1F1, PAN 4111111111111111, random half
// 2F69ADDE2E9E7ACE). The DUKPT tests of conformance, simulator and rest all
// read this one file.
func DUKPTPINBlocks(t testing.TB) (tdes, aes []DUKPTPINBlock) {
	t.Helper()
	var f struct {
		TDES   struct{ Transactions []dukptTxn } `json:"tdes"`
		AES128 struct{ Transactions []dukptTxn } `json:"aes128"`
	}
	LoadJSON(t, ModuleFile(t, "keys/dukpt/testdata/vectors.json"), &f)
	pick := func(txs []dukptTxn) []DUKPTPINBlock {
		var out []DUKPTPINBlock
		for _, tx := range txs {
			if tx.PINBlock != "" {
				out = append(out, DUKPTPINBlock{KSN: tx.KSN, Block: tx.PINBlock})
			}
		}
		return out
	}
	tdes, aes = pick(f.TDES.Transactions), pick(f.AES128.Transactions)
	if len(tdes) == 0 || len(aes) == 0 {
		t.Fatalf("keys/dukpt/testdata/vectors.json: %d TDES and %d AES PIN blocks", len(tdes), len(aes))
	}
	return tdes, aes
}

type dukptTxn struct {
	KSN      string `json:"ksn"`
	PINBlock string `json:"pinBlock"`
}

// ModuleFile returns the path of file rel (slash-separated, from the
// module's root) for a test running in any package directory of the
// module: the root is the nearest directory above that holds go.mod.
func ModuleFile(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel))
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("no go.mod above the test's directory for %s", rel)
		}
		dir = up
	}
}

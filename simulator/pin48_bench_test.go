package simulator

import "testing"

// BenchmarkExecuteISO4: format 48 commands through HSM.Execute under the
// test AES key-block LMK, with the X9.24-3 format 4 block of pin48_test.go.
// The key blocks are opened once and stay in the HSM's key cache; each
// request parses, deciphers the AES block and answers. CA and CC 48 to 01
// re-encipher under a TDES ZPK, CC 48 to 48 under the AES ZPK (a new
// random half from crypto/rand); JE ends with the PIN under the LMK.
func BenchmarkExecuteISO4(b *testing.B) {
	benchExecute(b, kbHSM, []struct{ name, body string }{
		{"CA-48to01", "CA" + x9ZPK + tdesZPK + "12" + x9Block + "48" + "01" + x9PAN + ";"},
		{"CC-48to01", "CC" + x9ZPK + tdesZPK + "12" + x9Block + "48" + "01" + x9PAN + ";"},
		{"CC-48to48", "CC" + x9ZPK + aesS(b, "P0", 'A', 'B', x9Key) + "12" + x9Block + "48" + "48" + x9PAN + ";"},
		{"JE-48", "JE" + x9ZPK + x9Block + "48" + x9PAN + ";"},
	})
}

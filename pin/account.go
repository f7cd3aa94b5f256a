package pin

// AccountFromPAN returns the payShield account field of a PAN: its 12
// right-most digits excluding the check digit. Formats 0 and 3, the Visa PVV
// and the payShield validation data are computed from this field.
//
// The PAN must have 8 to 19 decimal digits (ours: the ISO/IEC 7812-1 PAN
// lengths). When it has fewer than 13, the digits before the check digit are
// right-justified and padded on the left with zeros, as ISO 9564-1 specifies
// for the format 0 account field. The check digit is not verified (payShield
// does not either). Errors wrap ErrAccount.
func AccountFromPAN(pan string) (string, error) {
	a, err := accountDigits(pan)
	if err != nil {
		return "", err
	}
	return string(a[:]), nil
}

// accountDigits is AccountFromPAN without the allocation.
func accountDigits(pan string) (a [12]byte, err error) {
	if len(pan) < 8 || len(pan) > 19 || !decimal(pan) {
		return a, errPAN
	}
	body := pan[:len(pan)-1]
	if len(body) > 12 {
		body = body[len(body)-12:]
	}
	n := copy(a[12-len(body):], body)
	for i := range 12 - n {
		a[i] = '0'
	}
	return a, nil
}

// decimal reports whether s is all digits 0-9 (true for "").
func decimal[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accountBlock returns the ISO 9564-1 format 0/3 account field: four zero
// nibbles and the 12 digits of account, packed.
func accountBlock[S ~string | ~[]byte](account S) (b [8]byte, err error) {
	if len(account) != 12 || !decimal(account) {
		return b, errAccount
	}
	for i := range 6 {
		b[2+i] = (account[2*i]-'0')<<4 | (account[2*i+1] - '0')
	}
	return b, nil
}

// panField returns the ISO 9564-1 format 4 plaintext PAN field: nibble
// M = len(pan)-12 (0 when the PAN is shorter), the PAN (right-justified in 12
// digits with leading zeros when shorter), then zeros to 32 nibbles.
func panField(pan string) (b [16]byte, err error) {
	if len(pan) < 1 || len(pan) > 19 || !decimal(pan) {
		return b, errPANISO4
	}
	var nib [32]byte
	pos := 1
	if len(pan) >= 12 {
		nib[0] = byte(len(pan) - 12)
	} else {
		pos += 12 - len(pan)
	}
	for i := 0; i < len(pan); i++ {
		nib[pos+i] = pan[i] - '0'
	}
	packNibbles(b[:], nib[:])
	return b, nil
}

// packNibbles packs nibble values (0-15) two to a byte, high nibble first.
func packNibbles(dst, nib []byte) {
	for i := range dst {
		dst[i] = nib[2*i]<<4 | nib[2*i+1]
	}
}

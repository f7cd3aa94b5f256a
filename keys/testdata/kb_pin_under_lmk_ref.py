# Independent reference (Python 'cryptography': AES, Triple DES, CMAC) of the
# PIN under a key-block LMK (ours; keys/kbpinlmk.go): the PIN key derived from
# the LMK by the TR-31 CMAC derivation with key usage indicator 5049 ("PI"),
# then the variant LMK's PIN algorithm (pin_under_lmk_ref.py) with blocks of
# the PIN key's size. Prints testdata/kb_pin_under_lmk.json.
import json, warnings; warnings.filterwarnings("ignore")
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

LMKS = {
    "AES": bytes.fromhex("9B71333A13F9FAE72F9D0E2DAB4AD678" "4718012F9244033F3F26A2DE0C8AA11A"),
    "TDES": bytes.fromhex("0123456789ABCDEF" "8080808080808080" "FEDCBA9876543210"),
    "TDES2": bytes.fromhex("0123456789ABCDEF" "FEDCBA9876543210"),
}

def alg(k):
    return algorithms.AES(k) if len(k) == 32 else TripleDES(k)

def cmac(k, m):
    c = CMAC(alg(k)); c.update(m); return c.finalize()

def E(k, b):
    return Cipher(alg(k), modes.ECB()).encryptor().update(b)

def pin_key(lmk):
    a = {16: 0, 24: 1, 32: 4}[len(lmk)]
    bits = len(lmk) * 8
    out = b''
    i = 1
    while len(out) < len(lmk):
        out += cmac(lmk, bytes([i, 0x50, 0x49, 0, a >> 8, a & 0xFF, bits >> 8, bits & 0xFF]))
        i += 1
    return out[:len(lmk)]

def visa(b, n):
    h = b.hex().upper()
    s = [c for c in h if c.isdigit()] + [str(ord(c)-ord('A')) for c in h if not c.isdigit()]
    return ''.join(s[:n])

def enc_pin(K, pin, acct):
    bs = 16 if len(K) == 32 else 8
    n = len(pin)
    T = bytes.fromhex((acct + '%d%d' % (n//10, n%10)).ljust(2*bs, 'F'))
    Z = E(K, T)
    d = visa(Z, n+1)
    s = [1 + int(x) % 9 for x in d]
    P = bytes.fromhex(pin.ljust(2*bs, 'F'))
    c = int(visa(E(K, bytes(a ^ b for a, b in zip(Z, P))), 1))
    x = [c] + [int(p) for p in pin]
    return ''.join(str((xi + si) % 10) for xi, si in zip(x, s))

CASES = [("1234", "411111111111"), ("0000", "000000000000"), ("9999", "999999999999"),
         ("123456789012", "123456789012"), ("56781", "550000025321"), ("246810", "432198765432")]
out = {"about": "PIN under a key-block LMK (ours: keys/kbpinlmk.go) under the two public test key-block LMKs (AES, TDES) and a double-length TDES key-block LMK 0123456789ABCDEFFEDCBA9876543210 (TDES2).",
       "source": "computed by an independent implementation of the documented algorithm in Python with pyca/cryptography AES, Triple DES and CMAC: testdata/kb_pin_under_lmk_ref.py",
       "cases": []}
for name, lmk in LMKS.items():
    K = pin_key(lmk)
    for pin, acct in CASES:
        out["cases"].append({"lmk": name, "pin": pin, "account": acct, "under_lmk": enc_pin(K, pin, acct)})
print(json.dumps(out, indent=1))

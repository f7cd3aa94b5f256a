# Independent reference (Python 'cryptography' Triple DES) of the variant LMK
# algorithm and of keys.EncryptPIN as documented; used to cross-check vectors.
import warnings; warnings.filterwarnings("ignore")
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

def E(k, b):
    k = k + k[:8] if len(k) == 16 else k
    if len(k) == 8: k = k*3
    return Cipher(TripleDES(k), modes.ECB()).encryptor().update(b)
def D(k, b):
    k = k + k[:8] if len(k) == 16 else k
    if len(k) == 8: k = k*3
    return Cipher(TripleDES(k), modes.ECB()).decryptor().update(b)

LMK = """0101010101010101 7902CD1FD36EF8BA
2020202020202020 3131313131313131
4040404040404040 5151515151515151
6161616161616161 7070707070707070
8080808080808080 9191919191919191
A1A1A1A1A1A1A1A1 B0B0B0B0B0B0B0B0
C1C1010101010101 D0D0010101010101
E0E0010101010101 F1F1010101010101
1C587F1C13924FEF 0101010101010101
0101010101010101 0101010101010101
0202020202020202 0404040404040404
0707070707070707 1010101010101010
1313131313131313 1515151515151515
1616161616161616 1919191919191919
1A1A1A1A1A1A1A1A 1C1C1C1C1C1C1C1C
2323232323232323 2525252525252525
2626262626262626 2929292929292929
2A2A2A2A2A2A2A2A 2C2C2C2C2C2C2C2C
2F2F2F2F2F2F2F2F 3131313131313131
0101010101010101 0101010101010101"""
PAIRS = [bytes.fromhex(l.replace(' ', '')) for l in LMK.splitlines()]
VAR = [0, 0xA6, 0x5A, 0x6A, 0xDE, 0x2B, 0x50, 0x74, 0x9C, 0xFA]
def pair_of(pc): return pc + 2 if pc < 2 else pc + 5
def parity(b): return bytes(x ^ (1 - bin(x).count('1') % 2) for x in b)

def wrap(pairidx, variant, scheme, key, dec=False):
    k = bytearray(PAIRS[pairidx]); k[0] ^= VAR[variant]
    if not dec: key = parity(key)
    f = D if dec else E
    out = b''
    for i in range(0, len(key), 8):
        kk = bytearray(k)
        if scheme == 'U': kk[8] ^= [0xA6, 0x5A][i//8]
        if scheme == 'T': kk[8] ^= [0x6A, 0xDE, 0x2B][i//8]
        out += f(bytes(kk), key[i:i+8])
    return out

def kt(code):
    return pair_of(int(code[1:], 16)), int(code[0])

def visa(b, n):
    h = b.hex().upper()
    s = [c for c in h if c.isdigit()] + [str(ord(c)-ord('A')) for c in h if not c.isdigit()]
    return ''.join(s[:n])

def enc_pin(pin, acct):
    K = PAIRS[1]; n = len(pin)
    T = bytes.fromhex(acct + '%d%dFF' % (n//10, n%10))
    Z = E(K, T)
    d = visa(Z, n+1)
    s = [1 + int(x) % 9 for x in d]
    P = bytes.fromhex((pin + 'F'*16)[:16])
    c = int(visa(E(K, bytes(a ^ b for a, b in zip(Z, P))), 1))
    x = [c] + [int(p) for p in pin]
    return ''.join(str((xi + si) % 10) for xi, si in zip(x, s))

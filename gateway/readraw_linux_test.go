package gateway

import (
	"syscall"
	"testing"
	"unsafe"
)

// cmsg builds one control message as the kernel lays it out (cmsg(3)).
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, syscall.CmsgSpace(len(data)))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(syscall.CmsgLen(len(data)))
	copy(b[syscall.CmsgLen(0):], data)
	return b
}

func TestInqReadsTheTCPInqControlMessage(t *testing.T) {
	le := func(v int32) []byte {
		b := make([]byte, 4)
		*(*int32)(unsafe.Pointer(&b[0])) = v
		return b
	}
	join := func(parts ...[]byte) []byte {
		out := make([]byte, 0, 64) // one aligned buffer, as from make
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		oob  []byte
		want int
	}{
		{"none", nil, -1},
		{"empty socket", cmsg(syscall.SOL_TCP, tcpInq, le(0)), 0},
		{"bytes left", cmsg(syscall.SOL_TCP, tcpInq, le(1234)), 1234},
		{"FIN read (kernel says 1)", cmsg(syscall.SOL_TCP, tcpInq, le(1)), 1},
		{"other level", cmsg(syscall.SOL_SOCKET, tcpInq, le(0)), -1},
		{"other type", cmsg(syscall.SOL_TCP, tcpInq+1, le(0)), -1},
		{"after another message", join(cmsg(syscall.SOL_SOCKET, 1, le(7)), cmsg(syscall.SOL_TCP, tcpInq, le(5))), 5},
		{"truncated header", cmsg(syscall.SOL_TCP, tcpInq, le(0))[:syscall.CmsgLen(0)-1], -1},
		{"length beyond the buffer", cmsg(syscall.SOL_TCP, tcpInq, le(0))[:syscall.CmsgLen(0)+2], -1},
	} {
		if got := inq(tt.oob); got != tt.want {
			t.Errorf("%s: inq = %d, want %d", tt.name, got, tt.want)
		}
	}
}

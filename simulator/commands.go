package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
)

// handler answers one parsed request whose LMK identifier has been checked.
// It appends the whole response (response code, 00, fields, echoed trailer)
// to dst, or leaves dst as it was and returns an error code; a handler that
// appends nothing and returns "" or 00 is answered 00 with no fields (the
// verifications).
type handler func(h *HSM, dst []byte, req hostcmd.Request) ([]byte, hostcmd.Code)

// handlerByCode is the simulator's side of hostcmd's command table: one
// entry a command, keyed by its code. TestEveryTableCommandIsImplemented
// checks that it covers the table and nothing else.
var handlerByCode = map[string]handler{
	"NC": answer((*HSM).nc),
	"NO": answer((*HSM).no),
	"B2": answer((*HSM).b2),
	"A0": on((*HSM).a0),
	"BU": on((*HSM).bu),
	"A6": on((*HSM).a6),
	"A8": on((*HSM).a8),
	"CA": on((*HSM).ca),
	"CC": on((*HSM).cc),
	"JE": on((*HSM).je),
	"JG": on((*HSM).jg),
	"BA": on((*HSM).ba),
	"NG": on((*HSM).ng),
	"DC": verify(func(h *HSM, r *hostcmd.DC) hostcmd.Code {
		return h.verifyPVV(r.TPK, keys.TPK, r.PVK, string(r.PINBlock), r.Format, string(r.Account), r.PVKI, string(r.PVV))
	}),
	"EC": verify(func(h *HSM, r *hostcmd.EC) hostcmd.Code {
		return h.verifyPVV(r.ZPK, keys.ZPK, r.PVK, string(r.PINBlock), r.Format, string(r.Account), r.PVKI, string(r.PVV))
	}),
	"DA": verify(func(h *HSM, r *hostcmd.DA) hostcmd.Code { return h.verifyOffset(r.TPK, keys.TPK, &r.IBMOffset) }),
	"EA": verify(func(h *HSM, r *hostcmd.EA) hostcmd.Code { return h.verifyOffset(r.ZPK, keys.ZPK, &r.IBMOffset) }),
	"CW": on((*HSM).cw),
	"CY": verify((*HSM).cy),
	"KQ": on((*HSM).kq),
	"KW": on((*HSM).kw),
	"M6": on((*HSM).m6),
	"M8": verify((*HSM).m8),
	"CI": on((*HSM).ci),
	"G0": on((*HSM).g0),
	"GO": verify((*HSM).verifyGO),
	"GQ": verify((*HSM).verifyGQ),
	"GW": verify((*HSM).verifyGW),
}

// handlers is handlerByCode indexed by hostcmd.CommandIndex, built once, so
// that Execute finds a handler without hashing.
var handlers = indexHandlers()

func indexHandlers() []handler {
	hs := make([]handler, hostcmd.NumCommands())
	for code, f := range handlerByCode {
		if i := hostcmd.CommandIndex([2]byte{code[0], code[1]}); i >= 0 {
			hs[i] = f
		}
	}
	return hs
}

// Adapters from the typed handlers to handler. The type assertion cannot
// fail: hostcmd's parser returns the request type of the table entry.

func on[R hostcmd.Request](f func(*HSM, []byte, R) ([]byte, hostcmd.Code)) handler {
	return func(h *HSM, dst []byte, req hostcmd.Request) ([]byte, hostcmd.Code) { return f(h, dst, req.(R)) }
}

func answer[R hostcmd.Request](f func(*HSM, []byte, R) []byte) handler {
	return func(h *HSM, dst []byte, req hostcmd.Request) ([]byte, hostcmd.Code) { return f(h, dst, req.(R)), "" }
}

func verify[R hostcmd.Request](f func(*HSM, R) hostcmd.Code) handler {
	return func(h *HSM, dst []byte, req hostcmd.Request) ([]byte, hostcmd.Code) { return dst, f(h, req.(R)) }
}

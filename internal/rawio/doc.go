// Package rawio reads and writes sockets with raw system calls, on Linux.
//
// The Go runtime marks a goroutine that enters a system call, and its
// monitor thread hands that goroutine's processor to another thread when
// the call lasts past its 20 µs tick while other goroutines wait to run.
// A raw call is not marked: for its duration the goroutine holds its
// processor as if it ran Go code, which is right for a call that cannot
// block. On a loaded machine a loopback write
// often does (it runs the receiver's TCP input too), so a relay that makes
// a few hundred thousand such calls a second keeps the monitor ticking at
// its fastest and pays thread wake-ups for hand-offs it does not need. The
// sockets of package net are non-blocking: their reads and writes return
// EAGAIN instead of waiting, so they are safe to make as raw calls, which
// the runtime does not mark. Waiting for readiness stays with the net
// poller, through syscall.RawConn, deadlines included.
//
// Elsewhere New returns nil and callers keep net.Conn; Write is
// syscall.Write on other Unix systems.
package rawio

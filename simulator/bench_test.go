package simulator

import (
	"bytes"
	"net"
	"sync"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// ccVector is the ThalesSim CC request (hostcmd.json "CC ZPK->ZPK, IBM 3624
// -> ISO 0") and its answer.
const (
	ccRequest  = "CCBAB32D775A38E4ABU1EF828AA8F6B80EB83E19FBC373F3A8512F7808F2CBEC631680301550000025321"
	ccResponse = "CD000491DDDA0A7C12CFAA01"
)

// BenchmarkExecute measures the engine alone, one command at a time.
func BenchmarkExecute(b *testing.B) {
	h := NewHSM(nil)
	for _, v := range []struct{ name, req string }{
		{"NC", "NC"},
		{"CC", ccRequest},
		{"CA", "CAU8463435FC4B4DAA0C49025272C29B12CU1EF828AA8F6B80EB83E19FBC373F3A85126428EB94035AF53B0101550000025321"},
		{"CW", "CWU9B4934384B19946B040CD702B4D581454123456789012345;8701101"},
		{"EC", "ECU1EF828AA8F6B80EB83E19FBC373F3A85U9516F257DFAF0DE7A15099A9E4343B2991DDDA0A7C12CFAA0155000002532114402"},
	} {
		b.Run(v.name, func(b *testing.B) {
			req := []byte(v.req)
			dst := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				dst = h.Execute(dst[:0], req)
			}
		})
	}
	b.Run("KQ", func(b *testing.B) {
		req := loadVector(b, "KQ Visa CVN 10 verify and ARPC")
		dst := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			dst = h.Execute(dst[:0], req)
		}
	})
}

// BenchmarkCCLoopback8Conns is the simulator's throughput target: 8
// client connections over loopback TCP, each pipelining CC commands with up
// to 256 in flight (written 32 frames per write), no licence throttle and no
// added latency. Each iteration sends 8 x 2048 commands and waits for all
// answers, checking each; the figure is the cmds/s metric.
func BenchmarkCCLoopback8Conns(b *testing.B) {
	const (
		conns    = 8
		perConn  = 2048
		window   = 256
		perWrite = 32
	)
	s := startServer(b, Config{})
	cs := make([]net.Conn, conns)
	for i := range cs {
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		cs[i] = nc
	}
	var chunk []byte
	for range perWrite {
		chunk = hostcmd.AppendFrame(chunk, []byte("0000"), []byte(ccRequest))
	}
	want := []byte(ccResponse)

	round := func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 2*conns)
		for _, nc := range cs {
			credit := make(chan struct{}, window/perWrite)
			for range window / perWrite {
				credit <- struct{}{}
			}
			wg.Go(func() {
				for sent := 0; sent < perConn; sent += perWrite {
					<-credit
					if _, err := nc.Write(chunk); err != nil {
						errs <- err
						return
					}
				}
			})
			wg.Go(func() {
				r := hostcmd.NewReader(nc, 4)
				for got := 1; got <= perConn; got++ {
					f, err := r.ReadFrame()
					if err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(f.Body(), want) {
						errs <- &hostcmd.ProtocolError{Msg: "unexpected CC answer"}
						return
					}
					if got%perWrite == 0 && got+window-perWrite < perConn+perWrite {
						credit <- struct{}{}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	if err := round(); err != nil { // warm the key cache and buffers
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := round(); err != nil {
			b.Fatal(err)
		}
		n += conns * perConn
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "cmds/s")
}

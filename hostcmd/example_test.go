package hostcmd_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

func ExampleParseRequest() {
	// hsm-protocol.md §7.1, ThalesSim CA test.
	body := []byte("CAU8463435FC4B4DAA0C49025272C29B12CU1EF828AA8F6B80EB83E19FBC373F3A85126428EB94035AF53B0101550000025321")
	req, err := hostcmd.ParseRequest(body)
	if err != nil {
		panic(err)
	}
	ca := req.(*hostcmd.CA)
	fmt.Println(req.Code(), string(ca.TPK.Scheme), ca.SourceFormat, ca.PINBlock)
	fmt.Println(bytes.Equal(req.AppendBody(nil), body))

	_, err = hostcmd.ParseRequest([]byte("CAU8463435FC4B4DAA0C49025272C29B12CU1EF828AA8F6B80EB83E19FBC373F3A85126428EB94035AF53B4901550000025321"))
	var he *hostcmd.Error
	fmt.Println(errors.As(err, &he), he.Code, he.Field)
	fmt.Println(err)
	// Output:
	// CA U 01 [REDACTED]
	// true
	// true 23 sourceFormat
	// hostcmd: CA: sourceFormat: error 23 (invalid PIN block format code)
}

func ExampleReader() {
	var stream []byte
	stream = hostcmd.AppendFrame(stream, []byte("0001"), []byte("NC"))
	stream = hostcmd.AppendFrame(stream, []byte("0002"), []byte("NO00"))
	r := hostcmd.NewReader(bytes.NewReader(stream), 4)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			fmt.Println(err)
			break
		}
		code := f.Code()
		spec, _ := hostcmd.Lookup(code)
		fmt.Printf("%s %s -> %s (%s)\n", f.Header(), code[:], spec.Response, spec.Name)
	}
	// Output:
	// 0001 NC -> ND (perform diagnostics)
	// 0002 NO -> NP (HSM status)
	// EOF
}

func ExampleAppendErrorResponse() {
	req := []byte("JGBAB32D775A38E4AB9955000002532101234\x19abc")
	var resp []byte
	r, err := hostcmd.ParseRequest(req)
	var he *hostcmd.Error
	if errors.As(err, &he) {
		resp = hostcmd.AppendErrorResponse(resp, [2]byte{req[0], req[1]}, he.Code)
		// Echo the trailer (hostcmd.md §1); a real handler keeps it from
		// the envelope when the request parses.
		resp = append(resp, "\x19abc"...)
	}
	_ = r
	fmt.Printf("%q\n", resp)
	// Output: "JH23\x19abc"
}

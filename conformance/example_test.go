package conformance_test

import (
	"context"
	"fmt"

	"github.com/payhsm/payhsm-gw/conformance"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

// Run the known-answer suite against a simulator on a free loopback port.
func ExampleSuite_Run() {
	srv, err := simulator.Start(simulator.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	c, err := hostcmd.Dial(context.Background(), srv.Addr(), hostcmd.ClientOptions{HeaderLen: 4})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	suite, err := conformance.New(conformance.Options{})
	if err != nil {
		panic(err)
	}
	rs := suite.Run(context.Background(), c)
	fmt.Printf("%d passed, %d failed\n", rs.Passed, rs.Failed)
	// Output: 230 passed, 0 failed
}

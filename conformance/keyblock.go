package conformance

import "github.com/payhsm/payhsm-gw/hostcmd"

// keyBlockCmds adds the A6 and A8 cases a variant-LMK target must pass:
// both commands need a key-block LMK, so a variant-LMK HSM answers A1
// (docs/spec/hostcmd-keyblocks.md §1-§2; ours). The ZMK and key blocks are
// the contract's worked-example blocks under the test AES key-block LMK and
// the TR-31:2018 Annex A.7.2.1 block.
func (g *gen) keyBlockCmds() {
	const (
		zmk  = "10096K0TB00N00005A634D4F5AE0F8DA24C183601EA689F810ADC8D581508552923DCBB0CCF5B56C2A5DECC8E32E1DAB"
		zpk  = "10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
		tr31 = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	)
	s := func(b string) hostcmd.KeyField { return hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: b} }
	g.errCase("A6 under a variant LMK answers A1", &hostcmd.A6{KeyType: "FFF", ZMK: s(zmk),
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: tr31}, SchemeLMK: 'S'}, hostcmd.IncompatibleLMK)
	g.errCase("A8 under a variant LMK answers A1", &hostcmd.A8{KeyType: "FFF", ZMK: s(zmk), Key: s(zpk),
		SchemeZMK: 'R', Options: hostcmd.KeyBlockOptions{Version: 'B'}}, hostcmd.IncompatibleLMK)
}

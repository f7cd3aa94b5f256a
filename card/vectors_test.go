package card

import (
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// vectorFile is testdata/vectors.json; every row names its source.
type vectorFile struct {
	CVV []struct {
		Source      string `json:"source"`
		Regression  bool   `json:"regression"`
		CVK         string `json:"cvk"`
		PAN         string `json:"pan"`
		Expiry      string `json:"expiry"`
		ServiceCode string `json:"service_code"`
		CVV         string `json:"cvv"`
	} `json:"cvv"`
	VisaCAVV []struct {
		Source           string `json:"source"`
		Key              string `json:"cavv_key"`
		PAN              string `json:"pan"`
		ATN              string `json:"atn"`
		ARC              byte   `json:"auth_results_code"`
		SecondFactorCode string `json:"second_factor_code"`
		KeyIndicator     string `json:"key_indicator"`
		Output           string `json:"cavv_output"`
		CVVInput         string `json:"cvv_input"`
		CAVV             string `json:"cavv"`
		CAVVBase64       string `json:"cavv_base64"`
	} `json:"visa_cavv"`
	JPOSCAVV []struct {
		Source           string `json:"source"`
		Key              string `json:"cavv_key"`
		PAN              string `json:"pan"`
		UPN              string `json:"upn"`
		ARC              byte   `json:"auth_results_code"`
		SecondFactorCode string `json:"second_factor_code"`
		JPOSValue        string `json:"jpos_value"`
		PaddedValue      string `json:"padded_value"`
	} `json:"jpos_cavv"`
	AAVHMAC []struct {
		Source       string `json:"source"`
		Key          string `json:"key"`
		PAN          string `json:"pan"`
		Merchant     string `json:"merchant"`
		MerchantHash string `json:"merchant_hash"`
		Control      byte   `json:"control"`
		ACSID        byte   `json:"acs_id"`
		AuthMethod   byte   `json:"auth_method"`
		BINKeyID     byte   `json:"bin_key_id"`
		TSN          uint32 `json:"tsn"`
		AAV          string `json:"aav"`
		AAVBase64    string `json:"aav_base64"`
	} `json:"aav_hmac"`
	AAVCVC2 []struct {
		Source      string `json:"source"`
		KA          string `json:"ka"`
		KB          string `json:"kb"`
		PAN         string `json:"pan"`
		Expiry      string `json:"expiry"`
		ServiceCode string `json:"service_code"`
		CVC2        string `json:"cvc2"`
		AAV         string `json:"aav"`
		AAVBase64   string `json:"aav_base64"`
	} `json:"aav_cvc2"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var v vectorFile
	testvec.LoadJSON(t, "testdata/vectors.json", &v)
	if len(v.CVV) == 0 || len(v.VisaCAVV) == 0 || len(v.JPOSCAVV) == 0 || len(v.AAVHMAC) == 0 || len(v.AAVCVC2) == 0 {
		t.Fatal("testdata/vectors.json: a group is empty")
	}
	return &v
}

func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

func newCVK(t testing.TB, key string) *CVK {
	t.Helper()
	k, err := NewCVK(unhex(t, key))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

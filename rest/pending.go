package rest

import "errors"

var errPending = errors.New("rest: not built yet")

func (s *server) checkValue(rc *reqCtx, typeCode, cryptogram string) (string, error) {
	return "", errPending
}
func (s *server) generateKey(rc *reqCtx, typeCode string) (string, string, error) {
	return "", "", errPending
}
func (s *server) translatePIN(rc *reqCtx, p translateParams) (translateResult, error) {
	return translateResult{}, errPending
}
func (s *server) verifyPIN(rc *reqCtx, p pinVerifyParams) (bool, error) { return false, errPending }
func (s *server) generateCVV(rc *reqCtx, p cvvParams) (string, error)   { return "", errPending }
func (s *server) verifyCVV(rc *reqCtx, p cvvParams) (bool, error)       { return false, errPending }
func (s *server) generateMAC(rc *reqCtx, p macParams) (string, error)   { return "", errPending }
func (s *server) verifyMAC(rc *reqCtx, p macParams) (bool, error)       { return false, errPending }
func (s *server) verifyARQC(rc *reqCtx, p arqcParams) (bool, string, error) {
	return false, "", errPending
}
func (s *server) cavvVerify(rc *reqCtx, body []byte) (int, any, *apiError) { return 0, nil, nil }

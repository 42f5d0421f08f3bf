//go:build !wasip1

package proxywasm

// Outside wasip1 there is no proxy: every host function fails with
// ErrorStatusUnimplemented (logging does nothing), so that code using the
// package compiles and vets natively.

func log(LogLevel, string) {}

func getMapValue(uint32, string) (string, error)   { return "", ErrorStatusUnimplemented }
func getMapPairs(uint32) ([][2]string, error)      { return nil, ErrorStatusUnimplemented }
func addMapValue(uint32, string, string) error     { return ErrorStatusUnimplemented }
func replaceMapValue(uint32, string, string) error { return ErrorStatusUnimplemented }
func removeMapValue(uint32, string) error          { return ErrorStatusUnimplemented }
func getBuffer(uint32, int, int) ([]byte, error)   { return nil, ErrorStatusUnimplemented }
func setTickPeriod(uint32) error                   { return ErrorStatusUnimplemented }
func getSharedData(string) ([]byte, uint32, error) { return nil, 0, ErrorStatusUnimplemented }
func setSharedData(string, []byte, uint32) error   { return ErrorStatusUnimplemented }
func getProperty([]byte) ([]byte, error)           { return nil, ErrorStatusUnimplemented }
func setEffectiveContext(uint32) error             { return ErrorStatusUnimplemented }
func continueStream(uint32) error                  { return ErrorStatusUnimplemented }
func sendLocalResponse(uint32, string, []byte, [][2]string, int32) error {
	return ErrorStatusUnimplemented
}
func httpCall(string, [][2]string, []byte, [][2]string, uint32) (uint32, error) {
	return 0, ErrorStatusUnimplemented
}

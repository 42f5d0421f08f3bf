package host

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero/api"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// sigCheck is jwtgate_host.sig_check: a signature check with the host's
// native crypto (capability signatures), the key bound to the algorithm by
// core.ParseSignatureKey as the policy binds keys.
func (h *Host) sigCheck(_ context.Context, m api.Module, stack []uint64) {
	stack[0] = api.EncodeI32(h.checkSignature(m.Memory(), stack))
}

func (h *Host) checkSignature(mem api.Memory, stack []uint64) int32 {
	algPtr, algLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	keyPtr, keyLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	inPtr, inLen := api.DecodeU32(stack[4]), api.DecodeU32(stack[5])
	sigPtr, sigLen := api.DecodeU32(stack[6]), api.DecodeU32(stack[7])
	if algLen > 16 || keyLen > abi.MaxSigKeyBytes || sigLen > abi.MaxSigBytes || inLen > uint32(h.maxSigInput()) {
		return abi.SigError
	}
	alg, ok1 := mem.Read(algPtr, algLen)
	jwk, ok2 := mem.Read(keyPtr, keyLen)
	input, ok3 := mem.Read(inPtr, inLen)
	sig, ok4 := mem.Read(sigPtr, sigLen)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return abi.SigError
	}
	k, err := h.sigKeys.get(string(alg), jwk)
	if err != nil {
		return abi.SigError
	}
	h.sigChecks.Add(1)
	if k.Verify(input, sig) {
		return abi.SigValid
	}
	return abi.SigInvalid
}

// maxSigInput bounds a signing input: it is part of a token, which the
// host refuses past the token limit before the guest sees it.
func (h *Host) maxSigInput() int { return max(h.opts.MaxTokenBytes, core.MaxTokenBytesLimit) }

// sigKeys keeps the keys sig_check parsed, by algorithm and JWK.
type sigKeys struct {
	mu sync.Mutex
	m  map[sigKeyID]*core.SignatureKey
}

type sigKeyID struct{ alg, jwk string }

// maxSigKeys bounds sigKeys; past it the memo starts again (a policy and
// its key sets hold far fewer keys).
const maxSigKeys = 1024

func (s *sigKeys) get(alg string, jwk []byte) (*core.SignatureKey, error) {
	s.mu.Lock()
	k := s.m[sigKeyID{alg, string(jwk)}]
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := core.ParseSignatureKey(jwk, alg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxSigKeys {
		s.m = map[sigKeyID]*core.SignatureKey{}
	}
	s.m[sigKeyID{alg, string(jwk)}] = k
	return k, nil
}

package host

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/wasm/abi"
)

// instantiateHostModule defines the ABI's imports (abi.Imports()) for one
// runtime: every module gets all of them, each answered by the host of the
// instance that calls.
func (r *wasmRuntime) instantiateHostModule(ctx context.Context) error {
	impls := map[string]func(*Host, context.Context, api.Module, []uint64){
		abi.ImportReplayClaim: (*Host).replayClaim,
		abi.ImportKeySet:      (*Host).keySet,
		abi.ImportLog:         (*Host).log,
		abi.ImportSigCheck:    (*Host).sigCheck,
	}
	b := r.rt.NewHostModuleBuilder(abi.HostModule)
	for _, f := range abi.Imports() {
		impl := impls[f.Name]
		call := func(ctx context.Context, m api.Module, stack []uint64) { impl(r.hostOf(m), ctx, m, stack) }
		b = b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(call), valueTypes(f.ParamTypes()), valueTypes(f.ResultTypes())).
			WithParameterNames(f.ParamNames()...).
			Export(f.Name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// failWith writes msg (cut to capacity) at ptr and leaves the ABI's
// failure result, -(n+1), on the stack.
func failWith(mem api.Memory, stack []uint64, ptr, capacity uint32, msg string) {
	msg = msg[:min(len(msg), int(capacity))]
	if !mem.WriteString(ptr, msg) {
		msg = ""
	}
	stack[0] = api.EncodeI32(abi.Failure(len(msg)))
}

// replayClaim is jwtgate_host.replay_claim: ReplayStore.Claim for the guest.
func (h *Host) replayClaim(ctx context.Context, m api.Module, stack []uint64) {
	idPtr, idLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	expiry := time.Unix(int64(stack[2]), int64(api.DecodeI32(stack[3])))
	now := time.Unix(int64(stack[4]), int64(api.DecodeI32(stack[5])))
	msgPtr, msgCap := api.DecodeU32(stack[6]), api.DecodeU32(stack[7])
	mem := m.Memory()
	id, ok := mem.Read(idPtr, idLen)
	if !ok {
		failWith(mem, stack, msgPtr, msgCap, "replay_claim: id out of the module's memory")
		return
	}
	fresh, err := h.opts.Replay.Claim(ctx, string(id), expiry, now)
	switch {
	case err != nil:
		failWith(mem, stack, msgPtr, msgCap, err.Error())
	case fresh:
		stack[0] = api.EncodeI32(abi.ReplayFresh)
	default:
		stack[0] = api.EncodeI32(abi.ReplayUsed)
	}
}

// keySet is jwtgate_host.keyset_get: KeySource.KeySet for the guest. The
// guest names the URL, so with a module of unknown origin Options.Keys
// should serve only the URLs its owner allows.
func (h *Host) keySet(ctx context.Context, m api.Module, stack []uint64) {
	urlPtr, urlLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	kidPtr, kidLen := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	bufPtr, bufCap := api.DecodeU32(stack[4]), api.DecodeU32(stack[5])
	mem := m.Memory()
	fail := func(msg string) { failWith(mem, stack, bufPtr, bufCap, msg) }
	if h.opts.Keys == nil {
		fail("no key source configured")
		return
	}
	if urlLen > abi.MaxURLBytes || kidLen > abi.MaxKeyIDBytes {
		fail("keyset_get: url or kid over the ABI's limits")
		return
	}
	url, ok1 := mem.Read(urlPtr, urlLen)
	kid, ok2 := mem.Read(kidPtr, kidLen)
	if !ok1 || !ok2 {
		fail("keyset_get: url or kid out of the module's memory")
		return
	}
	doc, err := h.docs.get(ctx, h.opts.Keys, string(url), string(kid))
	if err != nil {
		fail(err.Error())
		return
	}
	if uint64(len(doc)) <= uint64(bufCap) && !mem.Write(bufPtr, doc) {
		fail("keyset_get: buffer out of the module's memory")
		return
	}
	stack[0] = api.EncodeI32(int32(len(doc)))
}

// keyDocs keeps the document of the last key set each URL gave, so that a
// key source answering from its cache (the same *core.KeySet) costs no
// encoding.
type keyDocs struct {
	mu   sync.Mutex
	last map[string]keyDoc
}

type keyDoc struct {
	set *core.KeySet
	doc []byte
}

// maxKeyDocs bounds keyDocs; past it the memo starts again.
const maxKeyDocs = 64

func (k *keyDocs) get(ctx context.Context, src core.KeySource, url, kid string) ([]byte, error) {
	set, err := src.KeySet(ctx, url, kid)
	if err != nil || set == nil {
		return nil, fmt.Errorf("%v", err) // as the core words it natively: "<nil>" for a nil set
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if d, ok := k.last[url]; ok && d.set == set {
		return d.doc, nil
	}
	doc, err := set.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if len(doc) > abi.MaxKeySetBytes {
		return nil, fmt.Errorf("key set of %d bytes is over the plugin's limit of %d", len(doc), abi.MaxKeySetBytes)
	}
	if k.last == nil || len(k.last) >= maxKeyDocs {
		k.last = map[string]keyDoc{}
	}
	k.last[url] = keyDoc{set: set, doc: doc}
	return doc, nil
}

// log is jwtgate_host.log: a line from the guest, to Options.Logger.
func (h *Host) log(ctx context.Context, m api.Module, stack []uint64) {
	level := abi.Level(api.DecodeI32(stack[0]))
	msg, ok := m.Memory().Read(api.DecodeU32(stack[1]), min(api.DecodeU32(stack[2]), abi.MaxLogBytes))
	if !ok {
		return
	}
	lv := slog.LevelDebug
	switch level {
	case abi.LevelInfo:
		lv = slog.LevelInfo
	case abi.LevelWarn:
		lv = slog.LevelWarn
	case abi.LevelError:
		lv = slog.LevelError
	}
	h.opts.Logger.Log(ctx, lv, string(msg), "source", "wasm-guest")
}

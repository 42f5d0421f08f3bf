package proxywasm

// The state behind the exports, kept apart from them so that it compiles
// (and can be vetted) natively. A VM runs one callback at a time.

var (
	vmContext      VMContext
	pluginContexts = map[uint32]PluginContext{}
	httpContexts   = map[uint32]HttpContext{}
	httpCallbacks  = map[uint32]HttpCalloutCallback{}
)

// SetVMContext registers the module's VMContext. Call it from an init
// function: a -buildmode=c-shared module's main is never run.
func SetVMContext(c VMContext) { vmContext = c }

func onContextCreate(contextID, parentID uint32) {
	if parentID == 0 {
		if vmContext == nil {
			panic("proxywasm: no VMContext; call SetVMContext from init")
		}
		pluginContexts[contextID] = vmContext.NewPluginContext(contextID)
		return
	}
	if root, ok := pluginContexts[parentID]; ok {
		httpContexts[contextID] = root.NewHttpContext(contextID)
	}
}

func onVMStart(size uint32) bool {
	return vmContext != nil && vmContext.OnVMStart(int(size))
}

func onConfigure(contextID, size uint32) bool {
	root, ok := pluginContexts[contextID]
	return ok && root.OnPluginStart(int(size))
}

func onTick(contextID uint32) {
	if root, ok := pluginContexts[contextID]; ok {
		root.OnTick()
	}
}

func onRequestHeaders(contextID, numHeaders uint32, endOfStream bool) Action {
	if h, ok := httpContexts[contextID]; ok {
		return h.OnHttpRequestHeaders(int(numHeaders), endOfStream)
	}
	return ActionContinue
}

// onHttpCallResponse dispatches by call ID, which the host makes unique
// within the VM, whatever context the host names.
func onHttpCallResponse(callID, numHeaders, bodySize, numTrailers uint32) {
	cb, ok := httpCallbacks[callID]
	if !ok {
		return
	}
	delete(httpCallbacks, callID)
	cb(int(numHeaders), int(bodySize), int(numTrailers))
}

func onDone(contextID uint32) bool {
	if h, ok := httpContexts[contextID]; ok {
		h.OnHttpStreamDone()
		return true
	}
	if root, ok := pluginContexts[contextID]; ok {
		return root.OnPluginDone()
	}
	return true
}

func onDelete(contextID uint32) {
	delete(httpContexts, contextID)
	delete(pluginContexts, contextID)
}

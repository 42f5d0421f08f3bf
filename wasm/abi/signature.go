package abi

import "strings"

// ValueType is a WebAssembly value type, with its binary encoding (the
// same numbers as wazero's api.ValueType).
type ValueType byte

// The value types the ABI uses.
const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

// String returns the type's name in the text format: "i32", "i64".
func (t ValueType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return "unknown"
}

// Value is one named parameter or result of a function.
type Value struct {
	Name string
	Type ValueType
}

// Func is the name and signature of an export or an import.
type Func struct {
	Name    string
	Params  []Value
	Results []Value
}

// Signature renders the signature as ABI.md writes it:
// "(buf i32, name_len i32) -> (status i32)".
func (f Func) Signature() string {
	return list(f.Params) + " -> " + list(f.Results)
}

// ParamTypes returns the types of the parameters, in order.
func (f Func) ParamTypes() []ValueType { return types(f.Params) }

// ResultTypes returns the types of the results, in order.
func (f Func) ResultTypes() []ValueType { return types(f.Results) }

// ParamNames returns the names of the parameters, in order.
func (f Func) ParamNames() []string {
	out := make([]string, len(f.Params))
	for i, v := range f.Params {
		out[i] = v.Name
	}
	return out
}

func types(vs []Value) []ValueType {
	out := make([]ValueType, len(vs))
	for i, v := range vs {
		out[i] = v.Type
	}
	return out
}

func list(vs []Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Name + " " + v.Type.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func i32(name string) Value { return Value{name, I32} }
func i64(name string) Value { return Value{name, I64} }

// Exports returns the functions every plugin must export, with exactly
// these signatures (the host checks them at load, after the version). Each
// call returns a new table, so no caller can change another's.
func Exports() []Func {
	return []Func{
		{ExportABIVersion, nil, []Value{i32("version")}},
		{ExportCapabilities, []Value{i32("host_caps")}, []Value{i32("guest_caps")}},
		{ExportAlloc, []Value{i32("size")}, []Value{i32("ptr")}},
		{ExportFree, []Value{i32("ptr")}, nil},
		{ExportLoad, []Value{i32("buf"), i32("name_len"), i32("policy_len")}, []Value{i32("status")}},
		{ExportVerify, []Value{i32("buf"), i32("token_len"), i32("redirect_len"), i32("integration_len"),
			i64("now_sec"), i32("now_nsec"), i32("flags")}, []Value{i32("status")}},
		{ExportResult, nil, []Value{i64("ptr_len")}},
	}
}

// Imports returns the functions of HostModule a plugin may import, a new
// table each call.
func Imports() []Func {
	return []Func{
		{ImportReplayClaim, []Value{i32("id_ptr"), i32("id_len"), i64("expiry_sec"), i32("expiry_nsec"),
			i64("now_sec"), i32("now_nsec"), i32("msg_ptr"), i32("msg_cap")}, []Value{i32("result")}},
		{ImportKeySet, []Value{i32("url_ptr"), i32("url_len"), i32("kid_ptr"), i32("kid_len"),
			i32("buf_ptr"), i32("buf_cap")}, []Value{i32("result")}},
		{ImportLog, []Value{i32("level"), i32("msg_ptr"), i32("msg_len")}, nil},
		{ImportSigCheck, []Value{i32("alg_ptr"), i32("alg_len"), i32("key_ptr"), i32("key_len"),
			i32("input_ptr"), i32("input_len"), i32("sig_ptr"), i32("sig_len")}, []Value{i32("result")}},
	}
}

// Export returns the export called name, or false.
func Export(name string) (Func, bool) { return find(Exports(), name) }

// Import returns the import of HostModule called name, or false.
func Import(name string) (Func, bool) { return find(Imports(), name) }

func find(fs []Func, name string) (Func, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}

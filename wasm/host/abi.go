package host

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// ABIVersion is the version of the plugin ABI (wasm/ABI.md) this host
// speaks: abi.Version.
const ABIVersion = abi.Version

// checkImports checks at compile time that the module is meant to be a
// plugin and imports nothing the host does not provide, with the
// signatures the ABI gives.
func checkImports(cm wazero.CompiledModule) error {
	if _, ok := cm.ExportedFunctions()[abi.ExportABIVersion]; !ok {
		return fmt.Errorf("no %s export: not a jwtgate plugin", abi.ExportABIVersion)
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case abi.WASIModule:
		case abi.HostModule:
			f, ok := abi.Import(name)
			if !ok {
				return fmt.Errorf("imports %s.%s, which the host does not provide", mod, name)
			}
			if err := sameSignature("import "+name, def, f); err != nil {
				return err
			}
		default:
			return fmt.Errorf("imports %s.%s: the host provides only %s and %s", mod, name, abi.HostModule, abi.WASIModule)
		}
	}
	return nil
}

// checkExports checks the ABI's exports and their signatures (and those
// of the optional exports the module has), once the module has declared
// the right ABI version (a module of another version may differ in
// everything else).
func checkExports(cm wazero.CompiledModule) error {
	exports := cm.ExportedFunctions()
	for _, f := range abi.Exports() {
		def, ok := exports[f.Name]
		if !ok {
			return fmt.Errorf("missing export %s", f.Name)
		}
		if err := sameSignature("export "+f.Name, def, f); err != nil {
			return err
		}
	}
	for _, f := range abi.OptionalExports() {
		if def, ok := exports[f.Name]; ok {
			if err := sameSignature("export "+f.Name, def, f); err != nil {
				return err
			}
		}
	}
	if _, ok := cm.ExportedMemories()[abi.MemoryExport]; !ok {
		return errors.New("no exported memory")
	}
	return nil
}

func sameSignature(what string, def api.FunctionDefinition, f abi.Func) error {
	if slices.Equal(def.ParamTypes(), valueTypes(f.ParamTypes())) && slices.Equal(def.ResultTypes(), valueTypes(f.ResultTypes())) {
		return nil
	}
	return fmt.Errorf("%s has signature %v -> %v, want %s", what, typeNames(def.ParamTypes()), typeNames(def.ResultTypes()), f.Signature())
}

// valueTypes converts the ABI's types to wazero's (the same encodings).
func valueTypes(ts []abi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeName(t)
	}
	return out
}

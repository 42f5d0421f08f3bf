package proxytest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// cppHostWASI is what proxy-wasm-cpp-host, the host inside Envoy,
// provides of wasi_snapshot_preview1 since proxy-wasm/proxy-wasm-cpp-host
// #533 (commit 94091cd, April 2026), the first to provide every function
// Go's wasip1 runtime imports: #427 (December 2024) added sched_yield and
// poll_oneoff, but path_filestat_get came only with #533. An Envoy built on
// an older host refuses the filter at load ("missing import"); the README
// states the requirement, and this test keeps it true.
var cppHostWASI = []string{
	"fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"fd_fdstat_set_rights", "environ_get", "environ_sizes_get", "args_get", "args_sizes_get",
	"clock_time_get", "clock_res_get", "fd_advise", "fd_allocate", "fd_datasync",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_readdir",
	"fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_set_times",
	"path_link", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
	"path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "random_get",
	"sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get", "fd_prestat_dir_name",
	"path_filestat_get", "fd_filestat_get",
}

func TestFilterImportsWhatEnvoyProvides(t *testing.T) {
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(compileCache(t))
	require.NoError(t, err)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, filterModule(t))
	require.NoError(t, err)
	var wasi []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch mod {
		case "wasi_snapshot_preview1":
			wasi = append(wasi, name)
			require.Contains(t, cppHostWASI, name, "the filter imports WASI %s, which Envoy's proxy-wasm host lacks", name)
		case "env":
			require.Regexp(t, `^proxy_`, name, "env imports are the proxy-wasm ABI")
		default:
			require.FailNow(t, fmt.Sprintf("import from module %q (%s)", mod, name))
		}
	}
	// The functions that set the minimum host version are imported.
	for _, name := range []string{"path_filestat_get"} {
		require.True(t, slices.Contains(wasi, name), "%s is no longer imported: the README's minimum Envoy version may be lower now", name)
	}
}

package abi_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jwtgate/jwtgate/wasm/abi"
)

// table is one Markdown table of ABI.md: its rows, each a list of cells,
// keyed by the header's first cell.
type table [][]string

// docTables reads ABI.md's tables by the name of their first column.
func docTables(t *testing.T) map[string]table {
	t.Helper()
	b, err := os.ReadFile("../ABI.md")
	require.NoError(t, err)
	tables := map[string]table{}
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			cur = ""
			continue
		}
		cells := cells(line)
		switch {
		case cur == "":
			cur = cells[0]
			require.NotContains(t, tables, cur, "two tables headed %q", cur)
			tables[cur] = table{}
		case strings.HasPrefix(cells[0], "---"):
		default:
			tables[cur] = append(tables[cur], cells)
		}
	}
	return tables
}

// cells splits a table row, keeping an escaped \| inside a cell.
func cells(line string) []string {
	line = strings.ReplaceAll(strings.Trim(line, "|"), `\|`, "\x00")
	var out []string
	for _, c := range strings.Split(line, "|") {
		out = append(out, strings.ReplaceAll(strings.TrimSpace(c), "\x00", "|"))
	}
	return out
}

func code(t *testing.T, cell string) string {
	t.Helper()
	require.True(t, strings.HasPrefix(cell, "`") && strings.HasSuffix(cell, "`"), "%q is not `code`", cell)
	return strings.Trim(cell, "`")
}

func number(t *testing.T, cell string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(cell, 10, 32)
	require.NoError(t, err)
	return n
}

// TestDocFunctions: ABI.md's export and import tables are exactly
// abi.Exports(), abi.OptionalExports() and abi.Imports(), names and
// signatures, in order.
func TestDocFunctions(t *testing.T) {
	tables := docTables(t)
	for _, c := range []struct {
		table string
		funcs []abi.Func
	}{{"export", abi.Exports()}, {"optional export", abi.OptionalExports()}, {"import", abi.Imports()}} {
		var doc, code2 []string
		for _, row := range tables[c.table] {
			doc = append(doc, code(t, row[0])+" "+code(t, row[1]))
		}
		for _, f := range c.funcs {
			code2 = append(code2, f.Name+" "+f.Signature())
		}
		assert.Equal(t, code2, doc, "ABI.md's %s table", c.table)
	}
}

// TestDocNumbers: the status, flag, capability and level tables give
// every value of the package, by number and name, and nothing else.
func TestDocNumbers(t *testing.T) {
	tables := docTables(t)
	want := map[string][]string{}
	for _, s := range abi.Statuses() {
		want["status"] = append(want["status"], fmt.Sprintf("%d %s", s, s))
	}
	for _, f := range abi.Flags() {
		want["flag"] = append(want["flag"], fmt.Sprintf("%d %s", f, f))
	}
	for _, c := range abi.Capabilities() {
		want["capability"] = append(want["capability"], fmt.Sprintf("%d %s", c, c))
	}
	for _, l := range abi.Levels() {
		want["level"] = append(want["level"], fmt.Sprintf("%d %s", l, l))
	}
	for name, rows := range want {
		var doc []string
		for _, row := range tables[name] {
			doc = append(doc, fmt.Sprintf("%d %s", number(t, row[0]), code(t, row[1])))
		}
		assert.Equal(t, rows, doc, "ABI.md's %s table", name)
	}
}

// TestDocVersion: the title and the version export say abi.Version.
func TestDocVersion(t *testing.T) {
	b, err := os.ReadFile("../ABI.md")
	require.NoError(t, err)
	doc := string(b)
	assert.Contains(t, doc, fmt.Sprintf("# jwtgate plugin ABI, version %d\n", abi.Version))
	assert.Contains(t, doc, fmt.Sprintf("Returns `%d`.", abi.Version))
	assert.Contains(t, doc, fmt.Sprintf(`{"abi": %d,`, abi.Version))
}

// Command benchreport turns the raw output of `make bench` (the rounds of
// `go test -bench` in build/bench.txt) into its tables: the medians of the
// rounds, and ratios taken within each round, one table per section, as
// Markdown on stdout and in the -md file.
//
//	go run ./internal/benchreport -md build/bench.md \
//	    -module plugin=build/jwtgate.wasm build/bench.txt
//
// It is a program rather than awk in the Makefile so that its parsing and
// arithmetic have tests (report_test.go).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	md := fs.String("md", "", "also write the tables to this file")
	var modules []module
	fs.Func("module", "NAME=PATH of a module whose size to report (repeatable)", func(s string) error {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return errors.New("want NAME=PATH")
		}
		modules = append(modules, module{name, path})
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: benchreport [-md FILE] [-module NAME=PATH]... BENCH.txt")
	}
	raw, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer raw.Close()
	res, err := Parse(raw)
	if err != nil {
		return err
	}
	sizes, err := measureSizes(modules)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString(Heading(res))
	for _, t := range Report(res, sizes) {
		t.WriteMarkdown(&out)
	}
	if *md != "" {
		if err := os.WriteFile(*md, out.Bytes(), 0o644); err != nil {
			return err
		}
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

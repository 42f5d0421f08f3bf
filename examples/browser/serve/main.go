// Command serve builds the browser module and serves examples/browser on
// loopback, to try the page:
//
//	go run ./examples/browser/serve            # http://127.0.0.1:8089/
//	go run ./examples/browser/serve -addr 127.0.0.1:9000 -opt
//
// Run it from inside the jwtgate source tree. -opt also builds the
// wasm-opt -Oz module (binaryen) and serves it as jwtgate.wasm.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jwtgate/jwtgate/examples/browser"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address (keep it on loopback)")
	dir := flag.String("dir", "", "site folder for the built module (default: a temporary folder)")
	opt := flag.Bool("opt", false, "serve the wasm-opt -Oz module (needs wasm-opt from Debian's binaryen)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "jwtgate-browser-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	opts := browser.BuildOptions{}
	if *opt {
		p, err := exec.LookPath("wasm-opt")
		if err != nil {
			log.Fatal("-opt: wasm-opt not found (apt-get install binaryen)")
		}
		opts.WasmOpt = p
	}
	t0 := time.Now()
	site, err := browser.Build(context.Background(), *dir, opts)
	if err != nil {
		log.Fatal(err)
	}
	if *opt {
		if site.OptError != nil {
			log.Fatal(site.OptError)
		}
		if err := site.Publish(site.OptModule); err != nil {
			log.Fatal(err)
		}
	}
	fi, err := os.Stat(site.Module)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("built %s (%d bytes) in %v", filepath.Base(site.Module), fi.Size(), time.Since(t0).Round(time.Millisecond))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("jwtgate browser example: http://%s/\n", ln.Addr())
	srv := &http.Server{Handler: browser.Handler(site), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

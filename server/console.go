package server

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/internal/traceview"
)

// openAPI is the admin API's description, served as it is.
//
//go:embed openapi.yaml
var openAPI []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openAPI)
}

// consoleFiles are the admin console's page, script and style.
//
//go:embed console
var consoleFiles embed.FS

// consoleCSP keeps the console to its own files: no inline script or
// style, no framing, no other origin.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// consoleRoutes serves the console at /admin/.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	sub, _ := fs.Sub(consoleFiles, "console")
	files := http.StripPrefix("/admin/", http.FileServerFS(sub))
	mux.Handle("GET /admin/", s.endpoint("console", func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		files.ServeHTTP(w, r)
	}))
	// The trace checklist is the browser example's too: one module, kept
	// in internal/traceview, which go:embed here cannot reach.
	mux.Handle("GET /admin/"+traceview.File, s.endpoint("console", func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		http.ServeContent(w, r, traceview.File, consoleStart, bytes.NewReader(traceview.JS))
	}))
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
}

// consoleStart is the modification time of the console's shared module.
var consoleStart = time.Now()

func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

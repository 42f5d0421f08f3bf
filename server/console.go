package server

import (
	"embed"
	"io/fs"
	"net/http"
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
		h := w.Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
}

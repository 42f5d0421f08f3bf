// Package traceview holds trace.js, the ES module that renders a
// decision's explain trace as a checklist. It is one file served by two
// pages, the browser example (examples/browser) and the admin console
// (server/console): go:embed cannot reach a file outside its package's
// folder, so the module lives here and both packages serve these bytes.
package traceview

import _ "embed"

// JS is trace.js, served as text/javascript.
//
//go:embed trace.js
var JS []byte

// File is the name both pages load the module by, beside their own files.
const File = "trace.js"

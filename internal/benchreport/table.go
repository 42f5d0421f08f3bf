package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// Table is one table of the report.
type Table struct {
	Title  string
	Note   string // under the title: what the figures are
	Header []string
	Rows   [][]string
	// Labels is how many leading columns are labels, aligned left (the
	// figures after them are aligned right); 0 means 1.
	Labels int
}

// WriteMarkdown writes t as a Markdown table whose columns are padded, so
// that it reads as well in a terminal as rendered. A table without rows
// says so instead.
func (t Table) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## %s\n\n", t.Title)
	if t.Note != "" {
		fmt.Fprintf(w, "%s\n\n", t.Note)
	}
	if len(t.Rows) == 0 {
		fmt.Fprint(w, "(no results: the benchmarks did not run)\n\n")
		return
	}
	width := make([]int, len(t.Header))
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	labels := max(t.Labels, 1)
	line := func(cells []string) {
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < labels {
				fmt.Fprintf(w, "| %s%s ", c, pad) // names left, figures right
			} else {
				fmt.Fprintf(w, "| %s%s ", pad, c)
			}
		}
		fmt.Fprint(w, "|\n")
	}
	line(t.Header)
	rule := make([]string, len(width))
	for i, n := range width {
		rule[i] = strings.Repeat("-", n-1) + ":"
		if i < labels {
			rule[i] = strings.Repeat("-", n)
		}
	}
	line(rule)
	for _, row := range t.Rows {
		line(row)
	}
	fmt.Fprintln(w)
}

// dur formats nanoseconds.
func dur(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "–"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

// times formats a ratio.
func times(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	if r < 0.1 {
		return fmt.Sprintf("%.3f×", r) // a cache hit's ratio to a verification
	}
	return fmt.Sprintf("%.2f×", r)
}

// count formats a count (allocations, requests per second, bytes).
func count(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f", v)
}

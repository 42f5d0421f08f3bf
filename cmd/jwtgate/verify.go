package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// maxInputToken bounds a token read from stdin (verify - and --batch lines).
const maxInputToken = 2 << 20

// verifyUsage is the -h text of jwtgate verify, before its flags.
const verifyUsage = "Usage: jwtgate verify --config FILE [flags] TOKEN|-\n       jwtgate verify --config FILE --batch < tokens\n\nPrints the decision as JSON. Exit 0 valid, 1 rejected, 2 usage or configuration error.\nWith --engine wasm the token is verified by the sandboxed policy plugin, with the same keys.\n\nFlags:\n"

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", verifyUsage, stderr)
	config := fs.String("config", "", "policy file (YAML or JSON); required")
	nowFlag := fs.String("now", "", "verify as of this time: Unix seconds or RFC 3339, from 1970 to 9999 (default: the current time)")
	explain := fs.Bool("explain", false, "include the step-by-step trace in the decision")
	integration := fs.String("integration", "", "verify against this integration only")
	redirect := fs.String("redirect", "", "redirect target passed beside the token (the go parameter)")
	batch := fs.Bool("batch", false, "read one token per line from stdin and print one decision per line")
	engine := addEngineFlags(fs)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if *config == "" {
		return usageError(fs, stderr, "--config is required")
	}
	switch {
	case *batch && len(pos) > 0:
		return usageError(fs, stderr, "--batch reads tokens from stdin; give no TOKEN")
	case !*batch && len(pos) != 1:
		return usageError(fs, stderr, "give exactly one TOKEN (or - to read it from stdin)")
	}
	if err := engine.check(); err != nil {
		return usageError(fs, stderr, "%v", err)
	}
	now := time.Now
	if *nowFlag != "" {
		t, err := parseTime(*nowFlag)
		if err != nil {
			return usageError(fs, stderr, "--now: %v", err)
		}
		now = func() time.Time { return t }
	}
	data, policy, err := readPolicy(*config)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitUsage
	}
	if names := policy.Integrations(); *integration != "" && !slices.Contains(names, *integration) {
		return usageError(fs, stderr, "--integration %q: no such integration in %s (it has %s)", *integration, *config, strings.Join(names, ", "))
	}
	v, closeEngine, err := engine.newEngine(ctx, *config, data, policy, func(msg string) { fmt.Fprintf(stderr, "jwtgate: %s\n", msg) })
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitUsage
	}
	defer closeEngine()
	if *batch && !engine.wasm() && len(policy.JWKSURLs()) == 0 && len(policy.Discoveries()) == 0 {
		// A batch may repeat tokens (a log replayed, say): a repeat is
		// answered from a decision cache, as serve does. Only with fixed
		// keys: the command does not follow a fetched set's changes (serve
		// does); and the plugin's decisions carry no time window yet.
		if c, err := core.NewCache(v, policy, core.CacheOptions{}); err == nil {
			v = c
		}
	}
	verify := func(tok string) *core.Decision {
		return v.Verify(ctx, core.Request{
			Token: tok, Now: now(), Explain: *explain,
			RedirectParam: *redirect, Integration: *integration,
		})
	}

	if *batch {
		return verifyBatch(stdin, stdout, stderr, verify)
	}
	d, err := verifyArg(pos[0], stdin, verify)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: read token: %v\n", err)
		return exitRejected
	}
	return writeDecision(stdout, d)
}

// writeDecision prints a decision as one line of JSON (with its trace
// when it has one) and returns its exit status: 0 valid, 1 rejected.
func writeDecision(stdout io.Writer, d *core.Decision) int {
	stdout.Write(append(d.JSON(), '\n'))
	if !d.Valid {
		return exitRejected
	}
	return exitOK
}

// verifyArg verifies verify's TOKEN argument: the token itself, or for "-"
// the token read from in (at most maxInputToken bytes, surrounding space
// trimmed).
func verifyArg(tok string, in io.Reader, verify func(string) *core.Decision) (*core.Decision, error) {
	if tok != "-" {
		return verify(tok), nil
	}
	data, err := io.ReadAll(io.LimitReader(in, maxInputToken+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInputToken {
		return tooLong(), nil
	}
	return verify(strings.TrimSpace(string(data))), nil
}

// verifyBatch verifies one token per line of in, printing one decision per
// line. Every token shares the engine, and so its replay store.
func verifyBatch(in io.Reader, stdout, stderr io.Writer, verify func(string) *core.Decision) int {
	sp := &lineSplitter{max: maxInputToken}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxInputToken+64)
	sc.Split(sp.split)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	status := exitOK
	for sc.Scan() {
		var d *core.Decision
		if sp.tooLong {
			d = tooLong()
		} else {
			tok := strings.TrimSpace(sc.Text())
			if tok == "" {
				continue
			}
			d = verify(tok)
		}
		w.Write(d.JSON())
		w.WriteByte('\n')
		if !d.Valid {
			status = exitRejected
		}
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		fmt.Fprintf(stderr, "jwtgate: read tokens: %v\n", err)
		return exitRejected
	}
	return status
}

// tooLong is the decision for input too large to be a token.
func tooLong() *core.Decision {
	return &core.Decision{
		Code:    core.CodeInvalidToken,
		Message: core.CodeInvalidToken.Message(),
		Reason:  fmt.Sprintf("token input is over %d bytes", maxInputToken),
	}
}

// lineSplitter is a bufio.SplitFunc for lines of at most max bytes that,
// unlike bufio.ScanLines, survives a longer line: it yields an empty token
// with tooLong set and skips the rest of that line.
type lineSplitter struct {
	max      int
	skipping bool // inside an over-long line
	tooLong  bool // the last token stands for an over-long line
}

func (s *lineSplitter) split(data []byte, atEOF bool) (int, []byte, error) {
	s.tooLong = false
	if s.skipping {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			s.skipping = false
			return i + 1, nil, nil
		}
		return len(data), nil, nil
	}
	line, advance := []byte(nil), 0
	switch i := bytes.IndexByte(data, '\n'); {
	case i >= 0:
		line, advance = data[:i], i+1
	case atEOF && len(data) > 0:
		line, advance = data, len(data)
	case atEOF:
		return 0, nil, nil
	case len(data) > s.max+1:
		// No end of line within the limit: report it and skip the rest.
		s.skipping, s.tooLong = true, true
		return len(data), []byte{}, nil
	default:
		return 0, nil, nil // read more
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > s.max {
		s.tooLong = true
		return advance, []byte{}, nil
	}
	return advance, line, nil
}

// The times --now accepts: from the Unix epoch to the last second RFC 3339
// can write. Before it is a negative Unix time, which no token of this era
// means; after it, most often milliseconds taken for seconds.
var (
	minNow = time.Unix(0, 0).UTC()
	maxNow = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// parseTime reads Unix seconds or an RFC 3339 time, between minNow and
// maxNow.
func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if err := checkNow(s, n); err != nil {
			return time.Time{}, err
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want Unix seconds or an RFC 3339 time")
	}
	if err := checkNow(s, t.Unix()); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// checkNow refuses a time (s, at Unix second sec) outside minNow..maxNow.
func checkNow(s string, sec int64) error {
	lo, hi := minNow.Unix(), maxNow.Unix()
	switch {
	case sec < lo:
		return fmt.Errorf("%s is before %s: want a time from then to %s", s, minNow.Format(time.RFC3339), maxNow.Format(time.RFC3339))
	case sec > hi && sec/1000 <= hi:
		return fmt.Errorf("%s is after %s; it looks like milliseconds: --now %d", s, maxNow.Format(time.RFC3339), sec/1000)
	case sec > hi:
		return fmt.Errorf("%s is after %s: want a time from %s to then", s, maxNow.Format(time.RFC3339), minNow.Format(time.RFC3339))
	}
	return nil
}

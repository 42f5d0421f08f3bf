package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpProxy forwards loopback connections to a target, and stops forwarding
// (in both directions, new connections too) while frozen: a database that
// has stopped answering without closing its connections.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frozen bool
	thaw   chan struct{} // closed when unfrozen or closed
	conns  []net.Conn
	closed bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, target: target, thaw: make(chan struct{})}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	p.wait()
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(up) {
		c.Close()
		return
	}
	go p.pipe(up, c)
	p.pipe(c, up)
}

// track records a connection to close with the proxy.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

// pipe copies src to dst, holding what it read while the proxy is frozen.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tcpProxy) wait() {
	p.mu.Lock()
	frozen, thaw := p.frozen, p.thaw
	p.mu.Unlock()
	if frozen {
		<-thaw
	}
}

func (p *tcpProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen && !p.closed {
		p.frozen, p.thaw = true, make(chan struct{})
	}
}

func (p *tcpProxy) unfreeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thaw)
	}
}

func (p *tcpProxy) close() {
	p.unfreeze()
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
}

// With PostgreSQL frozen, every store call stops at the store deadline:
// a one-time token is refused (invalid_token, fail closed), a session
// check answers 503, and the metric counts each timeout. Thawed, the store
// serves again.
func TestStoreDeadlineWithPostgresFrozen(t *testing.T) {
	dsn := testPostgres(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr()
	const deadline = 400 * time.Millisecond
	e := newEnv(t, envOptions{dsn: u.String(), storeTimeout: deadline})
	// A client that gives up long before the default deadline (5 s) and the
	// 25-40 s a frozen database took.
	client := noRedirects()
	client.Timeout = 4 * time.Second
	verify := func(tok string) (response, time.Duration) {
		start := time.Now()
		r := send(t, client, http.MethodPost, e.url+"/v1/verify", nil, "Authorization", "Bearer "+tok)
		return r, time.Since(start)
	}

	r, _ := verify(e.authonomyToken(nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	tok := e.authonomyToken(nil)
	r = send(t, client, http.MethodGet, e.url+"/auth/jwt?token="+url.QueryEscape(tok), nil)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	cookie := r.resp.Cookies()[0]

	proxy.freeze()
	r, took := verify(e.authonomyToken(nil))
	assert.Equal(t, http.StatusUnauthorized, r.status, r.body)
	assert.Equal(t, "invalid_token", r.json["error"])
	assert.GreaterOrEqual(t, took, deadline)
	assert.Less(t, took, deadline+2*time.Second)
	assert.Contains(t, e.logs.String(), `"op":"claim"`)

	start := time.Now()
	r = send(t, client, http.MethodGet, e.url+"/v1/session", nil, "Cookie", cookie.Name+"="+cookie.Value)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.body)
	assert.Equal(t, "temporarily_unavailable", r.json["error"])
	assert.Less(t, time.Since(start), deadline+2*time.Second)

	m := send(t, client, http.MethodGet, e.url+"/metrics", nil).body
	for _, want := range []string{
		`jwtgate_store_timeouts_total{op="claim"} 1`,
		`jwtgate_store_timeouts_total{op="get_session"} 1`,
		`jwtgate_store_timeouts_total{op="upsert_subject"} 0`,
		`jwtgate_store_errors_total{op="claim"} 1`,
	} {
		assert.True(t, strings.Contains(m, want), want)
	}

	// Thawed: the store answers again.
	proxy.unfreeze()
	require.Eventually(t, func() bool {
		r, _ := verify(e.authonomyToken(nil))
		return r.status == http.StatusOK
	}, 10*time.Second, 100*time.Millisecond)
	r = send(t, client, http.MethodGet, e.url+"/v1/session", nil, "Cookie", cookie.Name+"="+cookie.Value)
	assert.Equal(t, http.StatusOK, r.status, r.body)
}

// A reload the store cannot record (PostgreSQL frozen) is refused as a
// whole, the previous configuration serving on; it is not held against
// the file: once the store answers, the watcher applies it.
func TestReloadWaitsForTheStore(t *testing.T) {
	dsn := testPostgres(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr()
	e := newEnv(t, envOptions{dsn: u.String(), storeTimeout: 300 * time.Millisecond})
	tok := e.acadioToken(nil)
	require.Equal(t, http.StatusOK, e.verify(tok).status)

	proxy.freeze()
	e.write(e.withoutAcadio())
	err = e.srv.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not record")
	assert.Equal(t, http.StatusOK, e.verify(tok).status, "the previous configuration serves on")
	assert.Contains(t, e.get("/metrics").body, `jwtgate_store_timeouts_total{op="sync_integrations"} 1`)

	proxy.unfreeze()
	check := runWatched(t, e)
	check()
	assert.Equal(t, "configuration_not_found", e.verify(tok).json["error"], "the watcher retried the file the store refused")
}

package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nginxBinary finds nginx; without it the test skips, unless CI=true.
func nginxBinary(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is not installed (CI=true: .ci/run installs nginx-light)")
	}
	t.Skip("nginx is not installed")
	return ""
}

// manualSnippet is the first code block in language lang after lead, a
// proxy's name and directive as docs/serve.md writes them ("**nginx**
// (`auth_request`"): the configuration the manual tells users to copy.
func manualSnippet(t *testing.T, lead, lang string) string {
	doc, err := os.ReadFile("../docs/serve.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)" + regexp.QuoteMeta(lead) + ".*?```" + lang + "\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/serve.md has no %s configuration after %q", lang, lead)
	return string(m[1])
}

// loopbackAddr is a free loopback address for a proxy the test starts.
func loopbackAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// startNginx runs nginx on a loopback port with locations as its server
// block and returns its URL. It stops with the test.
func startNginx(t *testing.T, bin, locations string) string {
	t.Helper()
	dir := t.TempDir()
	addr := loopbackAddr(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
%[3]s
    }
}
`, dir, addr, locations)
	path := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", path)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited (%v): %s", err, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not start listening")
		}
	}
}

// TestForwardAuthBehindNginx runs the nginx configuration of docs/serve.md in a
// real nginx, between a client and an app, with jwtgate as its
// auth_request. A client's own X-Forwarded-Uri: /public on a request for
// /admin, or X-Forwarded-Method: POST on a GET-only route, never reaches
// the app: the configuration blanks those headers, and without the
// blanking (the documented configuration before) jwtgate refuses the
// disagreeing copy (400, which nginx answers 500).
func TestForwardAuthBehindNginx(t *testing.T) {
	bin := nginxBinary(t)
	var appHits atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		appHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "uri": r.RequestURI, "subject": r.Header.Get("X-Jwtgate-Subject")})
	}))
	t.Cleanup(app.Close)

	readme := manualSnippet(t, "**nginx** (`auth_request`", "nginx")
	require.Contains(t, readme, "http://127.0.0.1:8080/v1/authz")
	require.Contains(t, readme, "http://app:3000")
	locations := func(e *env, config string) string {
		return strings.NewReplacer("http://127.0.0.1:8080", e.url, "http://app:3000", app.URL).Replace(config)
	}
	// The configuration without the lines that blank the other copies.
	var before []string
	for _, l := range strings.Split(readme, "\n") {
		if !strings.Contains(l, `"";`) || strings.Contains(l, "Content-Length") {
			before = append(before, l)
		}
	}
	require.Less(t, len(before), len(strings.Split(readme, "\n")), "the documented configuration blanks no header")

	documented := routesEnv(t, pathRoutesYAML()+"  forward_auth: {source: nginx}\n")
	defaulted := routesEnv(t, pathRoutesYAML())
	user := "Bearer " + documented.oktoToken(map[string]any{"roles": []string{"user"}})
	admin := "Bearer " + documented.oktoToken(map[string]any{"roles": []string{"admin", "reporter"}})
	for _, tc := range []struct {
		name   string
		proxy  string
		dodged int // the answer to the client's own copies
	}{
		{"documented configuration, source nginx", startNginx(t, bin, locations(documented, readme)), 403},
		{"without blanking, no forward_auth", startNginx(t, bin, locations(defaulted, strings.Join(before, "\n"))), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := func(method, path, auth string, headers ...string) response {
				t.Helper()
				return send(t, nil, method, tc.proxy+path, nil, append([]string{"Authorization", auth}, headers...)...)
			}
			hits := appHits.Load()
			assert.Equal(t, 403, get("GET", "/admin", user).status)
			assert.Equal(t, tc.dodged, get("GET", "/admin", user, "X-Forwarded-Uri", "/public").status, "X-Forwarded-Uri: /public")
			assert.Equal(t, tc.dodged, get("GET", "/admin", user, "X-Original-Url", "/public").status, "X-Original-Url: /public")
			assert.Equal(t, 403, get("GET", "/admin", user, "X-Original-URI", "/public").status, "nginx sets X-Original-URI itself")
			assert.Equal(t, 403, get("GET", "/reports", user).status)
			assert.Equal(t, tc.dodged, get("GET", "/reports", user, "X-Forwarded-Method", "POST").status, "X-Forwarded-Method: POST")
			assert.Equal(t, 403, get("HEAD", "/reports", user).status)
			// Spellings: nginx passes $request_uri as the client sent it.
			assert.Equal(t, 403, get("GET", "/ADMIN", user).status)
			assert.Equal(t, 403, get("GET", "/admin;x", user).status)
			assert.Equal(t, 500, get("GET", "/healthz/..;/admin", user).status)
			assert.Equal(t, 500, get("GET", "/admin%2f", user).status)
			assert.Equal(t, hits, appHits.Load(), "a refused request reached the app")

			// What is allowed reaches the app, with the identity: a POST is
			// judged as a POST although nginx's subrequest is a GET.
			r := get("GET", "/admin/users?x=1", admin)
			require.Equal(t, 200, r.status, r.body)
			assert.Equal(t, map[string]any{"method": "GET", "uri": "/admin/users?x=1", "subject": "wallet-user-7"}, r.json)
			r = get("POST", "/reports", user)
			require.Equal(t, 200, r.status, r.body)
			assert.Equal(t, "POST", r.json["method"])
		})
	}
}

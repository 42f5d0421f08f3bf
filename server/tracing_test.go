package server

import (
	"compress/gzip"
	"context"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/jwtgate/jwtgate/edge"
	"github.com/jwtgate/jwtgate/internal/slapdtest"
)

// otlpReceiver is a real OTLP/HTTP collector on loopback: it decodes each
// ExportTraceServiceRequest the exporter posts to /v1/traces.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	spans    []recvSpan
}

// recvSpan is one exported span, flattened for the assertions.
type recvSpan struct {
	name             string
	kind             tracepb.Span_SpanKind
	traceID, spanID  string
	parentID         string
	attrs            map[string]string
	resource         map[string]string
	statusCode       tracepb.Status_StatusCode
	statusMsg, state string
	events           []map[string]string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	rc := &otlpReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			http.Error(w, "not an OTLP traces export", http.StatusNotFound)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(raw, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.add(&req)
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *otlpReceiver) add(req *coltracepb.ExportTraceServiceRequest) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	for _, rs := range req.ResourceSpans {
		res := flatAttrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s := recvSpan{
					name: sp.Name, kind: sp.Kind, traceID: hex.EncodeToString(sp.TraceId), spanID: hex.EncodeToString(sp.SpanId),
					parentID: hex.EncodeToString(sp.ParentSpanId), attrs: flatAttrs(sp.Attributes), resource: res,
					statusCode: sp.GetStatus().GetCode(), statusMsg: sp.GetStatus().GetMessage(), state: sp.TraceState,
				}
				for _, ev := range sp.Events {
					ea := flatAttrs(ev.Attributes)
					ea["event.name"] = ev.Name
					s.events = append(s.events, ea)
				}
				rc.spans = append(rc.spans, s)
			}
		}
	}
}

// flatAttrs renders every attribute value as text, arrays and maps
// included, so that a scan for a secret sees all of it.
func flatAttrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = anyText(kv.Value)
	}
	return m
}

func anyText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return string(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.Values {
			parts = append(parts, anyText(e))
		}
		return strings.Join(parts, ",")
	case *commonpb.AnyValue_KvlistValue:
		var parts []string
		for k, e := range flatAttrs(x.KvlistValue.Values) {
			parts = append(parts, k+"="+e)
		}
		return strings.Join(parts, ",")
	}
	return ""
}

func (rc *otlpReceiver) got() (int, []recvSpan) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, append([]recvSpan(nil), rc.spans...)
}

// named returns the spans called name.
func named(spans []recvSpan, name string) []recvSpan {
	var out []recvSpan
	for _, s := range spans {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span called name whose parent is parent ("" for any).
func one(t *testing.T, spans []recvSpan, name, parent string) recvSpan {
	t.Helper()
	var found []recvSpan
	for _, s := range named(spans, name) {
		if parent == "" || s.parentID == parent {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "spans named %q under %q among %v", name, parent, spanNames(spans))
	return found[0]
}

func spanNames(spans []recvSpan) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.name)
	}
	return names
}

// tracingEnv sets the standard variables of a test: the exporter aimed at
// rc, every other OTEL_* variable that could change the outcome cleared.
func tracingEnv(t *testing.T, rc *otlpReceiver) {
	for _, name := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"} {
		t.Setenv(name, "")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.URL)
}

// tracedEnv is the seeds' world with tracing on in the service section.
func tracedEnv(t *testing.T) *env {
	e := newEnv(t, envOptions{noStart: true, extra: "  tracing: {enabled: true}\n"})
	e.srv = e.start(filepath.Join(e.dir, "data"))
	e.url = httptestServer(t, e.srv)
	return e
}

// TestTracingSpans drives a verification, a forward authentication and a
// sign-in through the real server (keys at a loopback JWKS URL, a remote
// validation endpoint that refuses, a group resolver, the SQLite store)
// and reads what a real OTLP/HTTP receiver got once the server closed:
// one server span a request, joined to the caller's traceparent, the key
// fetch, the remote calls and the store calls as its children, and no
// token, claim, subject or redirect in any attribute.
func TestTracingSpans(t *testing.T) {
	rc := newOTLPReceiver(t)
	tracingEnv(t, rc)
	e := tracedEnv(t)

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	okera := e.okeraToken(0, "okera-1", map[string]any{"sub": "john.doe", "groups": nil, "email": "john.doe@okera.example"})
	v := e.post("/v1/verify", "", "", "Authorization", "Bearer "+okera,
		"traceparent", "00-"+traceID+"-"+parentID+"-01", "tracestate", "istio=edge")
	require.Equal(t, http.StatusOK, v.status, v.body)
	require.Equal(t, []any{"resolved-a", "resolved-b"}, v.json["groups"], "the group resolver answered")
	// A key rotation: a kid the cached set lacks makes this request fetch it.
	const rotatedID = "00f067aa0ba902b8"
	e.jwks.set(answer(http.StatusOK, jwksBody(t, map[string]*rsa.PrivateKey{"okera-1": rsaKey(t, 0), "okera-2": rsaKey(t, 1)})))
	rotated := e.okeraToken(1, "okera-2", map[string]any{"sub": "john.doe"})
	v = e.post("/v1/verify", "", "", "Authorization", "Bearer "+rotated, "traceparent", "00-"+traceID+"-"+rotatedID+"-01")
	require.Equal(t, http.StatusOK, v.status, v.body)

	authz := e.get("/v1/authz", "Authorization", "Bearer "+okera, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/analytics?q=secret-query")
	require.Equal(t, http.StatusForbidden, authz.status, "resolved groups lack analysts")

	auth := e.authonomyToken(nil)
	signin := e.post("/auth/jwt", "application/json", `{"token":"`+auth+`","redirect_url":"https://app.example.com/home?next=redirect-secret"}`,
		"Accept", "application/json")
	require.Equal(t, http.StatusOK, signin.status, signin.body)

	require.NoError(t, e.srv.Close(), "Close flushes the spans")
	requests, spans := rc.got()
	require.NotZero(t, requests)

	// The verification: a child of the caller's span, in its trace.
	sv := one(t, spans, "POST /v1/verify", parentID)
	assert.Equal(t, traceID, sv.traceID, "the traceparent's trace")
	assert.Equal(t, "istio=edge", sv.state, "the caller's tracestate carried on")
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, sv.kind)
	assert.Equal(t, map[string]string{
		"http.request.method": "POST", "http.route": "/v1/verify", "jwtgate.endpoint": "verify",
		"jwtgate.integration": "okera", "jwtgate.decision.code": "ok", "http.response.status_code": "200",
	}, sv.attrs)
	assert.Equal(t, "jwtgate", sv.resource["service.name"], "the default service.name")

	rv := one(t, spans, "remote.validate", sv.spanID)
	assert.Equal(t, e.remote.URL+"/validate", rv.attrs["url.full"])
	assert.Equal(t, "401", rv.attrs["http.response.status_code"])
	assert.Equal(t, "rejected", rv.attrs["error.type"])
	assert.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, rv.kind)

	// The first set was fetched by the background refresh New starts (a
	// trace of its own), or by the first request had it come first. The
	// rotated key's kid had its request fetch the set again.
	fetches := named(spans, "jwks.fetch")
	require.Len(t, fetches, 2)
	assert.Contains(t, []string{"", sv.spanID}, fetches[0].parentID)
	assert.Equal(t, "1", fetches[0].attrs["jwtgate.jwks.keys"])
	sr := one(t, spans, "POST /v1/verify", rotatedID)
	assert.Equal(t, traceID, sr.traceID)
	kf := one(t, spans, "jwks.fetch", sr.spanID)
	assert.Equal(t, traceID, kf.traceID)
	assert.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, kf.kind)
	assert.Equal(t, e.jwks.URL+"/okera.json", kf.attrs["url.full"])
	assert.Equal(t, "200", kf.attrs["http.response.status_code"])
	assert.Equal(t, "2", kf.attrs["jwtgate.jwks.keys"])

	gr := one(t, spans, "remote.groups", sv.spanID)
	assert.Equal(t, e.groups.URL+"/groups", gr.attrs["url.full"], "the configured URL: not the subject jwtgate adds")
	assert.Equal(t, "2", gr.attrs["jwtgate.groups.count"])

	// Forward authentication: the route's refusal is the span's code.
	sa := one(t, spans, "GET /v1/authz", "")
	assert.NotEqual(t, traceID, sa.traceID, "no traceparent: a trace of its own")
	assert.Empty(t, sa.parentID)
	assert.Equal(t, "permission_denied", sa.attrs["jwtgate.decision.code"])
	assert.Equal(t, "403", sa.attrs["http.response.status_code"])
	assert.Len(t, named(spans, "jwks.fetch"), 2, "the cached set: no fetch for forward authentication")

	// The sign-in: the one-time jti claimed, the subject and session stored.
	ss := one(t, spans, "POST /auth/jwt", "")
	assert.Equal(t, "authonomy", ss.attrs["jwtgate.integration"])
	assert.Equal(t, "ok", ss.attrs["jwtgate.decision.code"])
	for _, op := range []string{"claim", "upsert_subject", "create_session"} {
		st := one(t, spans, "store."+op, ss.spanID)
		assert.Equal(t, map[string]string{"db.operation.name": op}, st.attrs)
	}
	for _, s := range spans {
		assert.NotEqual(t, "store.ping", s.name, "no span outside a traced request")
	}

	// Nothing a client sent or a token says is in any span.
	secrets := []string{"john.doe", "john.doe@okera.example", "user-123", "john@example.com", "E-1234", "John Doe",
		"secret-query", "redirect-secret", "/analytics", systemToken, edge.TokenHash(okera), edge.TokenHash(rotated), edge.TokenHash(auth)}
	for _, tok := range []string{okera, rotated, auth} {
		secrets = append(secrets, strings.Split(tok, ".")...)
	}
	assertNoSecretsInSpans(t, spans, secrets)
}

// assertNoSecretsInSpans scans every name, attribute value, event, status
// and trace state exported for each secret.
func assertNoSecretsInSpans(t *testing.T, spans []recvSpan, secrets []string) {
	t.Helper()
	for _, s := range spans {
		values := []string{s.name, s.statusMsg, s.state}
		for _, m := range append([]map[string]string{s.attrs, s.resource}, s.events...) {
			for k, v := range m {
				values = append(values, k, v)
			}
		}
		for _, v := range values {
			for _, secret := range secrets {
				assert.NotContains(t, v, secret, "span %s", s.name)
			}
		}
	}
}

// TestTracingOff: without service.tracing or OTEL_TRACES_EXPORTER there is
// no exporter at all, even with an endpoint in the environment; and
// OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none, turns configured
// tracing off.
func TestTracingOff(t *testing.T) {
	for name, c := range map[string]struct {
		extra string
		env   map[string]string
	}{
		"default":          {},
		"sdk disabled":     {extra: "  tracing: {enabled: true}\n", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}},
		"exporter none":    {extra: "  tracing: {enabled: true}\n", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		"explicitly false": {extra: "  tracing: {enabled: false}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			rc := newOTLPReceiver(t)
			tracingEnv(t, rc)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			e := newEnv(t, envOptions{noStart: true, extra: c.extra})
			e.srv = e.start(filepath.Join(e.dir, "data"))
			e.url = httptestServer(t, e.srv)
			require.Nil(t, e.srv.tracing, "no provider, no exporter, no goroutine")
			tok := e.okeraToken(0, "okera-1", map[string]any{"groups": nil})
			r := e.post("/v1/verify", "", "", "Authorization", "Bearer "+tok, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			require.Equal(t, http.StatusOK, r.status, r.body)
			require.NoError(t, e.srv.Close())
			requests, _ := rc.got()
			assert.Zero(t, requests, "nothing exported")
		})
	}
}

// TestTracingFromEnvironment: OTEL_TRACES_EXPORTER=otlp alone turns tracing
// on, and OTEL_SERVICE_NAME names the service.
func TestTracingFromEnvironment(t *testing.T) {
	rc := newOTLPReceiver(t)
	tracingEnv(t, rc)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_SERVICE_NAME", "edge-auth")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
	e := newEnv(t, envOptions{})
	r := e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.NoError(t, e.srv.Close())
	_, spans := rc.got()
	sv := one(t, spans, "POST /v1/verify", "")
	assert.Equal(t, "edge-auth", sv.resource["service.name"])
	assert.Equal(t, "staging", sv.resource["deployment.environment.name"])
}

// TestTracingSampler: the SDK's OTEL_TRACES_SAMPLER is honoured; always_off
// exports nothing though tracing is on.
func TestTracingSampler(t *testing.T) {
	rc := newOTLPReceiver(t)
	tracingEnv(t, rc)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	e := tracedEnv(t)
	require.NotNil(t, e.srv.tracing)
	r := e.verify(e.okeraToken(0, "okera-1", nil))
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.NoError(t, e.srv.Close())
	_, spans := rc.got()
	assert.Empty(t, spans)
}

// TestTracingRefusesUnsupported: an OTLP protocol other than http/protobuf,
// or an exporter other than otlp, is refused at start with what is
// supported; a protocol is not looked at while tracing is off.
func TestTracingRefusesUnsupported(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"grpc":             {map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: jwtgate's OTLP exporter speaks http/protobuf only"},
		"traces grpc":      {map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"},
		"json":             {map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "http/protobuf only"},
		"zipkin":           {map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER=zipkin: jwtgate exports traces by OTLP only"},
		"otlp and console": {map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console"}, "by OTLP only"},
	} {
		t.Run(name, func(t *testing.T) {
			tracingEnv(t, newOTLPReceiver(t))
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			e := newEnv(t, envOptions{noStart: true, extra: "  tracing: {enabled: true}\n"})
			_, err := New(context.Background(), Options{ConfigFile: e.config, DataDir: filepath.Join(e.dir, "data"), StoreDSN: e.storeDS})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	t.Run("off", func(t *testing.T) {
		tracingEnv(t, newOTLPReceiver(t))
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
		e := newEnv(t, envOptions{})
		assert.Nil(t, e.srv.tracing)
	})
}

// TestTracingLDAP: the LDAP lookup of a token without groups is a child
// of the request's span, its searches children of the lookup; a second
// lookup is the cache's. No subject, DN or filter in any of them.
func TestTracingLDAP(t *testing.T) {
	rc := newOTLPReceiver(t)
	tracingEnv(t, rc)
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	e, dir := ldapEnv(t)
	tok := e.okeraToken(0, "okera-1", map[string]any{"sub": "ada", "groups": nil})
	for range 2 {
		v := e.verify(tok)
		require.Equal(t, http.StatusOK, v.status, v.body)
		require.Equal(t, []any{"analysts", "staff"}, v.json["groups"])
	}
	require.NoError(t, e.srv.Close())
	_, spans := rc.got()

	verifies := named(spans, "POST /v1/verify")
	require.Len(t, verifies, 2)
	first := one(t, spans, "ldap.groups", verifies[0].spanID)
	assert.Equal(t, strings.TrimPrefix(dir.URL, "ldap://"), first.attrs["server.address"])
	assert.Equal(t, "false", first.attrs["jwtgate.ldap.cache_hit"])
	assert.Equal(t, "2", first.attrs["jwtgate.groups.count"])
	searches := 0
	for _, s := range named(spans, "ldap.search") {
		if s.parentID == first.spanID {
			searches++
		}
	}
	assert.GreaterOrEqual(t, searches, 2, "the user, then the nested groups")
	cached := one(t, spans, "ldap.groups", verifies[1].spanID)
	assert.Equal(t, "true", cached.attrs["jwtgate.ldap.cache_hit"])
	assert.Empty(t, named(spans, "remote.groups"), "LDAP answered: the endpoint is not asked")

	secrets := []string{"uid=ada", slapdtest.PeopleDN, slapdtest.BindDN, slapdtest.BindPassword, "inetOrgPerson"}
	secrets = append(secrets, strings.Split(tok, ".")...)
	assertNoSecretsInSpans(t, spans, secrets)
	for _, s := range spans {
		for k, v := range s.attrs {
			assert.NotEqual(t, "ada", v, "span %s attribute %s", s.name, k)
		}
	}
}

// TestTracingExportFailureLogged: a collector that refuses the export is
// one warning in the server's JSON log, not the SDK's line on stderr, and
// the requests are served all the same.
func TestTracingExportFailureLogged(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	t.Cleanup(refusing.Close)
	tracingEnv(t, &otlpReceiver{Server: refusing})
	e := tracedEnv(t)
	for range 2 {
		r := e.verify(e.okeraToken(0, "okera-1", nil))
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	require.NoError(t, e.srv.Close(), "a refused flush is logged, not an error of Close")
	logs := e.logs.String()
	assert.Equal(t, 1, strings.Count(logs, "tracing: exporting spans failed"), logs)
}

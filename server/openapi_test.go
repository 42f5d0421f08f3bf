package server

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// openAPIMethods are the operations a path item may hold (OpenAPI 3.1
// section 4.8.9).
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// pathParam matches a template expression of a path, {name}.
var pathParam = regexp.MustCompile(`\{([^{}]+)\}`)

// loadOpenAPI reads openapi.yaml as a generic tree (string keys only:
// JSON Schema and OpenAPI know no other).
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	return doc
}

// openAPIOperations returns the document's operations as "METHOD /path"
// (the form of a ServeMux pattern) with their path items.
func openAPIOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	require.True(t, ok, "paths is an object")
	out := map[string]map[string]any{}
	for path, item := range paths {
		it, ok := item.(map[string]any)
		require.True(t, ok, "%s is an object", path)
		for _, m := range openAPIMethods {
			if op, ok := it[m]; ok {
				o, ok := op.(map[string]any)
				require.True(t, ok, "%s %s is an object", m, path)
				out[strings.ToUpper(m)+" "+path] = o
			}
		}
	}
	return out
}

// registeredAdminRoutes returns the patterns adminRoutes registers, read
// from its source: each element of its table whose first field is a
// string constant expression "METHOD /v1/admin/…", the function's own
// constants (t, in) resolved. Reading the source finds a route added
// without its description, which no request to a mux could list.
func registeredAdminRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "admin_routes.go", nil, 0)
	require.NoError(t, err)
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "adminRoutes" {
			fn = fd
		}
	}
	require.NotNil(t, fn, "adminRoutes in admin_routes.go")
	consts := map[string]string{}
	var routes []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if v, ok := stringConst(n.Values[i], consts); ok {
						consts[name.Name] = v
					}
				}
			}
		case *ast.CompositeLit:
			if n.Type != nil || len(n.Elts) == 0 {
				return true
			}
			if v, ok := stringConst(n.Elts[0], consts); ok && strings.Contains(v, " /v1/admin/") {
				routes = append(routes, v)
			}
		}
		return true
	})
	return routes
}

// stringConst evaluates a string constant expression of literals, known
// constants and +.
func stringConst(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := stringConst(e.X, consts)
		b, ok2 := stringConst(e.Y, consts)
		return a + b, ok && ok2
	case *ast.ParenExpr:
		return stringConst(e.X, consts)
	}
	return "", false
}

// The file is OpenAPI 3.1 in YAML, and holds together: every $ref leads
// somewhere, every component is used, every operation has a unique
// operationId and responses with descriptions, and the path parameters
// are exactly the path's template expressions.
func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	version, _ := doc["openapi"].(string)
	assert.Regexp(t, `^3\.1\.\d+$`, version)
	info, _ := doc["info"].(map[string]any)
	assert.NotEmpty(t, info["title"])
	assert.NotEmpty(t, info["version"])

	refs := map[string]bool{}
	for _, p := range walkOpenAPI(doc, "", refs) {
		t.Error(p)
	}
	for ref := range refs {
		if _, err := resolveRef(doc, ref); err != nil {
			t.Errorf("$ref %s: %v", ref, err)
		}
	}
	components, _ := doc["components"].(map[string]any)
	for _, kind := range []string{"schemas", "responses", "parameters", "headers", "securitySchemes"} {
		group, _ := components[kind].(map[string]any)
		require.NotEmpty(t, group, "components.%s", kind)
		for name := range group {
			if kind != "securitySchemes" && !refs["#/components/"+kind+"/"+name] {
				t.Errorf("components.%s.%s is never used", kind, name)
			}
		}
	}
	schemes := components["securitySchemes"].(map[string]any)
	for _, req := range doc["security"].([]any) {
		for name := range req.(map[string]any) {
			assert.Contains(t, schemes, name, "the global security requirement's scheme")
		}
	}

	ids := map[string]string{}
	for key, op := range openAPIOperations(t, doc) {
		id, _ := op["operationId"].(string)
		if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %s is also %s's", key, id, prev)
		}
		assert.NotEmpty(t, id, "%s: operationId", key)
		ids[id] = key
		responses, _ := op["responses"].(map[string]any)
		assert.NotEmpty(t, responses, "%s: responses", key)
		for code, r := range responses {
			resolved, err := resolveValue(doc, r)
			if assert.NoError(t, err, "%s %s", key, code) {
				assert.NotEmpty(t, resolved.(map[string]any)["description"], "%s %s: description", key, code)
			}
		}
	}
	for key, params := range pathParameters(t, doc) {
		_, path, _ := strings.Cut(key, " ")
		var want []string
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		assert.ElementsMatch(t, want, params, "%s: the path parameters declared", key)
	}
}

// walkOpenAPI collects every $ref of the tree into refs and returns the
// problems it finds on the way: a key that is not a string, a $ref that
// is not a local JSON pointer.
func walkOpenAPI(v any, at string, refs map[string]bool) []string {
	var probs []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "$ref" {
				ref, ok := e.(string)
				if !ok || !strings.HasPrefix(ref, "#/") {
					probs = append(probs, fmt.Sprintf("%s: $ref %v is not a local reference", at, e))
					continue
				}
				refs[ref] = true
				continue
			}
			probs = append(probs, walkOpenAPI(e, at+"/"+k, refs)...)
		}
	case []any:
		for i, e := range v {
			probs = append(probs, walkOpenAPI(e, at+"/"+strconv.Itoa(i), refs)...)
		}
	case map[any]any:
		probs = append(probs, at+": a mapping with a key that is not a string")
	}
	return probs
}

// resolveRef follows a local JSON pointer (RFC 6901) into doc.
func resolveRef(doc map[string]any, ref string) (any, error) {
	var cur any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not in an object", tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("no %q", tok)
		}
	}
	return cur, nil
}

// resolveValue is v, or what its $ref leads to (one level, as components
// here refer to no other component at their top).
func resolveValue(doc map[string]any, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	if ref, ok := m["$ref"].(string); ok {
		return resolveRef(doc, ref)
	}
	return m, nil
}

// pathParameters returns, by operation, the names of the path
// parameters it declares (its path item's and its own), each required.
func pathParameters(t *testing.T, doc map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	paths := doc["paths"].(map[string]any)
	for key, op := range openAPIOperations(t, doc) {
		_, path, _ := strings.Cut(key, " ")
		lists := []any{paths[path].(map[string]any)["parameters"], op["parameters"]}
		names := []string{}
		for _, list := range lists {
			l, _ := list.([]any)
			for _, p := range l {
				r, err := resolveValue(doc, p)
				require.NoError(t, err, key)
				param := r.(map[string]any)
				if param["in"] == "path" {
					assert.Equal(t, true, param["required"], "%s: path parameter %v is required", key, param["name"])
					names = append(names, param["name"].(string))
				}
			}
		}
		out[key] = names
	}
	return out
}

// The file describes exactly the routes adminRoutes registers: a route
// added (or removed) without its description fails here.
func TestOpenAPIRoutes(t *testing.T) {
	registered := registeredAdminRoutes(t)
	require.GreaterOrEqual(t, len(registered), 20, "the routes were found in admin_routes.go")
	documented := slices.Sorted(maps.Keys(openAPIOperations(t, loadOpenAPI(t))))
	slices.Sort(registered)
	assert.Equal(t, registered, documented, "the admin routes and openapi.yaml's operations")
}

// Every documented operation reaches a handler of the running server,
// not the admin API's catch-all: probed with a wrong credential, which
// every handler refuses before doing anything.
func TestOpenAPIRoutesAnswer(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	values := strings.NewReplacer("{tenant}", "acme", "{name}", "probe", "{id}", "probe", "{revision}", "1")
	probe := func(key string) response {
		method, path, _ := strings.Cut(key, " ")
		return e.adminAs("jwtgate_adm_wrong", method, values.Replace(path), "")
	}
	catchAll := func(r response) bool {
		detail, _ := r.json["detail"].(string)
		return r.status == http.StatusNotFound && strings.Contains(detail, "No such admin endpoint")
	}
	require.True(t, catchAll(probe("GET /v1/admin/nowhere")), "the probe tells the catch-all")
	other := probe("PATCH /v1/admin/tenants/{tenant}")
	require.Equal(t, http.StatusMethodNotAllowed, other.status, "a method not registered")
	require.Equal(t, "GET, DELETE", other.header.Get("Allow"))
	for key := range openAPIOperations(t, loadOpenAPI(t)) {
		r := probe(key)
		assert.False(t, catchAll(r), "%s is documented but answered by the catch-all", key)
		assert.NotEqual(t, http.StatusMethodNotAllowed, r.status, key)
	}
}

// The problem codes of the file are those the API writes.
func TestOpenAPIProblems(t *testing.T) {
	doc := loadOpenAPI(t)
	code, err := resolveRef(doc, "#/components/schemas/Problem/properties/code/enum")
	require.NoError(t, err)
	var documented []string
	for _, c := range code.([]any) {
		documented = append(documented, c.(string))
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(problemTitles)), documented)
}

// The server serves the file as it is, to anyone.
func TestOpenAPIServed(t *testing.T) {
	e := newAdminEnv(t, envOptions{})
	want, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	r := send(t, nil, http.MethodGet, e.url+"/v1/admin/openapi.yaml", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/yaml", r.header.Get("Content-Type"))
	assert.Equal(t, string(want), r.body)
}

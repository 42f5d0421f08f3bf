package testcorpus

// The route-spelling table: request paths spelled so that some common
// upstream (Tomcat's ";" parameters, IIS's case folding and trailing dots,
// Express, nginx's slash merging, a second decoding) routes them to a
// protected route. Every target that judges routes (jwtgate serve's
// /v1/authz, the proxy-wasm filter, package edge itself) runs this one table:
// each spelling must come out protected or refused, never open.

// PathOutcome is what a route-judging target must make of a spelling.
type PathOutcome string

const (
	// Protected: judged by its route, refused (403) without the route's
	// role and let through with it.
	Protected PathOutcome = "protected"
	// Refused: refused outright (400) whatever the credential, because
	// upstreams could read the path in different ways.
	Refused PathOutcome = "refused"
	// Open is what no spelling of the table may come out as: let through
	// without the route's role.
	Open PathOutcome = "open"
)

// PathRoute is one route of the table's configuration.
type PathRoute struct {
	Prefix  string
	Methods []string // nil: every method
	Role    string   // require_roles: {any: [Role]}
}

// PathRoutes are the routes the spellings are judged against.
func PathRoutes() []PathRoute {
	return []PathRoute{
		{Prefix: "/admin", Role: "admin"},
		{Prefix: "/reports", Methods: []string{"GET"}, Role: "reporter"},
	}
}

// PathRoles are the roles of a token meeting every route of PathRoutes;
// the table's other token has the role "user" only.
var PathRoles = []string{"admin", "reporter"}

// PathSkip is the skip prefix of the filter's configuration (health
// checks, not verified at all).
const PathSkip = "/healthz"

// PathCase is one spelling: a method and a request URI (path and query)
// as the client sent it.
type PathCase struct {
	Method, URI string
	Want        PathOutcome
}

// PathCases returns the spellings. URIs hold only bytes an HTTP header
// value may carry (no control characters but tab), so that every target
// can be sent each of them; the core's own tests cover the rest.
func PathCases() []PathCase {
	p := func(uri string) PathCase { return PathCase{"GET", uri, Protected} }
	r := func(uri string) PathCase { return PathCase{"GET", uri, Refused} }
	return []PathCase{
		// The plain spellings, for reference.
		p("/admin"), p("/admin/users"), p("/admin?x=/public"), {"GET", "/reports/q3", Protected},
		// Case: IIS, and every case-insensitive router.
		p("/ADMIN"), p("/Admin/x"), p("/aDmIn;a=b"), p("/REPORTS/q3"),
		// ";" path parameters: Tomcat, Jetty, Spring drop them.
		p("/admin;x"), p("/admin;jsessionid=1/x"), p("/admin;/x"), p("/reports;v=1/q3"), p("/admin%3bx"),
		// Trailing dots and spaces of a segment: IIS and Windows drop them.
		p("/admin%20"), p("/admin.."), p("/admin."), p("/admin.%20"), p("/admin.;x"), p("/reports./q3"),
		// Escapes of ordinary characters, dot segments, empty segments.
		p("/%61dmin"), p("/%41DMIN/x"), p("/admin/"), p("/x/../admin"), p("/./admin"), p("//admin"),
		p("///admin//users"), p("/a/b/../../admin"), p("/../admin"), p("/public/../admin"),
		p("/healthz/../admin"), p("/healthz;x/../admin"), p("/HEALTHZ/../admin"), p("/healthz./../admin"),
		// A GET route applies to HEAD, which upstreams answer with the GET
		// handler; the method's case does not matter.
		{"HEAD", "/reports", Protected}, {"HEAD", "/reports/q3", Protected}, {"head", "/reports", Protected}, {"get", "/admin", Protected},

		// Backslashes: Windows, and some routers, read them as "/".
		r(`/\admin`), r(`/admin\`), r(`\admin`), r("/admin%5c"), r("/admin%5Cx"),
		// Encoded "/", "." and "%" (a second decoding): upstreams disagree.
		r("/admin%2f"), r("/%2fadmin"), r("/public%2f..%2fadmin"), r("/public/%2e%2e/admin"), r("/%2e/admin"),
		r("/admin%2e"), r("/admin/.%2e/"), r("/admin%252e"), r("/%2561dmin"),
		// ";" parameters and trailing dots that make a dot segment for one
		// upstream and a name for another.
		r("/public/..;/admin"), r("/healthz/..;/admin"), r("/public/.;/../admin"), r("/x/.../admin"),
		r("/x/..%20/admin"), r("/x/;/../admin"), r("/a//../admin"),
		// Control characters, NUL, fragments and query delimiters inside the
		// path.
		r("/admin%00"), r("/admin%0a"), r("/admin%0d%0ax"), r("/admin%7f"), r("/admin%09"), r("/ad\tmin"),
		r("/admin#x"), r("/admin%23"), r("/admin%3f"),
		// Malformed escapes, which once turned decoding off altogether.
		r("/admin%zz"), r("/%zz/../admin"), r("/healthz/%2e%2e/admin%zz"), r("/admin%"), r("/admin%4"), r("/%u0061dmin"),
		// Non-ASCII: overlong UTF-8 forms, fullwidth letters and slashes,
		// letters whose Unicode case mapping is ASCII.
		r("/%c0%afadmin"), r("/admin%c0%ae"), r("/%ef%bd%81dmin"), r("/\xef\xbd\x81dmin"), r("/%ef%bc%8fadmin"),
		r("/adm%c4%b1n"), r("/adm\xc4\xb1n"),
		// Not an origin-form path.
		r("admin"), r("http://api.example/admin"),
	}
}

// SkipCase is a request without any credential against the filter's skip
// prefix: Skipped spellings pass unverified, the others must not.
type SkipCase struct {
	URI  string
	Want SkipOutcome
}

// SkipOutcome is what the filter must make of a request without a token.
type SkipOutcome string

const (
	// Skipped: let through unverified (the path is under the skip prefix
	// for every upstream).
	Skipped SkipOutcome = "skipped"
	// Verified: verified, so refused for want of a token (401).
	Verified SkipOutcome = "verified"
	// SkipRefused: the path is refused outright (400).
	SkipRefused SkipOutcome = "refused"
)

// SkipCases returns the skip-prefix spellings.
func SkipCases() []SkipCase {
	return []SkipCase{
		{"/healthz", Skipped}, {"/healthz/", Skipped}, {"/healthz/live?x=1", Skipped},
		{"/healthz/..;/admin", SkipRefused}, {"/healthz/%2e%2e/admin%zz", SkipRefused}, {"/healthz%2f..%2fadmin", SkipRefused},
		{"/healthz/.;/admin", SkipRefused}, {"/healthz\\..\\admin", SkipRefused},
		{"/healthz/../admin", Verified}, {"/healthz;/../admin", Verified}, {"/healthz;x", Verified},
		{"/HEALTHZ", Verified}, {"/healthz.", Verified}, {"/healthz./x", Verified}, {"//healthz", Verified},
		{"/healthz%20", Verified}, {"/healthzx", Verified}, {"/x/../healthz", Verified},
	}
}

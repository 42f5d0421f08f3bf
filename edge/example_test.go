package edge_test

import (
	"fmt"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/edge"
)

// A host reads the token, refuses what the core rejects, and picks the
// request's route: here with net/http's headers, as jwtgate serve does.
func Example() {
	policy, err := core.ParsePolicy("policy.yaml", []byte(`integrations:
  - name: idp
    issuer: https://idp.example
    algorithms: [HS256]
    keys: [{secret: "0123456789abcdef0123456789abcdef"}]
    headers: {X-User: sub}
`), core.LoadOptions{})
	if err != nil {
		panic(err)
	}
	routes, err := edge.NewRoutes([]edge.RouteConfig{
		{Prefix: "/admin", RequireRoles: &core.Membership{Any: []string{"admin"}}},
		{Prefix: "/partner", Integration: "idp"},
	}, policy)
	if err != nil {
		panic(err)
	}

	h := http.Header{}
	h.Set("Authorization", "Basic dXNlcjpwYXNz")
	cred := edge.Sources{}.Extract(h, "/ADMIN/users?go=/home")
	fmt.Println("sent:", cred.Sent, "malformed:", cred.Malformed)
	r := edge.Unauthorized(core.CodeInvalidToken, cred.Sent)
	fmt.Println(r.Status, r.Challenge)
	fmt.Println(string(r.Body()))

	p, err := edge.CleanPath("/ADMIN/users?go=/home", edge.PathOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("route:", routes.Select("GET", p).Prefix)
	fmt.Println("redirect:", edge.RedirectParam("/ADMIN/users?go=/home"))
	fmt.Println("reserved:", edge.ReservedHeaders(policy).Has("x-user"))
	// Output:
	// sent: true malformed: the Authorization header does not start with "Bearer "
	// 401 Bearer realm="jwtgate", error="invalid_token", error_description="Invalid token"
	// {"error":"invalid_token","message":"Invalid token"}
	// route: /admin
	// redirect: /home
	// reserved: true
}

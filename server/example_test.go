package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/server"
)

// jwtgate's endpoints mounted in an application's own ServeMux, beside
// its own routes: here POST /v1/verify, asked with an issuer's token.
func Example() {
	dir, err := os.MkdirTemp("", "server-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	const secret = "0123456789abcdef0123456789abcdef"
	config := filepath.Join(dir, "jwtgate.yaml")
	if err := os.WriteFile(config, []byte(`integrations:
  - name: app
    tenant: acme
    issuer: https://issuer.example
    algorithms: [HS256]
    keys: [{secret: "`+secret+`"}]
`), 0o600); err != nil {
		panic(err)
	}

	srv, err := server.New(context.Background(), server.Options{
		ConfigFile: config,
		DataDir:    filepath.Join(dir, "data"), // the SQLite store and jwtgate's signing keys
		Now:        func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	app := httptest.NewServer(mux)
	defer app.Close()

	for _, tok := range []string{sign(secret, `{"iss":"https://issuer.example","sub":"alice","exp":1700003600}`), "not-a-token"} {
		req, err := http.NewRequest(http.MethodPost, app.URL+"/v1/verify", nil)
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, body["sub"], body["tenant"], body["error"])
	}
	resp, err := http.Get(app.URL + "/hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	hello, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", strings.TrimSpace(string(hello)), "\n")
	// Output:
	// 200 alice acme <nil>
	// 401 <nil> <nil> invalid_token
	// 200 hello
}

// sign is the issuer's side: a payload signed with an HMAC secret.
func sign(secret, payload string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		panic(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return tok
}

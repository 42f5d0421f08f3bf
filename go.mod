module github.com/jwtgate/jwtgate

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/stretchr/testify v1.12.1
	github.com/tetratelabs/wazero v1.12.0
	go.yaml.in/yaml/v3 v3.0.6
)

require golang.org/x/sys v0.44.0 // indirect

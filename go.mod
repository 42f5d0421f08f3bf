module github.com/jwtgate/jwtgate

go 1.26.8

require (
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
)

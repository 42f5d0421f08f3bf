package core

import (
	"bytes"
	"strings"

	jose "github.com/jwtgate/jwtgate/core/internal/joseid"
	"github.com/jwtgate/jwtgate/core/internal/keys"
)

// keySource is one source of key material a key entry names.
type keySource struct {
	kind  string // the field name
	value string
}

func (k *keyConfig) sources() []keySource {
	var out []keySource
	if k.JWKS != nil {
		out = append(out, keySource{"jwks", ""})
	}
	if k.Discovery {
		out = append(out, keySource{"discovery", ""})
	}
	for _, s := range []keySource{
		{"jwks_file", k.JWKSFile}, {"jwks_url", k.JWKSURL}, {"pem_file", k.PEMFile}, {"pem", k.PEM},
		{"secret", k.Secret}, {"secret_file", k.SecretFile}, {"secret_env", k.SecretEnv},
	} {
		if s.value != "" {
			out = append(out, s)
		}
	}
	return out
}

// material loads a key entry's bytes. secret reports whether they are a
// shared secret rather than PEM or JWKS.
func (k *keyConfig) material(field string, opts LoadOptions) (kind string, data []byte, err error) {
	src := k.sources()
	if len(src) != 1 {
		names := make([]string, len(src))
		for i, s := range src {
			names[i] = s.kind
		}
		return "", nil, fieldErr(field, "give exactly one of jwks, jwks_file, jwks_url, pem_file, pem, secret, secret_file, secret_env, discovery (found %v)", names)
	}
	s := src[0]
	field += "." + s.kind
	if len(k.JWKSHosts) > 0 && s.kind != "discovery" {
		return "", nil, fieldErr(field, "jwks_hosts belongs to a discovery entry; remove it")
	}
	readFile := func(name string) ([]byte, error) {
		if opts.ReadFile == nil {
			return nil, fieldErr(field, "files cannot be read here; inline the key")
		}
		b, err := opts.ReadFile(name)
		if err != nil {
			return nil, fieldErr(field, "%v", err)
		}
		return b, nil
	}
	switch s.kind {
	case "jwks":
		b, err := jwksJSON(k.JWKS)
		if err != nil {
			return "", nil, fieldErr(field, "%v", err)
		}
		return "jwks", b, nil
	case "jwks_file":
		b, err := readFile(s.value)
		return "jwks", b, err
	case "jwks_url":
		return "jwks_url", []byte(s.value), nil
	case "discovery":
		return "discovery", nil, nil
	case "pem_file":
		b, err := readFile(s.value)
		return "pem", b, err
	case "pem":
		return "pem", []byte(s.value), nil
	case "secret":
		return "secret", []byte(s.value), nil
	case "secret_file":
		b, err := readFile(s.value)
		// A trailing newline is an editor's, not part of the secret.
		return "secret", bytes.TrimRight(b, "\r\n"), err
	case "secret_env":
		if opts.LookupEnv == nil {
			return "", nil, fieldErr(field, "the environment cannot be read here; inline the secret")
		}
		v, ok := opts.LookupEnv(s.value)
		if !ok || v == "" {
			return "", nil, fieldErr(field, "environment variable %s is not set", s.value)
		}
		return "secret", []byte(v), nil
	}
	return "", nil, fieldErr(field, "unknown key source")
}

// addVerificationKeys loads and binds one keys entry. bind false (the
// integration's algorithms are at fault) checks only what does not depend
// on them.
func (in *integration) addVerificationKeys(k *keyConfig, field string, opts LoadOptions, bind bool) error {
	kind, data, err := k.material(field, opts)
	if err != nil {
		return err
	}
	field += "." + k.sources()[0].kind
	if kind == "discovery" {
		// Bound to no algorithm here: checked whatever bind says.
		return in.addDiscovery(k, field, opts)
	}
	if !bind && kind != "jwks_url" {
		return nil
	}
	bindKey := func(material any, source string) error {
		if _, secret := material.([]byte); secret && opts.PublicKeysOnly {
			return fieldErr(field, "%s", publicOnlyReason)
		}
		algs, err := keys.BindSignature(material, k.Algorithm, in.algorithms)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		in.keys = append(in.keys, keys.NewVerificationKey(k.KeyID, material, algs, source))
		return nil
	}
	switch kind {
	case "jwks_url":
		if !strings.HasPrefix(s(data), "https://") && !strings.HasPrefix(s(data), "http://") {
			return fieldErr(field, "want an http(s) URL, found %q", data)
		}
		if k.KeyID != "" || k.Algorithm != "" {
			return fieldErr(field, "kid and algorithm come from the published keys; remove them")
		}
		in.jwksURLs = append(in.jwksURLs, s(data))
		return nil
	case "jwks":
		if k.KeyID != "" {
			return fieldErr(field, "a JWKS names its own kids; remove kid")
		}
		set, err := keys.ParseJWKS(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		allowed := in.algorithms
		if k.Algorithm != "" {
			alg, ok := keys.ParseSignatureAlgorithm(k.Algorithm)
			if !ok {
				return fieldErr(field+".algorithm", "%q is not a supported signature algorithm", k.Algorithm)
			}
			allowed = []jose.SignatureAlgorithm{alg}
		}
		vks, _, err := keys.VerificationKeysFromJWKS(set, allowed, field, false)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		if len(vks) == 0 {
			return fieldErr(field, "no signing keys in the set")
		}
		for _, vk := range vks {
			if _, secret := vk.Material.([]byte); secret && opts.PublicKeysOnly {
				return fieldErr(field, "%s (%s)", publicOnlyReason, vk.Source)
			}
		}
		in.keys = append(in.keys, vks...)
		return nil
	case "pem":
		if opts.parsePEM == nil {
			return fieldErr(field, "PEM keys are not read by this loader: a bundle holds its keys as JWKs (jwtgate policy build writes them)")
		}
		list, err := opts.parsePEM(data)
		if err != nil {
			return fieldErr(field, "%v", err)
		}
		for _, m := range list {
			if err := bindKey(m, field); err != nil {
				return err
			}
		}
		return nil
	case "secret":
		return bindKey(data, field)
	}
	return fieldErr(field, "unknown key source")
}

func s(b []byte) string { return string(b) }

package core

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	yaml "github.com/jwtgate/jwtgate/internal/yamlconfig/yamlnode"
)

// A policy bundle is the policy as the edge targets (the proxy filter, the
// browser, a plugin) load it: one canonical JSON document, every
// verification key inline as a JWK, durations in one spelling, no service
// section, and a content hash that ParsePolicy checks. A bundle is a
// policy: it loads wherever a policy does, with no files, environment or
// YAML features to resolve.

// BundleFormat is the version of the bundle format BuildBundle writes.
const BundleFormat = 1

// BuildBundle returns the bundle of the policy document data: read with
// opts as ParsePolicy reads it (a policy it refuses is refused here with
// the same PolicyErrors), its key files and environment read, its PEM keys
// and secrets written as JWKs, its YAML anchors resolved.
func BuildBundle(file string, data []byte, opts LoadOptions) ([]byte, error) {
	if _, err := ParsePolicy(file, data, opts); err != nil {
		return nil, err
	}
	inlined, err := InlinePolicy(file, data, opts)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := unmarshalInlined(inlined, &doc); err != nil {
		return nil, PolicyErrors{{File: file, Reason: err.Error()}}
	}
	delete(doc, "service") // the server's, and it may hold the server's secrets
	delete(doc, "bundle")
	ins, _ := doc["integrations"].([]any)
	for i, in := range ins {
		if err := bundleIntegration(in); err != nil {
			return nil, PolicyErrors{{File: file, Field: fmt.Sprintf("integrations[%d]", i), Reason: err.Error()}}
		}
	}
	sum, err := bundleHash(doc)
	if err != nil {
		return nil, PolicyErrors{{File: file, Reason: err.Error()}}
	}
	doc["bundle"] = map[string]any{"format": BundleFormat, "sha256": sum}
	out, err := canonicalJSON(doc, "  ")
	if err != nil {
		return nil, PolicyErrors{{File: file, Reason: err.Error()}}
	}
	return append(out, '\n'), nil
}

// bundleIntegration rewrites one integration's keys and durations.
func bundleIntegration(v any) error {
	in, ok := v.(map[string]any)
	if !ok {
		return errors.New("not a mapping")
	}
	for _, name := range []string{"clock_skew", "max_age"} {
		if s, ok := in[name].(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			in[name] = d.String()
		}
	}
	list, _ := in["keys"].([]any)
	for i, k := range list {
		m, ok := k.(map[string]any)
		if !ok {
			continue
		}
		jwks, err := bundleKey(m)
		if err != nil {
			return fmt.Errorf("keys[%d]: %v", i, err)
		}
		if jwks != nil {
			list[i] = jwks
		}
	}
	return nil
}

// bundleHash is the hex SHA-256 of the document's canonical compact JSON
// without its bundle member.
func bundleHash(doc map[string]any) (string, error) {
	rest := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "bundle" {
			rest[k] = v
		}
	}
	b, err := canonicalJSON(rest, "")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// checkBundle checks a policy document that has a bundle member: its
// format and its content hash. A bundle edited after it was built is
// refused; rebuild it from its source instead.
func checkBundle(root *yaml.Node) error {
	var doc map[string]any
	if err := root.Decode(&doc); err != nil {
		return err
	}
	b, _ := doc["bundle"].(map[string]any)
	if b == nil {
		return errors.New("want a mapping with format and sha256")
	}
	if f, _ := b["format"].(int); f != BundleFormat {
		return fmt.Errorf("format %v is not one this jwtgate reads (%d)", b["format"], BundleFormat)
	}
	sum, err := bundleHash(doc)
	if err != nil {
		return err
	}
	if want, _ := b["sha256"].(string); want != sum {
		return errors.New("the content does not match its sha256: the bundle was changed after it was built; build it again from its policy")
	}
	return nil
}

//go:build jwtgate_webcrypto

package core

import "errors"

// The browser module's build (tag jwtgate_webcrypto) links no YAML: it
// neither inlines nor bundles a policy, it loads bundles (inline.go has
// the native versions).

// InlinePolicy is refused in this build.
func InlinePolicy(string, []byte, LoadOptions) ([]byte, error) {
	return nil, errors.New("this build of jwtgate inlines no policy")
}

func unmarshalInlined([]byte, *map[string]any) error {
	return errors.New("this build of jwtgate reads no YAML")
}

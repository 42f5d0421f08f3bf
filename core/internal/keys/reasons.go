//go:build !jwtgate_webcrypto

package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// jsonReason says why a key's JSON does not decode, in JSON's terms: the
// standard library names Go types ("cannot unmarshal number into Go
// struct field JSONWebKeySet.keys of type []jose.JSONWebKey"), go-jose
// prefixes its own name.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return typeReason(te.Field, jsonKind(te.Type), te.Value)
	}
	// go-jose passes some on as text only.
	if m := unmarshalText.FindStringSubmatch(err.Error()); m != nil {
		return typeReason(m[2], goKind(m[3]), m[1])
	}
	return strings.TrimPrefix(err.Error(), "go-jose/go-jose: ")
}

var unmarshalText = regexp.MustCompile(`json: cannot unmarshal (\w+) into Go (?:struct field (\S+) of type|value of type) (\S+)`)

func typeReason(field, want, found string) string {
	if field != "" {
		field = fmt.Sprintf("field %q: ", field)
	}
	switch found {
	case "bool":
		found = "true or false"
	case "array", "object":
		found = "an " + found
	default:
		found = "a " + found
	}
	return fmt.Sprintf("%swant %s, found %s", field, want, found)
}

// goKind names what JSON value decodes into the Go type named t.
func goKind(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "an object"
}

// jsonKind names what JSON value decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}

// derReason says why a PEM block's content is not a key, without the
// ASN.1 decoder's internals or Go API advice.
func derReason(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "asn1:") || strings.Contains(msg, "Parse") {
		return "its content is not a valid DER-encoded key"
	}
	return strings.TrimPrefix(msg, "x509: ")
}

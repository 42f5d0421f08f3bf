package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/jwtgate/jwtgate/internal/keygen"
)

// signingAlgorithms are the algorithms keys generate and mint support: the
// ones the core verifies.
var signingAlgorithms = keygen.Algorithms()

// rsaAlgorithms are the algorithms whose keys --bits sizes.
var rsaAlgorithms = keygen.RSAAlgorithms()

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, args, "generate", "Usage: jwtgate keys generate --alg ALG --kid KID [--out FILE] [--bits N] [--force]", runKeysGenerate, stdout, stderr)
}

// keysGenerateUsage is the -h text of jwtgate keys generate, before its flags.
const keysGenerateUsage = "Usage: jwtgate keys generate --alg ALG --kid KID [flags]\n\nWrites the private JWK to a file (mode 0600) and prints the public JWKS on stdout.\n\nFlags:\n"

func runKeysGenerate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("keys generate", keysGenerateUsage, stderr)
	alg := fset.String("alg", "", "signature algorithm: "+strings.Join(signingAlgorithms, ", ")+"; required")
	kid := fset.String("kid", "", "key ID; required")
	out := fset.String("out", "", "file for the private JWK (default KID.jwk.json, when KID is a plain file name)")
	bits := fset.Int("bits", 2048, fmt.Sprintf("RSA modulus size, from %d to %d (RS* and PS* only)", keygen.MinRSABits, keygen.MaxRSABits))
	force := fset.Bool("force", false, "overwrite an existing --out file")
	if code, ok := parseFlagsOnly(fset, stderr, args); !ok {
		return code
	}
	if *alg == "" || *kid == "" {
		return usageError(fset, stderr, "--alg and --kid are required")
	}
	if flagSet(fset, "bits") && !slices.Contains(rsaAlgorithms, *alg) && slices.Contains(signingAlgorithms, *alg) {
		return usageError(fset, stderr, "--bits applies to RSA keys only (%s); %s keys have a fixed size", strings.Join(rsaAlgorithms, ", "), *alg)
	}
	if *bits < keygen.MinRSABits || *bits > keygen.MaxRSABits {
		return usageError(fset, stderr, "--bits must be from %d to %d", keygen.MinRSABits, keygen.MaxRSABits)
	}
	if *out == "" {
		if !plainFileName(*kid) {
			return usageError(fset, stderr, "--kid %q is not a plain file name; name the file with --out", *kid)
		}
		*out = *kid + ".jwk.json"
	}
	priv, err := generateKey(*alg, *bits)
	if err != nil {
		return usageError(fset, stderr, "%v", err)
	}
	jwk := jose.JSONWebKey{Key: priv, KeyID: *kid, Algorithm: *alg, Use: "sig"}
	if err := writePrivateJWK(*out, jwk, *force); err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		if errors.Is(err, fs.ErrExist) {
			return exitUsage
		}
		return exitRejected
	}
	if _, secret := priv.([]byte); secret {
		fmt.Fprintf(stderr, "jwtgate: %s secret written to %s; a shared secret has no public part (verify with jwks_file: %s)\n", *alg, *out, *out)
		return exitOK
	}
	pub, err := publicJWKS(jwk)
	if err != nil {
		fmt.Fprintf(stderr, "jwtgate: %v\n", err)
		return exitRejected
	}
	stdout.Write(pub)
	fmt.Fprintf(stderr, "jwtgate: private key written to %s\n", *out)
	return exitOK
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// plainFileName reports whether kid can name a file in the working
// directory as it is: no folder in it, not "." or "..", no control
// characters.
func plainFileName(kid string) bool {
	if kid == "" || kid == "." || kid == ".." || strings.ContainsAny(kid, `/\`) {
		return false
	}
	return !strings.ContainsFunc(kid, unicode.IsControl)
}

// generateKey is keygen.Generate, its refusal worded for the --alg flag.
func generateKey(alg string, rsaBits int) (any, error) {
	key, err := keygen.Generate(alg, rsaBits)
	if errors.Is(err, keygen.ErrUnsupported) {
		return nil, fmt.Errorf("--alg %q is not supported (supported: %s)", alg, strings.Join(signingAlgorithms, ", "))
	}
	return key, err
}

// writePrivateJWK writes jwk to path with mode 0600. An existing file is
// refused (fs.ErrExist) unless force is set.
func writePrivateJWK(path string, jwk jose.JSONWebKey, force bool) error {
	data, err := json.MarshalIndent(jwk, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JWK: %v", err)
	}
	return writeNewFile(path, append(data, '\n'), 0o600, force)
}

// writeNewFile creates path with perm and writes data, refusing to replace
// an existing file unless force is set.
func writeNewFile(path string, data []byte, perm os.FileMode, force bool) error {
	if force {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (use --force to overwrite it)", fs.ErrExist, path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// publicJWKS renders the public half of a private JWK as an indented JWK
// set, ending with a newline.
func publicJWKS(jwk jose.JSONWebKey) ([]byte, error) {
	pub := jwk.Public()
	if !pub.Valid() {
		return nil, errors.New("the key has no public part")
	}
	data, err := json.MarshalIndent(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

package secretdoc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawKey is the key the key-file tests spell in each form.
var rawKey = bytes.Repeat([]byte{0xfb, 0xef, 0x01, 0x7f}, KeySize/4)

// writeKeyFile writes content to a new file of the given mode.
func writeKeyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secretdoc.key")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

// keyOf is the Key of raw, as LoadKey should return it.
func keyOf(t *testing.T, raw []byte) Key {
	t.Helper()
	k, err := newKey(raw)
	require.NoError(t, err)
	return k
}

// problemOf returns the KeyProblem of err, failing when it is none.
func problemOf(t *testing.T, err error) KeyProblem {
	t.Helper()
	var kfe *KeyFileError
	require.ErrorAs(t, err, &kfe)
	return kfe.Problem
}

func TestLoadKeyForms(t *testing.T) {
	want := keyOf(t, rawKey).ID()
	for name, text := range map[string]string{
		"hex":            hex.EncodeToString(rawKey),
		"hex upper":      strings.ToUpper(hex.EncodeToString(rawKey)),
		"hex newline":    hex.EncodeToString(rawKey) + "\n",
		"hex spaces":     " \t" + hex.EncodeToString(rawKey) + "\r\n\n",
		"std padded":     base64.StdEncoding.EncodeToString(rawKey),
		"std raw":        base64.RawStdEncoding.EncodeToString(rawKey),
		"url padded":     base64.URLEncoding.EncodeToString(rawKey) + "\n",
		"url raw":        base64.RawURLEncoding.EncodeToString(rawKey),
		"std no url chr": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize)),
	} {
		t.Run(name, func(t *testing.T) {
			k, err := LoadKey(writeKeyFile(t, text, 0o600))
			require.NoError(t, err)
			if name == "std no url chr" {
				require.Equal(t, keyOf(t, bytes.Repeat([]byte{1}, KeySize)).ID(), k.ID())
				return
			}
			require.Equal(t, want, k.ID())
		})
	}
	// The test key's spellings must use the alphabet-specific characters,
	// or the URL forms would not be told from the standard ones.
	require.Contains(t, base64.StdEncoding.EncodeToString(rawKey), "+")
	require.Contains(t, base64.URLEncoding.EncodeToString(rawKey), "-")
}

func TestLoadKeyMalformed(t *testing.T) {
	hexKey := hex.EncodeToString(rawKey)
	std := base64.StdEncoding.EncodeToString(rawKey)
	for name, text := range map[string]string{
		"empty":           "",
		"spaces":          " \n ",
		"short hex":       hexKey[:62],
		"long hex":        hexKey + "ab",
		"not hex":         "zz" + hexKey[2:],
		"31 bytes base64": base64.StdEncoding.EncodeToString(rawKey[:31]),
		"33 bytes base64": base64.StdEncoding.EncodeToString(append(rawKey, 1)),
		"line break":      std[:20] + "\n" + std[20:],
		"space inside":    hexKey[:32] + " " + hexKey[32:],
		"mixed alphabets": strings.Replace(base64.URLEncoding.EncodeToString(rawKey), "-", "+", 1),
		"stray bits":      base64.RawStdEncoding.EncodeToString(rawKey)[:42] + "B",
		"two keys":        hexKey + "\n" + hexKey,
		"pem":             "-----BEGIN KEY-----\n" + std + "\n-----END KEY-----\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadKey(writeKeyFile(t, text, 0o600))
			require.Equal(t, KeyMalformed, problemOf(t, err))
			msg := err.Error()
			require.Contains(t, msg, "64 hex characters or as base64")
			if len(strings.TrimSpace(text)) >= 8 {
				require.NotContains(t, msg, strings.TrimSpace(text)[:8], "the message quotes the file")
			}
		})
	}
}

func TestLoadKeyRefusals(t *testing.T) {
	hexKey := hex.EncodeToString(rawKey)
	t.Run("missing", func(t *testing.T) {
		_, err := LoadKey(filepath.Join(t.TempDir(), "none"))
		require.Equal(t, KeyUnreadable, problemOf(t, err))
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("directory", func(t *testing.T) {
		_, err := LoadKey(t.TempDir())
		require.Equal(t, KeyNotRegular, problemOf(t, err))
	})
	t.Run("too large", func(t *testing.T) {
		path := writeKeyFile(t, hexKey+strings.Repeat(" ", MaxKeyFileBytes), 0o600)
		_, err := LoadKey(path)
		require.Equal(t, KeyTooLarge, problemOf(t, err))
	})
	t.Run("at the limit", func(t *testing.T) {
		path := writeKeyFile(t, hexKey+strings.Repeat("\n", MaxKeyFileBytes-len(hexKey)), 0o600)
		_, err := LoadKey(path)
		require.NoError(t, err)
	})
	if runtime.GOOS == "windows" {
		return
	}
	t.Run("world-writable", func(t *testing.T) {
		_, err := LoadKey(writeKeyFile(t, hexKey, 0o606))
		require.Equal(t, KeyWorldWritable, problemOf(t, err))
	})
	t.Run("group-writable is the owner's choice", func(t *testing.T) {
		_, err := LoadKey(writeKeyFile(t, hexKey, 0o660))
		require.NoError(t, err)
	})
	t.Run("device", func(t *testing.T) {
		_, err := LoadKey("/dev/zero")
		require.Equal(t, KeyNotRegular, problemOf(t, err))
	})
}

func TestGenerateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secretdoc.key")
	k, err := GenerateKeyFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{64}\n$`, string(data))

	loaded, err := LoadKey(path)
	require.NoError(t, err)
	require.Equal(t, k.ID(), loaded.ID())
	plain, err := loaded.Open(k.Seal([]byte("doc"), nil), nil)
	require.NoError(t, err)
	require.Equal(t, "doc", string(plain))

	// Never over a file: the first key stays.
	_, err = GenerateKeyFile(path)
	require.Equal(t, KeyExists, problemOf(t, err))
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, again)

	other, err := GenerateKeyFile(filepath.Join(t.TempDir(), "other.key"))
	require.NoError(t, err)
	require.NotEqual(t, k.ID(), other.ID(), "two generated keys are the same")
}

func TestGenerateKeyFileRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(target, link))
	_, err := GenerateKeyFile(link)
	require.Equal(t, KeyExists, problemOf(t, err))
	_, err = os.Lstat(target)
	require.True(t, errors.Is(err, os.ErrNotExist), "a file was created through the link")
}

func TestGenerateKeyFileUnwritable(t *testing.T) {
	_, err := GenerateKeyFile(filepath.Join(t.TempDir(), "no", "such", "folder", "k"))
	require.Equal(t, KeyUnwritable, problemOf(t, err))
	require.ErrorIs(t, err, os.ErrNotExist)
}

package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testCA signs leaf certificates for 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jwtgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// writeLeaf writes a certificate for 127.0.0.1 with serial and its key.
func (ca *testCA) writeLeaf(t *testing.T, certFile, keyFile string, serial int64) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
}

// service.tls: HTTPS with HTTP/2, TLS 1.2 at least, and a certificate
// rotated on disk served from the next handshake on, without a restart.
func TestServeTLS(t *testing.T) {
	old := tlsRecheckEvery
	tlsRecheckEvery = 50 * time.Millisecond
	t.Cleanup(func() { tlsRecheckEvery = old })
	dir := t.TempDir()
	ca := newTestCA(t)
	ca.writeLeaf(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), 100)
	config := writeLoadConfig(t, dir, "  tls: {cert_file: cert.pem, key_file: key.pem}\n")
	base := serveLoopback(t, Options{ConfigFile: config, DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler)})
	url := "https" + base[len("http"):] + "/healthz"

	get := func(tr *http.Transport) (*http.Response, error) {
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		defer tr.CloseIdleConnections()
		resp, err := c.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	h2 := func() *http.Transport {
		return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}, ForceAttemptHTTP2: true}
	}
	resp, err := get(h2())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "HTTP/2.0", resp.Proto)
	require.Equal(t, int64(100), resp.TLS.PeerCertificates[0].SerialNumber.Int64())

	// TLS 1.1 is refused; plain HTTP gets no answer it can use.
	_, err = get(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS11}})
	require.Error(t, err)
	plain, err := http.Get(base + "/healthz")
	if err == nil {
		plain.Body.Close()
		require.Equal(t, http.StatusBadRequest, plain.StatusCode)
	}

	// Rotation: the new pair from the next handshake; a broken one is not
	// taken (the last good pair stays).
	ca.writeLeaf(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), 200)
	require.Eventually(t, func() bool {
		resp, err := get(h2())
		return err == nil && resp.TLS.PeerCertificates[0].SerialNumber.Int64() == 200
	}, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key.pem"), []byte("not a key"), 0o600))
	time.Sleep(3 * tlsRecheckEvery)
	resp, err = get(h2())
	require.NoError(t, err)
	require.Equal(t, int64(200), resp.TLS.PeerCertificates[0].SerialNumber.Int64())
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	ca.writeLeaf(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), 1)
	other := t.TempDir()
	ca.writeLeaf(t, filepath.Join(other, "cert.pem"), filepath.Join(other, "key.pem"), 2)
	for name, tlsYAML := range map[string]string{
		"missing key":  "{cert_file: cert.pem}",
		"no such file": "{cert_file: nope.pem, key_file: key.pem}",
		"mismatched":   "{cert_file: cert.pem, key_file: " + filepath.Join(other, "key.pem") + "}",
	} {
		_, err := New(t.Context(), Options{ConfigFile: writeLoadConfig(t, dir, "  tls: "+tlsYAML+"\n"), DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler)})
		require.ErrorContains(t, err, "service.tls", name)
	}
}

// clientCert is a client certificate signed by ca.
func (ca *testCA) clientCert(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "admin"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// service.tls.client_ca_file: the token tester requires a client
// certificate of those CAs beside the admin token; other endpoints ask
// for none; a certificate of another CA is refused.
func TestTesterMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, other := newTestCA(t), newTestCA(t)
	ca.writeLeaf(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clients.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "admin.token"), []byte("admin-token-0123456789abcdef\n"), 0o600))
	config := writeLoadConfig(t, dir, "  admin_token_file: admin.token\n  tls: {cert_file: cert.pem, key_file: key.pem, client_ca_file: clients.pem}\n")
	base := serveLoopback(t, Options{ConfigFile: config, DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.DiscardHandler)})
	base = "https" + base[len("http"):]
	body := `{"token":"` + mint(t, []byte(oktoSecret), "", claims(time.Now(), "https://hs.load.example", nil)) + `"}`
	call := func(certs []tls.Certificate, path string) (int, error) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, Certificates: certs}}
		defer tr.CloseIdleConnections()
		method, rd := http.MethodGet, io.Reader(nil)
		if path != "/healthz" {
			method, rd = http.MethodPost, strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer admin-token-0123456789abcdef")
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	code, err := call(nil, "/v1/integrations/hs/test")
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, code, "no client certificate")
	code, err = call([]tls.Certificate{ca.clientCert(t)}, "/v1/integrations/hs/test")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "a client certificate of the configured CA")
	_, err = call([]tls.Certificate{other.clientCert(t)}, "/v1/integrations/hs/test")
	require.Error(t, err, "another CA's certificate fails the handshake")
	code, err = call(nil, "/healthz")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "other endpoints need no certificate")
}

package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns the cert and key paths
// and a pool trusting it.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hourglass-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// Over HTTPS the SDK uploads with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a trailing checksum;
// the TLS listener option must serve it.
func TestTLSListenerWithSDK(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	cfg := testutil.Config(t)
	certFile, keyFile, pool := selfSigned(t)
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
	node := testutil.Start(t, cfg, app.Deps{})
	ctx := context.Background()
	svc := node.App.IAM()
	sa, err := svc.CreateSA(ctx, "tls-client", "", "")
	if err != nil {
		t.Fatal(err)
	}
	nk, err := svc.CreateKey(ctx, sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateBucket(ctx, "secure", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, iam.Binding{Role: iam.RoleEditor, Subject: sa.ID, Bucket: "secure"}); err != nil {
		t.Fatal(err)
	}
	if err := node.App.Directory().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String("https://" + node.App.Addr()), Region: "us-east-1", UsePathStyle: true, HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(nk.Key.ID, nk.Secret, ""),
	})
	body := bytes.Repeat([]byte("tls!"), 50000)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("secure"), Key: aws.String("a/b.bin"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject over TLS: %v", err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("secure"), Key: aws.String("a/b.bin")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(body))
	}
	// Plain HTTP to the TLS listener does not work.
	if resp, err := http.Get("http://" + node.App.Addr() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("plain HTTP answered %d on a TLS listener", resp.StatusCode)
		}
	}
}

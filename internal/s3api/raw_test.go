package s3api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedRaw sends a request signed with id's static key (header SigV4 with the payload's
// SHA-256), for bodies and headers the SDK would not send.
func (e *env) signedRaw(id identity, method, path string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.node.Endpoint()+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: id.Key.Key.ID, SecretAccessKey: id.Key.Secret}
	if err := v4.NewSigner().SignHTTP(e.ctx, creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

// do sends req and reads the whole response.
func (e *env) do(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// xmlCode extracts the Code element of an S3 error document.
func xmlCode(body []byte) string {
	_, rest, _ := strings.Cut(string(body), "<Code>")
	c, _, _ := strings.Cut(rest, "</Code>")
	return c
}

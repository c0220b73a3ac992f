package s3blob_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// VersityGWVersion is the Versity S3 Gateway (Apache 2.0, an S3 server over a POSIX file system)
// that .ci/run installs with `go install github.com/versity/versitygw/cmd/versitygw@…`: a third
// S3 implementation for the conformance suite, besides moto and Hourglass itself.
const VersityGWVersion = "v1.8.0"

// vgw is versitygw on a POSIX directory, one for the whole test binary.
var vgw childServer

const vgwAccess, vgwSecret = "hourglass-test", "hourglass-test-secret-key"

// versityGWEndpoint starts versitygw (once) and returns its URL, or skips.
func versityGWEndpoint(t *testing.T) string {
	return vgw.start(t, "versitygw", "versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@"+VersityGWVersion+"); .ci/run installs it",
		func(port string) ([]string, []string) {
			dir, err := os.MkdirTemp("", "hourglass-versitygw-")
			if err != nil {
				t.Fatal(err)
			}
			vgw.dir = dir
			return []string{"--port", "127.0.0.1:" + port, "--access", vgwAccess, "--secret", vgwSecret, "posix", dir}, nil
		}, "/")
}

// versityGWDeviations are the conformance subtests versitygw's POSIX backend cannot pass: keys
// are paths of its file system, so "a" and "a/b" cannot both be objects and a key ending in "/" is
// a directory, which holds no bytes (it answers ObjectParentIsFile, DirectoryObjectContainsData:
// Hourglass passes those refusals on to the client, see TestVersityGWRefusalsPassOn); and it
// refuses an upload-id-marker that names an upload of another key than key-marker's.
var versityGWDeviations = map[string]string{
	"Keys":             "keys are file-system paths (no data under a key ending in /)",
	"ListTable":        "keys are file-system paths (\"a\" and \"a/b\" cannot both exist)",
	"ListAgainstModel": "keys are file-system paths (\"a\" and \"a/b\" cannot both exist)",
	"ListUploads":      "versitygw 1.8 answers InvalidArgument to a valid upload-id-marker",
	// Its GET reads the object's metadata and its bytes separately: a GET that races an
	// overwrite can answer one version's ETag (and Hourglass generation) with the other's
	// bytes. The suite catches it in a few runs of ten (also with the SDK's own HTTP client).
	"ReadersDuringOverwrite": "versitygw 1.8 may answer a GET racing an overwrite with one version's metadata and the other's bytes",
}

func newVersityGWStore(t *testing.T, details bool) *s3blob.Store {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	s, err := s3blob.New(context.Background(), s3blob.Options{Endpoint: versityGWEndpoint(t), AccessKey: vgwAccess, SecretKey: vgwSecret,
		PathStyle: true, BucketPrefix: "hg-", ListDetails: details, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// An upstream's refusal that Hourglass has no name for reaches the client as the upstream said it.
func TestVersityGWRefusalsPassOn(t *testing.T) {
	s := newVersityGWStore(t, false)
	ctx := context.Background()
	bucket := fmt.Sprintf("refusals-%d", time.Now().UnixNano()) // the server lives as long as the test binary
	if err := s.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, bucket, "a", strings.NewReader("x"), blob.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, bucket, "a/b", strings.NewReader("x"), blob.PutOptions{Size: 1})
	var re *blob.RefusedError
	if !errors.As(err, &re) || re.Status != http.StatusConflict || re.Code != "ObjectParentIsFile" {
		t.Fatalf("Put a/b under the object a: %v (%#v), want the upstream's 409 ObjectParentIsFile", err, re)
	}
}

func TestConformanceVersityGW(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ~200 MiB (5 MiB parts)")
	}
	conformance(t, newVersityGWStore, func(t *testing.T) {
		if why, ok := versityGWDeviations[t.Name()[strings.LastIndex(t.Name(), "/")+1:]]; ok {
			t.Skip("versitygw deviation: " + why)
		}
	})
}

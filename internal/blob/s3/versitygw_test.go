package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// VersityGWVersion is the Versity S3 Gateway (Apache 2.0, an S3 server over a POSIX file system)
// that .ci/run installs with `go install github.com/versity/versitygw/cmd/versitygw@…`: a third
// S3 implementation for the conformance suite, besides moto and Hourglass itself.
const VersityGWVersion = "v1.8.0"

// vgw is one versitygw for the whole test binary, started on first use.
var vgw struct {
	once     sync.Once
	endpoint string
	err      error
	skip     string
	cmd      *exec.Cmd
	dir      string
	out      bytes.Buffer
}

func stopVersityGW() {
	if vgw.cmd != nil && vgw.cmd.Process != nil {
		vgw.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { vgw.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			vgw.cmd.Process.Kill()
			<-done
		}
	}
	if vgw.dir != "" {
		os.RemoveAll(vgw.dir)
	}
}

const vgwAccess, vgwSecret = "hourglass-test", "hourglass-test-secret-key"

// versityGWEndpoint starts versitygw on a POSIX directory (once) and returns its URL, or skips.
func versityGWEndpoint(t *testing.T) string {
	t.Helper()
	vgw.once.Do(func() {
		path, err := exec.LookPath("versitygw")
		if err != nil {
			vgw.skip = "versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@" + VersityGWVersion + "); .ci/run installs it"
			return
		}
		if vgw.dir, err = os.MkdirTemp("", "hourglass-versitygw-"); err != nil {
			vgw.err = err
			return
		}
		port := freePort(t)
		cmd := exec.Command(path, "--port", "127.0.0.1:"+port, "--access", vgwAccess, "--secret", vgwSecret, "posix", vgw.dir)
		cmd.Stdout, cmd.Stderr = &lockedBuffer{b: &vgw.out}, &lockedBuffer{b: &vgw.out}
		if err := cmd.Start(); err != nil {
			vgw.err = fmt.Errorf("starting versitygw: %w", err)
			return
		}
		vgw.cmd = cmd
		url := "http://127.0.0.1:" + port
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(url + "/")
			if err == nil {
				resp.Body.Close() // any answer (403 without a signature) means it serves
				vgw.endpoint = url
				return
			}
			if time.Now().After(deadline) {
				vgw.err = fmt.Errorf("versitygw did not answer within 30s: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond) // polling a child process's readiness
		}
	})
	if vgw.skip != "" {
		t.Skip(vgw.skip)
	}
	if vgw.err != nil {
		t.Fatalf("%v\n%s", vgw.err, vgw.out.String())
	}
	return vgw.endpoint
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
	if err := s.CreateBucket(ctx, "refusals"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "refusals", "a", strings.NewReader("x"), blob.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "refusals", "a/b", strings.NewReader("x"), blob.PutOptions{Size: 1})
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

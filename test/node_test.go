// Package e2e holds black-box end-to-end tests: they build the hourglass binary, run
// `hourglass serve` as a child process on loopback ports and drive it with real clients (the
// AWS CLI, boto3, aws-sdk-go-v2). They run only with HOURGLASS_E2E=1 (.ci/run sets it).
package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// requireE2E skips unless HOURGLASS_E2E=1.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("HOURGLASS_E2E") != "1" {
		t.Skip("end-to-end test: set HOURGLASS_E2E=1 to run it (it builds the binary and starts child processes)")
	}
}

// binary builds ./cmd/hourglass once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "hourglass-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "hourglass")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hourglass")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// node is a child `hourglass serve`.
type node struct {
	t         *testing.T
	dataDir   string
	addr      string
	adminAddr string
	cmd       *exec.Cmd
	done      chan error
	logs      *lockedBuffer
	admin     *adminapi.Client
	killOnce  sync.Once
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startNode starts `hourglass serve` on dataDir and waits until it prints its banner. The node
// is killed when the test ends unless it was stopped before.
func startNode(t *testing.T, dataDir string, extra ...string) *node {
	t.Helper()
	return startNodeWithToken(t, dataDir, filepath.Join(dataDir, "admin.token"), extra...)
}

// startNodeWithToken is startNode for a node whose admin token lives in tokenFile (cluster
// nodes share one: admin_token_file).
func startNodeWithToken(t *testing.T, dataDir, tokenFile string, extra ...string) *node {
	t.Helper()
	n := &node{t: t, dataDir: dataDir, addr: freeAddr(t), adminAddr: freeAddr(t), done: make(chan error, 1), logs: &lockedBuffer{}}
	args := append([]string{"serve", "--data-dir", dataDir, "--listen", n.addr, "--admin-listen", n.adminAddr, "--log-level", "warn"}, extra...)
	n.cmd = exec.Command(binary(t), args...)
	n.cmd.Env = cleanEnv(nil)
	n.cmd.Stderr = n.logs
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			n.logs.Write([]byte(sc.Text() + "\n"))
			if !signalled && strings.Contains(sc.Text(), "Hourglass is serving") {
				close(ready)
				signalled = true
			}
		}
	}()
	go func() { n.done <- n.cmd.Wait() }()
	select {
	case <-ready:
	case err := <-n.done:
		t.Fatalf("hourglass serve exited before serving: %v\n%s", err, n.logs.String())
	case <-time.After(60 * time.Second):
		n.kill()
		t.Fatalf("hourglass serve not serving after 60s\n%s", n.logs.String())
	}
	t.Cleanup(n.kill)
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	n.admin = &adminapi.Client{BaseURL: "http://" + n.adminAddr, Token: strings.TrimSpace(string(token))}
	return n
}

// kill sends SIGKILL (once) and waits for the process to be gone.
func (n *node) kill() {
	n.killOnce.Do(func() {
		n.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-n.done:
		case <-time.After(30 * time.Second):
			n.t.Errorf("hourglass serve (pid %d) did not die after SIGKILL", n.cmd.Process.Pid)
		}
	})
}

func (n *node) endpoint() string { return "http://" + n.addr }

// cleanEnv is the environment for child processes: no AWS configuration of the developer, no
// proxy, plus extra.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "HOURGLASS_") || strings.HasPrefix(strings.ToUpper(k), "HTTP_PROXY") ||
			strings.HasPrefix(strings.ToUpper(k), "HTTPS_PROXY") || strings.ToUpper(k) == "NO_PROXY" || k == "BOTO_CONFIG" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "AWS_CA_BUNDLE=", "AWS_EC2_METADATA_DISABLED=true", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials",
		"AWS_CONFIG_FILE=/nonexistent/config", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// creds is an access key, static or temporary.
type creds struct {
	ID, Secret, Token string
}

// account creates a service account with a role on the default folder and a static key, and
// waits until the node accepts the key.
func (n *node) account(name, role string) creds {
	n.t.Helper()
	ctx := context.Background()
	var sa adminapi.ServiceAccount
	if err := n.admin.Do(ctx, "POST", "/v1/service-accounts", nil, map[string]string{"name": name}, &sa); err != nil {
		n.t.Fatalf("create SA: %v", err)
	}
	if err := n.admin.Do(ctx, "POST", "/v1/role-bindings", nil, map[string]string{"role": role, "subject": sa.ID, "folder": "default"}, nil); err != nil {
		n.t.Fatalf("grant: %v", err)
	}
	var k adminapi.NewKey
	if err := n.admin.Do(ctx, "POST", "/v1/keys", nil, map[string]string{"service_account": sa.ID}, &k); err != nil {
		n.t.Fatalf("create key: %v", err)
	}
	c := creds{ID: k.AccessKeyID, Secret: k.SecretAccessKey}
	n.waitKey(c)
	return c
}

// waitKey waits until the node's directory knows the key (it follows the store's change log).
func (n *node) waitKey(c creds) {
	n.t.Helper()
	cl := n.s3(c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := cl.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		var ae smithy.APIError
		if err == nil || !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAccessKeyId" {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("key %s not accepted after 10s: %v", c.ID, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// s3 returns an aws-sdk-go-v2 client for the node.
func (n *node) s3(c creds) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(n.endpoint()), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(c.ID, c.Secret, c.Token),
		HTTPClient:       &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}},
		RetryMaxAttempts: 1,
	})
}

// run runs a command with env, failing the test with its output on error.
func run(t *testing.T, env []string, dir string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(env, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(env []string, dir string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

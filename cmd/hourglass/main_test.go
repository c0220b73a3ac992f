package main_test

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary. They are gated by HOURGLASS_E2E (set by .ci/run) so that a
// newcomer's `go test ./...` stays fast.
func buildBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv("HOURGLASS_E2E") == "" {
		t.Skip("set HOURGLASS_E2E=1 to run the binary end-to-end tests (.ci/run does)")
	}
	bin := filepath.Join(t.TempDir(), "hourglass")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func rssKB(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("VmRSS not found")
	return 0
}

func TestServeLifecycle(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	s3Addr, adminAddr := freePort(t), freePort(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen", s3Addr, "--admin-listen", adminAddr)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ready := false
	for time.Since(start) < 20*time.Second {
		resp, err := http.Get("http://" + adminAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ready = true
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ready {
		t.Fatalf("not ready:\n%s\n%s", stdout.String(), stderr.String())
	}
	t.Logf("ready %v after start (budget: under a second)", time.Since(start))

	// A second serve on the same data directory exits with a clear error.
	out, err := exec.Command(bin, "serve", "--data-dir", dir, "--listen", freePort(t), "--admin-listen", freePort(t)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another hourglass process") {
		t.Fatalf("second serve: %v\n%s", err, out)
	}

	// Idle RSS stays under the documented budget.
	time.Sleep(200 * time.Millisecond)
	if kb := rssKB(t, cmd.Process.Pid); kb > 60*1024 {
		t.Fatalf("idle RSS %d KiB exceeds 60 MiB", kb)
	} else {
		t.Logf("idle RSS: %d KiB", kb)
	}

	// The CLI reads the admin token from the data directory.
	cli := exec.Command(bin, "--data-dir", dir, "--admin-url", "http://"+adminAddr, "-o", "json", "sa", "create", "lifecycle")
	if out, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(out), `"id"`) {
		t.Fatalf("cli: %v\n%s", err, out)
	}

	// SIGTERM shuts down cleanly.
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit within 20s of SIGTERM")
	}
	if !strings.Contains(stdout.String(), "Next, in another terminal") {
		t.Fatalf("first-start banner missing:\n%s", stdout.String())
	}
}

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/loadgen"
)

// TestProxyOverhead is a benchmark, not a check: it compares the same client against an upstream
// S3 directly and through a Hourglass node whose object backend is that upstream (blob.type s3),
// in one run (issue 8). The upstream is another Hourglass on the fs backend. Latency of 4 KiB GET
// and PUT is measured with one request in flight (p50: what the proxy adds to a request, not
// queueing), throughput of 4 KiB with 8 and of 64 MiB with 2 in flight. For every run it reports
// the CPU time each process used, so that the proxy's own cost per operation and per GB stands
// apart from the contention of three processes on one machine's cores. It asserts only that no
// request failed; run it with (bench/run does not, as it takes about a minute):
//
//	HOURGLASS_E2E=1 HOURGLASS_BENCH=1 go test ./test -run ProxyOverhead -v
func TestProxyOverhead(t *testing.T) {
	requireE2E(t)
	if os.Getenv("HOURGLASS_BENCH") != "1" {
		t.Skip("benchmark: set HOURGLASS_BENCH=1 to measure the proxy overhead")
	}
	root := t.TempDir()
	upstream := startNode(t, filepath.Join(root, "upstream"))
	up := upstream.account("upstream-proxy", "storage.admin")
	cfgFile := filepath.Join(root, "proxy.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("blob: {type: s3, endpoint: %q, region: us-east-1, access_key: %q, secret_key: %q, path_style: true}\nlog: {level: warn}\n",
		upstream.endpoint(), up.ID, up.Secret)), 0o600)
	proxy := startNode(t, filepath.Join(root, "proxy"), "--config", cfgFile)
	pk := proxy.account("client", "storage.admin")
	ctx := context.Background()
	if err := proxy.admin.Do(ctx, "POST", "/v1/buckets", nil, map[string]string{"name": "bench"}, &adminapi.Bucket{}); err != nil {
		t.Fatal(err)
	}
	type measured struct {
		r                *loadgen.Result
		client, up, prox time.Duration // CPU time used during the measured run
	}
	run := func(endpoint string, k creds, mode loadgen.Mode, size int64, conc int) measured {
		cfg := loadgen.Config{Endpoint: endpoint, Mode: mode, Concurrency: conc, Duration: 500 * time.Millisecond,
			Size: size, Objects: 4, Bucket: "bench", Prefix: fmt.Sprintf("p-%s-%d/", mode, size),
			Credentials: loadgen.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}}
		check := func(r *loadgen.Result, err error) *loadgen.Result {
			if err != nil {
				t.Fatal(err)
			}
			if r.Stats.Errors > 0 || len(r.SetupErrors) > 0 {
				t.Fatalf("%s %s: errors %v %v", endpoint, mode, r.Stats.ErrorCodes, r.SetupErrors)
			}
			return r
		}
		// Objects to read and a warm-up, then the measured run, whose CPU time alone is counted.
		check(loadgen.Run(ctx, cfg))
		cfg.SkipSetup, cfg.Duration = true, 3*time.Second
		c0, u0, p0 := selfCPU(t), processCPU(t, upstream), processCPU(t, proxy)
		r := check(loadgen.Run(ctx, cfg))
		return measured{r, selfCPU(t) - c0, processCPU(t, upstream) - u0, processCPU(t, proxy) - p0}
	}
	perOp := func(d time.Duration, r *loadgen.Result) float64 {
		return float64(d.Microseconds()) / 1000 / float64(r.Stats.Ops)
	}
	layouts := []struct {
		name string
		pin  func()
	}{{"shared cores", func() {}}}
	if runtime.NumCPU() >= 2 {
		// The proxy gets a core of its own, as a separate machine would have; client and upstream
		// share the other in both the direct and the proxied run.
		layouts = append(layouts, struct {
			name string
			pin  func()
		}{"proxy on its own core", func() {
			pin(t, os.Getpid(), 0)
			pin(t, upstream.cmd.Process.Pid, 0)
			pin(t, proxy.cmd.Process.Pid, 1)
		}})
	}
	for _, layout := range layouts {
		layout.pin()
		t.Logf("— %s —", layout.name)
		for _, sc := range []struct {
			name string
			mode loadgen.Mode
			size int64
			conc int
		}{
			{"GET-4KiB-c1", loadgen.ModeGet, 4 << 10, 1}, {"PUT-4KiB-c1", loadgen.ModePut, 4 << 10, 1},
			{"GET-4KiB-c8", loadgen.ModeGet, 4 << 10, 8}, {"PUT-4KiB-c8", loadgen.ModePut, 4 << 10, 8},
			{"GET-64MiB-c2", loadgen.ModeGet, 64 << 20, 2}, {"PUT-64MiB-c2", loadgen.ModePut, 64 << 20, 2},
		} {
			// The proxy's bucket "bench" is "bench" upstream too (no bucket_prefix).
			direct := run(upstream.endpoint(), up, sc.mode, sc.size, sc.conc)
			via := run(proxy.endpoint(), pk, sc.mode, sc.size, sc.conc)
			d, v := direct.r.Stats, via.r.Stats
			t.Logf("%-12s direct %6.0f ops/s %7.1f MB/s p50 %6.2f ms | via Hourglass %6.0f ops/s %7.1f MB/s p50 %6.2f ms | ratio %.2f, p50 overhead %+.2f ms",
				sc.name, d.OpsPerSec, d.MBPerSec, d.Latency.P50, v.OpsPerSec, v.MBPerSec, v.Latency.P50, v.OpsPerSec/d.OpsPerSec, v.Latency.P50-d.Latency.P50)
			t.Logf("%-12s CPU ms/op: direct client %.3f upstream %.3f | via client %.3f proxy %.3f upstream %.3f",
				"", perOp(direct.client, direct.r), perOp(direct.up, direct.r), perOp(via.client, via.r), perOp(via.prox, via.r), perOp(via.up, via.r))
		}
	}
	all := make([]int, runtime.NumCPU())
	for i := range all {
		all[i] = i
	}
	pin(t, os.Getpid(), all...)
}

// pin restricts every thread of process pid to the given CPUs (threads it starts later inherit it).
func pin(t *testing.T, pid int, cpus ...int) {
	t.Helper()
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Skipf("cannot list the threads of %d: %v", pid, err)
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
			t.Fatalf("pinning thread %d of %d to CPUs %v: %v", tid, pid, cpus, err)
		}
	}
}

// processCPU is the CPU time (user + system) n's process has used so far, from /proc.
func processCPU(t *testing.T, n *node) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc to read CPU times from: %v", err)
	}
	// Fields after the command name (which is in parentheses and may hold spaces): utime and
	// stime are the 12th and 13th, in clock ticks of 100 Hz (USER_HZ on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("unreadable /proc/%d/stat: %q", n.cmd.Process.Pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPU is the CPU time this test process (the client) has used so far.
func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/loadgen"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// BenchmarkProxy runs the proxy path in one process, for profiling: a node on the fs backend is
// the upstream of a second node (blob.type s3); the load generator talks to the second. The
// comparison with the upstream served directly is test/proxy_bench_test.go (separate
// processes); this one is for -cpuprofile:
//
//	go test ./internal/app -run '^$' -bench Proxy -benchtime 1x -cpuprofile /tmp/proxy.prof
func BenchmarkProxy(b *testing.B) {
	b.Setenv("AWS_CA_BUNDLE", "")
	ctx := context.Background()
	upCfg := testutil.Config(b)
	upCfg.Log.Level = "error"
	up := testutil.Start(b, upCfg, app.Deps{})
	upKey := benchKey(b, up, "upstream")
	pCfg := testutil.Config(b)
	pCfg.Log.Level = "error"
	pCfg.Blob.Type, pCfg.Blob.Endpoint, pCfg.Blob.AccessKey, pCfg.Blob.SecretKey, pCfg.Blob.PathStyle =
		"s3", up.Endpoint(), upKey.AccessKeyID, upKey.SecretAccessKey, true
	proxy := testutil.Start(b, pCfg, app.Deps{})
	pKey := benchKey(b, proxy, "client")
	admin := &adminapi.Client{BaseURL: proxy.AdminURL(), Token: proxy.App.AdminToken()}
	if err := admin.Do(ctx, "POST", "/v1/buckets", nil, map[string]string{"name": "bench"}, &adminapi.Bucket{}); err != nil {
		b.Fatal(err)
	}
	for _, sc := range []struct {
		name string
		mode loadgen.Mode
		size int64
		conc int
	}{
		{"GET-4KiB-c1", loadgen.ModeGet, 4 << 10, 1}, {"PUT-4KiB-c1", loadgen.ModePut, 4 << 10, 1},
		{"GET-64MiB", loadgen.ModeGet, 64 << 20, 2}, {"PUT-64MiB", loadgen.ModePut, 64 << 20, 2},
	} {
		for _, target := range []struct {
			name     string
			endpoint string
			key      adminapi.NewKey
		}{{"direct", up.Endpoint(), upKey}, {"proxy", proxy.Endpoint(), pKey}} {
			b.Run(sc.name+"/"+target.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					r, err := loadgen.Run(ctx, loadgen.Config{Endpoint: target.endpoint, Mode: sc.mode, Concurrency: sc.conc,
						Duration: 3 * time.Second, Warmup: 300 * time.Millisecond, Size: sc.size, Objects: 4, Bucket: "bench",
						Prefix:      fmt.Sprintf("p-%s-%d/", sc.mode, sc.size),
						Credentials: loadgen.Credentials{AccessKeyID: target.key.AccessKeyID, SecretAccessKey: target.key.SecretAccessKey}})
					if err != nil {
						b.Fatal(err)
					}
					if r.Stats.Errors > 0 || len(r.SetupErrors) > 0 {
						b.Fatalf("errors %v %v", r.Stats.ErrorCodes, r.SetupErrors)
					}
					b.ReportMetric(r.Stats.OpsPerSec, "ops/s")
					b.ReportMetric(r.Stats.MBPerSec, "MB/s")
					b.ReportMetric(r.Stats.Latency.P50, "p50-ms")
				}
			})
		}
	}
}

// benchKey makes a service account with storage.admin on the node's default folder and a static key for it.
func benchKey(b *testing.B, n *testutil.Node, name string) adminapi.NewKey {
	ctx := context.Background()
	admin := &adminapi.Client{BaseURL: n.AdminURL(), Token: n.App.AdminToken()}
	var sa adminapi.ServiceAccount
	if err := admin.Do(ctx, "POST", "/v1/service-accounts", nil, map[string]string{"name": name}, &sa); err != nil {
		b.Fatal(err)
	}
	if err := admin.Do(ctx, "POST", "/v1/role-bindings", nil, map[string]string{"role": "storage.admin", "subject": sa.ID, "folder": "default"}, nil); err != nil {
		b.Fatal(err)
	}
	var key adminapi.NewKey
	if err := admin.Do(ctx, "POST", "/v1/keys", nil, map[string]string{"service_account": sa.ID}, &key); err != nil {
		b.Fatal(err)
	}
	return key
}

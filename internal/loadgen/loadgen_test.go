package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/loadgen"
	"github.com/hourglass-sts/hourglass/internal/nullserver"
)

var static = loadgen.Credentials{AccessKeyID: "AKIDEXAMPLEEXAMPLE01", SecretAccessKey: "secretsecretsecretsecretsecretsecret0000"}

func run(t *testing.T, cfg loadgen.Config) *loadgen.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// recorder wraps a handler and remembers what the load generator sent.
type recorder struct {
	h        http.Handler
	mu       sync.Mutex
	methods  map[string]int
	tokens   map[string]int
	putBytes atomic.Int64
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	op := r.Method
	if r.URL.Path == "/" {
		op = "STS"
	} else if r.URL.Query().Has("list-type") {
		op = "LIST"
	}
	rc.methods[op]++
	rc.tokens[r.Header.Get("X-Amz-Security-Token")]++
	rc.mu.Unlock()
	if r.Method == http.MethodPut {
		r.Body = readCounter{r.Body, &rc.putBytes}
	}
	rc.h.ServeHTTP(w, r)
}

type readCounter struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c readCounter) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestModesAgainstNullServer(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct {
		mode   loadgen.Mode
		assume bool
		want   []string // request kinds the server must have seen
	}{
		{loadgen.ModeAssume, false, []string{"STS"}},
		{loadgen.ModeIdentity, false, []string{"STS"}},
		{loadgen.ModeIdentity, true, []string{"STS"}},
		{loadgen.ModeGet, false, []string{"GET", "PUT"}},
		{loadgen.ModeHead, false, []string{"HEAD"}},
		{loadgen.ModePut, false, []string{"PUT"}},
		{loadgen.ModeList, false, []string{"LIST"}},
		{loadgen.ModeMixed, false, []string{"GET", "HEAD", "PUT", "LIST"}},
		{loadgen.ModeGet, true, []string{"STS", "GET"}},
	} {
		name := string(tc.mode)
		if tc.assume {
			name += "-assume"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // the environment set above stays set until every subtest is done
			rc := &recorder{h: nullserver.Handler(4096), methods: map[string]int{}, tokens: map[string]int{}}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			res := run(t, loadgen.Config{
				Endpoint: srv.URL, Mode: tc.mode, Concurrency: 4, Duration: time.Second, Warmup: 100 * time.Millisecond,
				Size: 4096, Objects: 8, Credentials: static, Assume: tc.assume, CreateBucket: true,
			})
			if res.Ops <= 0 || res.Errors != 0 || len(res.SetupErrors) != 0 {
				t.Fatalf("ops %d errors %d %v setup %v", res.Ops, res.Errors, res.ErrorSamples, res.SetupErrors)
			}
			if res.OpsPerSec <= 0 || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.P999 || res.Latency.P999 > res.Latency.Max {
				t.Errorf("figures inconsistent: %+v", res.Stats)
			}
			if res.Seconds < 0.9 || res.Seconds > 30 {
				t.Errorf("measured %v s, want about 1", res.Seconds)
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			for _, k := range tc.want {
				if rc.methods[k] == 0 {
					t.Errorf("server saw no %s request: %v", k, rc.methods)
				}
			}
			switch tc.mode {
			case loadgen.ModeGet:
				if want := res.Ops * 4096; res.Bytes != want {
					t.Errorf("GET moved %d bytes in %d ops, want %d", res.Bytes, res.Ops, want)
				}
			case loadgen.ModePut:
				if res.Bytes != res.Ops*4096 || rc.putBytes.Load() < res.Bytes {
					t.Errorf("PUT counted %d bytes in %d ops; server read %d", res.Bytes, res.Ops, rc.putBytes.Load())
				}
			case loadgen.ModeMixed:
				if len(res.ByOp) != 4 {
					t.Errorf("mixed by-op figures: %v", res.ByOp)
				}
				var sum int64
				for _, s := range res.ByOp {
					sum += s.Ops
				}
				if sum != res.Ops {
					t.Errorf("by-op ops add up to %d, total %d", sum, res.Ops)
				}
			}
			if tc.assume {
				if res.Credentials != "temporary" || rc.tokens[nullserver.SessionToken] == 0 {
					t.Errorf("--assume: credentials %q; tokens seen %d", res.Credentials, len(rc.tokens))
				}
			} else if res.Credentials != "static" || rc.tokens[""] == 0 || len(rc.tokens) != 1 {
				t.Errorf("static run sent session tokens: %v", len(rc.tokens))
			}
		})
	}
}

func errorHandler(status int, code string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/" && r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>1</RequestId></ErrorResponse>`, code)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>no</Message><RequestId>1</RequestId></Error>`, code)
		}
	})
}

func TestErrorCounting(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct {
		name       string
		status     int
		code       string
		mode       loadgen.Mode
		assume     bool
		wantCode   string
		wantSetup  string
		wantNoLoad bool
	}{
		{"put-403", 403, "AccessDenied", loadgen.ModePut, false, "403 AccessDenied", "", false},
		{"get-500", 500, "InternalError", loadgen.ModeGet, false, "500 InternalError", "PutObject: 500 InternalError", false},
		// A HEAD error has no body: the code is the status text.
		{"head-403", 403, "AccessDenied", loadgen.ModeHead, false, "403 Forbidden", "PutObject: 403 AccessDenied", false},
		{"assume-403", 403, "InvalidClientTokenId", loadgen.ModeAssume, false, "403 InvalidClientTokenId", "", false},
		{"list-501", 501, "NotImplemented", loadgen.ModeList, false, "501 NotImplemented", "PutObject: 501 NotImplemented", false},
		{"assume-first-403", 403, "AccessDenied", loadgen.ModeGet, true, "", "AssumeRole: 403 AccessDenied", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(errorHandler(tc.status, tc.code))
			defer srv.Close()
			res := run(t, loadgen.Config{Endpoint: srv.URL, Mode: tc.mode, Concurrency: 4, Duration: 300 * time.Millisecond, Credentials: static, Assume: tc.assume})
			if res.Ops != 0 {
				t.Errorf("ops %d against a server that only fails", res.Ops)
			}
			if tc.wantSetup != "" && (res.SetupErrors[tc.wantSetup] != 1 || !strings.Contains(res.SetupErrorSamples[tc.wantSetup], "StatusCode: ")) {
				t.Errorf("setup errors %v %v, want %q", res.SetupErrors, res.SetupErrorSamples, tc.wantSetup)
			}
			if tc.wantNoLoad {
				if res.Errors != 0 {
					t.Errorf("load ran after a failed AssumeRole: %v", res.ErrorCodes)
				}
				return
			}
			if res.Errors == 0 || res.ErrorCodes[tc.wantCode] != res.Errors || len(res.ErrorCodes) != 1 {
				t.Errorf("errors %d by code %v, want all %q", res.Errors, res.ErrorCodes, tc.wantCode)
			}
			if !strings.Contains(res.ErrorSamples[tc.wantCode], "StatusCode: "+fmt.Sprint(tc.status)) {
				t.Errorf("sample %q", res.ErrorSamples[tc.wantCode])
			}
			if strings.Contains(fmt.Sprint(res), static.SecretAccessKey) {
				t.Error("the secret appears in the result")
			}
		})
	}
}

func TestUnreachableEndpointStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	res := run(t, loadgen.Config{Endpoint: "http://" + addr, Mode: loadgen.ModeHead, Concurrency: 2, Duration: 200 * time.Millisecond, SkipSetup: true})
	if res.Ops != 0 || res.ErrorCodes["connection"] == 0 {
		t.Errorf("ops %d errors %v, want connection errors", res.Ops, res.ErrorCodes)
	}
}

func TestHangingServerBoundedByRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	res := run(t, loadgen.Config{Endpoint: srv.URL, Mode: loadgen.ModeHead, Concurrency: 2, Duration: 100 * time.Millisecond,
		SkipSetup: true, RequestTimeout: 300 * time.Millisecond})
	if res.Ops != 0 || res.ErrorCodes["timeout"] != 2 {
		t.Errorf("ops %d errors %v, want one timeout per worker", res.Ops, res.ErrorCodes)
	}
}

// fakeClock advances 1 ms on every reading, so every request "takes" exactly 1 ms.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) Now() time.Time {
	return time.Unix(1700000000, 0).Add(time.Duration(c.ms.Add(1)-1) * time.Millisecond)
}

func TestWarmupExcludedAndLatencyRecorded(t *testing.T) {
	srv := httptest.NewServer(nullserver.Handler(10))
	defer srv.Close()
	clk := &fakeClock{}
	res := run(t, loadgen.Config{Endpoint: srv.URL, Mode: loadgen.ModeHead, Concurrency: 1, Warmup: 100 * time.Millisecond,
		Duration: 100 * time.Millisecond, Credentials: static, Now: clk.Now})
	// Readings: start=0; each request reads t0 (odd ms) and its end. Requests starting at
	// 101, 103, …, 199 ms are measured: 50 of them, each 1 ms; the end is read at 202 ms.
	if res.Ops != 50 || res.Latency.P50 != 1 || res.Latency.P999 != 1 || res.Latency.Max != 1 {
		t.Errorf("ops %d latency %+v, want 50 ops of 1 ms", res.Ops, res.Latency)
	}
	if res.Seconds != 0.102 {
		t.Errorf("measured %v s, want 0.102", res.Seconds)
	}
}

func TestJSONOutputParses(t *testing.T) {
	srv := httptest.NewServer(nullserver.Handler(100))
	defer srv.Close()
	res := run(t, loadgen.Config{Endpoint: srv.URL, Mode: loadgen.ModeMixed, Concurrency: 2, Duration: 200 * time.Millisecond,
		Size: 100, Credentials: static, Target: "null", Round: 2, Scenario: "mixed"})
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"mode", "endpoint", "concurrency", "ops", "ops_per_sec", "mb_per_sec", "latency", "errors", "by_op", "target", "round"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, buf.String())
		}
	}
	lat, _ := generic["latency"].(map[string]any)
	for _, k := range []string{"p50_ms", "p99_ms", "p999_ms"} {
		if _, ok := lat[k].(float64); !ok {
			t.Errorf("latency has no %q", k)
		}
	}
	back, err := loadgen.ReadResults(io.MultiReader(bytes.NewReader(buf.Bytes()), bytes.NewReader(buf.Bytes())))
	if err != nil || len(back) != 2 || back[1].Ops != res.Ops || back[1].Latency != res.Latency || back[1].Target != "null" {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	if _, err := loadgen.ReadResults(strings.NewReader(`{"ops": 1} {"ops": `)); err == nil {
		t.Error("truncated JSON read without error")
	}
	var text bytes.Buffer
	res.WriteText(&text)
	for _, want := range []string{"ops/s", "p99.9", "GetObject:\n  ops", "errors    0"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []loadgen.Config{
		{Mode: loadgen.ModeGet},
		{Endpoint: "ftp://127.0.0.1", Mode: loadgen.ModeGet},
		{Endpoint: "http://127.0.0.1:1", Mode: "delete"},
		{Endpoint: "http://127.0.0.1:1", Mode: loadgen.ModeGet, Concurrency: -1},
		{Endpoint: "http://127.0.0.1:1", Mode: loadgen.ModeAssume},
		{Endpoint: "http://127.0.0.1:1", Mode: loadgen.ModeGet, Credentials: loadgen.Credentials{AccessKeyID: "x"}},
		{Endpoint: "http://127.0.0.1:1", Mode: loadgen.ModeGet, Size: 6 << 30},
	} {
		if _, err := loadgen.Run(context.Background(), cfg); !errors.Is(err, loadgen.ErrBadConfig) {
			t.Errorf("%+v: error %v, want ErrBadConfig", cfg, err)
		}
	}
	if s := static.String(); strings.Contains(s, static.SecretAccessKey) {
		t.Errorf("Credentials.String shows the secret: %s", s)
	}
}

func TestCancelledContextStopsAtOnce(t *testing.T) {
	srv := httptest.NewServer(nullserver.Handler(10))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := loadgen.Run(ctx, loadgen.Config{Endpoint: srv.URL, Mode: loadgen.ModeGet, Duration: time.Hour, Credentials: static})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 0 || res.SetupErrors["PutObject: canceled"] != 1 {
		t.Errorf("ops %d setup %v", res.Ops, res.SetupErrors)
	}
}

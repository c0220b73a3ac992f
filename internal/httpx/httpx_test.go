package httpx_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hourglass-sts/hourglass/internal/httpx"
)

func TestWrap(t *testing.T) {
	var logBuf bytes.Buffer
	reg := prometheus.NewRegistry()
	m := httpx.NewMetrics(reg)
	h := httpx.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := httpx.FromContext(r.Context())
		info.Op, info.Principal, info.Bucket = "GetObject", "arn:aws:iam::f:user/sa", "b"
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/file":
			io.Copy(w, strings.NewReader(strings.Repeat("x", 1000))) // goes through ReadFrom
		default:
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("hi"))
		}
	}), httpx.Options{Surface: "s3", Logger: slog.New(slog.NewTextHandler(&logBuf, nil)), Metrics: m,
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			w.Write([]byte("<Error>InternalError</Error>"))
		}})
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || string(body) != "<Error>InternalError</Error>" || len(resp.Header.Get("x-amz-request-id")) != 16 {
		t.Fatalf("panic answer: %d %q %q", resp.StatusCode, body, resp.Header.Get("x-amz-request-id"))
	}
	resp, _ = http.Get(srv.URL + "/file")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) != 1000 {
		t.Fatalf("file body %d bytes", len(body))
	}
	resp, _ = http.Get(srv.URL + "/x")
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Fatalf("status %d", resp.StatusCode)
	}
	logs := logBuf.String()
	for _, want := range []string{"panic serving request", "status=500", "bytes=1000", "status=418", "op=GetObject", "bucket=b", "principal="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		if mf.GetName() == "hourglass_requests_total" {
			series = len(mf.GetMetric())
		}
	}
	if series != 3 {
		t.Fatalf("request series = %d, want 3 (500, 200, 418)", series)
	}
	ids := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := httpx.NewRequestID()
		if ids[id] || len(id) != 16 || strings.ToUpper(id) != id {
			t.Fatalf("bad or duplicate request id %q", id)
		}
		ids[id] = true
	}
}

package sts

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hourglass-sts/hourglass/internal/httpx"
)

// End-to-end benchmarks over loopback HTTP. Each signs one request up front and replays it
// (SigV4 allows that within the 15-minute window), so client-side signing is not measured;
// the client and the server share the machine. Run the three together to compare them:
//
//	go test ./internal/sts -run '^$' -bench 'HTTP$' -benchtime 5s
//
// req/s is the throughput (ns/op is the same figure inverted); cpu-µs/req is the process's CPU
// time per request, steadier when other work shares the machine.

// replay sends the same signed request b.N times from parallel clients and reports req/s.
func replay(b *testing.B, proto *http.Request, body []byte) {
	b.Helper()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url, hdr := proto.URL.String(), proto.Header
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(proto.Method, url, bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header = hdr
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	// CPU time of the whole process (server and client) per request: on a shared machine
	// it varies far less than req/s, so it is the fairer basis for comparing handlers.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/req")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchStack(b *testing.B) *stack {
	return newStack(b, stackOptions{auditSink: io.Discard})
}

func BenchmarkAssumeRoleHTTP(b *testing.B) {
	s := benchStack(b)
	for _, bc := range []struct{ name, body string }{
		{"no-policy", form("DurationSeconds", "3600")},
		{"policy", form("DurationSeconds", "3600", "Policy", smallPolicy)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			replay(b, s.signed(http.MethodPost, "", bc.body, s.creds(), time.Now()), []byte(bc.body))
		})
	}
}

func BenchmarkGetCallerIdentityHTTP(b *testing.B) {
	s := benchStack(b)
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	tmp := s.assume(s.creds(), "bench")
	for _, bc := range []struct {
		name string
		c    aws.Credentials
	}{{"static", s.creds()}, {"temporary", tmp}} {
		b.Run(bc.name, func(b *testing.B) {
			replay(b, s.signed(http.MethodPost, "", body, bc.c, time.Now()), []byte(body))
		})
	}
}

// BenchmarkNoopHTTP is the floor: the same request, the same middleware, a handler that
// reads the body and answers a fixed document.
func BenchmarkNoopHTTP(b *testing.B) {
	s := benchStack(b)
	answer := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<NoopResponse xmlns="` + Namespace + `"><NoopResult/></NoopResponse>`)
	noop := httptest.NewServer(httpx.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(answer)
	}), httpx.Options{Surface: "sts", Logger: slog.New(slog.DiscardHandler)}))
	defer noop.Close()
	body := form("DurationSeconds", "3600")
	req := s.signed(http.MethodPost, "", body, s.creds(), time.Now())
	req.URL.Host = noop.Listener.Addr().String()
	replay(b, req, []byte(body))
}

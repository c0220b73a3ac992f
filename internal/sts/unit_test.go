package sts

import (
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/httpx"
)

func TestLimiterRefills(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(10, 3, func() time.Time { return now })
	for i := range 3 {
		if !l.allow("k") {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if l.allow("k") {
		t.Fatal("fourth token within the same instant allowed")
	}
	if !l.allow("other") {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(100 * time.Millisecond) // one token at 10/s
	if !l.allow("k") || l.allow("k") {
		t.Fatal("refill is not one token per 100 ms")
	}
	now = now.Add(time.Hour) // refills only up to the burst
	for range 3 {
		l.allow("k")
	}
	if l.allow("k") {
		t.Fatal("bucket grew beyond its burst")
	}
	// Idle, full buckets are swept once there are many.
	for i := range limiterSweepAt + 10 {
		now = now.Add(time.Second)
		l.allow(strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(l.buckets) > limiterSweepAt {
		t.Errorf("%d buckets kept", len(l.buckets))
	}
}

func TestSourceIP(t *testing.T) {
	h := &Handler{o: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"127.0.0.1:5000", "203.0.113.9", "127.0.0.1"},                // untrusted peer: its header is ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},               // trusted proxy
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"}, // right-most untrusted hop
		{"10.1.2.3:5000", "203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"[::1]:5000", "garbage", "::1"},
		{"[::ffff:127.0.0.1]:1", "", "127.0.0.1"},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := h.sourceIP(r); got != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestXMLEscaping(t *testing.T) {
	var b xmlBuf
	b.elem("M", "a<b>&\"'\r\n\t\x00\x1f\xff ok ✓")
	var v struct {
		M string `xml:"M"`
	}
	if err := xml.Unmarshal([]byte("<R>"+string(b)+"</R>"), &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if want := "a<b>&\"'\r\n\t\uFFFD\uFFFD\uFFFD ok ✓"; v.M != want {
		t.Errorf("round trip %q, want %q", v.M, want)
	}
}

// Every refusal is logged with its reason by the access log, and no secret goes with it.
func TestFailureReasonLogged(t *testing.T) {
	s := newStack(t, stackOptions{})
	logs := &syncBuffer{}
	srv := httptest.NewServer(httpx.Wrap(s.handler, httpx.Options{Surface: "sts", Logger: slog.New(slog.NewJSONHandler(logs, nil))}))
	defer srv.Close()
	c := s.creds()
	c.SecretAccessKey = strings.Repeat("z", 40)
	req := s.signed(http.MethodPost, "", "Action=GetCallerIdentity&Version=2011-06-15", c, time.Now())
	req.URL.Host = srv.Listener.Addr().String()
	req.Host = ""
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	line := logs.String()
	if !strings.Contains(line, `"reason":"sts: SignatureDoesNotMatch`) || strings.Contains(line, s.key.Secret) || strings.Contains(line, c.SecretAccessKey) {
		t.Errorf("access log: %s", line)
	}
}

package sts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// stack is a real Hourglass STS node in the test process: SQLite store in a temporary
// directory, master key, IAM with its directory kept fresh by Run, the session service, the
// authenticator and the Handler on a loopback HTTP server.
type stack struct {
	tb       testing.TB
	ctx      context.Context
	dir      string
	store    meta.Store
	master   *masterkey.Key
	iam      *iam.Service
	d        *iam.Directory
	sessions *session.Service
	handler  *Handler
	srv      *httptest.Server
	audit    *syncBuffer

	// The fixture: service account "alice" in the default folder with one static key.
	sa  meta.ServiceAccount
	key iam.NewKey
}

type stackOptions struct {
	rateLimit   float64
	rateBurst   int
	maxDuration time.Duration
	// auditSink replaces the in-memory audit buffer (a failing writer, io.Discard).
	auditSink io.Writer
}

// syncBuffer is a goroutine-safe bytes.Buffer for the audit sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newStack(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	s := &stack{tb: tb, ctx: ctx, dir: tb.TempDir(), audit: &syncBuffer{}}
	st, err := sqlite.Open(ctx, filepath.Join(s.dir, "hourglass.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	s.store = st
	if s.master, err = masterkey.Create(filepath.Join(s.dir, "master.key")); err != nil {
		tb.Fatal(err)
	}
	s.iam = iam.New(iam.Options{Store: st, Master: s.master})
	if err := s.iam.Bootstrap(ctx); err != nil {
		tb.Fatal(err)
	}
	if s.sa, err = s.iam.CreateSA(ctx, "alice", "", "test account"); err != nil {
		tb.Fatal(err)
	}
	if s.key, err = s.iam.CreateKey(ctx, s.sa.ID, "", ""); err != nil {
		tb.Fatal(err)
	}
	s.node(o)
	return s
}

// node starts the per-node parts (directory, sessions, handler, server) on s's store.
func (s *stack) node(o stackOptions) {
	tb, ctx := s.tb, s.ctx
	var err error
	if s.d, err = iam.NewDirectory(ctx, s.iam, iam.DirectoryOptions{Poll: 20 * time.Millisecond}); err != nil {
		tb.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.d.Run(runCtx); close(done) }()
	tb.Cleanup(func() { stop(); <-done })
	if s.sessions, err = session.New(ctx, session.Options{Store: s.store, Master: s.master, Dir: s.d}); err != nil {
		tb.Fatal(err)
	}
	verifier, err := sigv4.NewVerifier(sigv4.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	sink := o.auditSink
	if sink == nil {
		sink = s.audit
	}
	s.handler, err = New(Options{
		Auth:     &authn.Authenticator{Keys: s.d, Sessions: s.sessions, Verifier: verifier},
		Sessions: s.sessions, Dir: s.d, Audit: audit.NewWriter(sink, nil),
		MaxDuration: o.maxDuration, RateLimit: o.rateLimit, RateBurst: o.rateBurst,
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.srv = httptest.NewServer(httpx.Wrap(s.handler, httpx.Options{Surface: "sts", OnPanic: OnPanic, Logger: slog.New(slog.DiscardHandler)}))
	tb.Cleanup(s.srv.Close)
}

// eventually waits (bounded) until cond holds: the directory replays store changes in the
// background.
func (s *stack) eventually(what string, cond func() bool) {
	s.tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// client is an aws-sdk-go-v2 STS client for the test server, without retries.
func (s *stack) client(ak, sk, token string) *awssts.Client {
	if t, ok := s.tb.(*testing.T); ok {
		t.Setenv("AWS_CA_BUNDLE", "")
	}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, token),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return awssts.NewFromConfig(cfg, func(o *awssts.Options) { o.BaseEndpoint = aws.String(s.srv.URL) })
}

func (s *stack) static() *awssts.Client { return s.client(s.key.Key.ID, s.key.Secret, "") }

// creds are the fixture's static credentials for hand-signed requests.
func (s *stack) creds() aws.Credentials {
	return aws.Credentials{AccessKeyID: s.key.Key.ID, SecretAccessKey: s.key.Secret}
}

// signed builds a SigV4-signed request (service sts) with the given query and form body.
func (s *stack) signed(method, query, body string, c aws.Credentials, at time.Time) *http.Request {
	s.tb.Helper()
	return s.signedWith(method, query, body, c, at, nil)
}

// signedWith is signed with a change to the request before it is signed.
func (s *stack) signedWith(method, query, body string, c aws.Credentials, at time.Time, mutate func(*http.Request)) *http.Request {
	s.tb.Helper()
	u := s.srv.URL + "/"
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if mutate != nil {
		mutate(req)
	}
	sum := sha256.Sum256([]byte(body))
	if err := (v4.NewSigner()).SignHTTP(context.Background(), c, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", at); err != nil {
		s.tb.Fatal(err)
	}
	return req
}

// stsError is the STS error envelope.
type stsError struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// do sends req and returns the status and body.
func (s *stack) do(req *http.Request) (int, []byte, http.Header) {
	s.tb.Helper()
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.tb.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// expectError sends req and checks the STS error it gets.
func (s *stack) expectError(req *http.Request, status int, code, msgPart string) stsError {
	s.tb.Helper()
	st, body, hdr := s.do(req)
	var e stsError
	if err := xml.Unmarshal(body, &e); err != nil {
		s.tb.Fatalf("not an STS error envelope (%d): %v\n%s", st, err, body)
	}
	if st != status || e.Error.Code != code || !strings.Contains(e.Error.Message, msgPart) {
		s.tb.Fatalf("got %d %s %q, want %d %s containing %q", st, e.Error.Code, e.Error.Message, status, code, msgPart)
	}
	if e.RequestID == "" || e.RequestID != hdr.Get("x-amzn-RequestId") {
		s.tb.Fatalf("RequestId %q, header %q", e.RequestID, hdr.Get("x-amzn-RequestId"))
	}
	wantType := "Sender"
	if status >= 500 {
		wantType = "Receiver"
	}
	if e.Error.Type != wantType {
		s.tb.Fatalf("Type %q, want %q", e.Error.Type, wantType)
	}
	return e
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

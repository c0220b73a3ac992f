package sts

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/meta"
)

// assume returns fresh temporary credentials of the static key c.
func (s *stack) assume(c aws.Credentials, name string) aws.Credentials {
	s.tb.Helper()
	out, err := s.client(c.AccessKeyID, c.SecretAccessKey, "").AssumeRole(context.Background(),
		&awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String(name)})
	if err != nil {
		s.tb.Fatal(err)
	}
	k := out.Credentials
	return aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey, SessionToken: *k.SessionToken}
}

// whoami calls GetCallerIdentity with c and returns the session ID, or the error code.
func (s *stack) whoami(c aws.Credentials) (sessionID, code string) {
	s.tb.Helper()
	st, body, _ := s.do(s.signed(http.MethodGet, "Action=GetCallerIdentity&Version=2011-06-15", "", c, time.Now()))
	if st != 200 {
		var e stsError
		xml.Unmarshal(body, &e)
		return "", e.Error.Code
	}
	var out struct {
		Result struct{ SessionId string } `xml:"GetCallerIdentityResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		s.tb.Fatal(err)
	}
	return out.Result.SessionId, ""
}

func TestAdminRoutes(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	events := &syncBuffer{}
	srv := httptest.NewServer(httpx.Wrap(adminapi.NewServer(s.iam, "admin-token", slog.New(slog.DiscardHandler), audit.NewWriter(events, nil),
		AdminExtension(s.sessions, s.iam, audit.NewWriter(events, nil))), httpx.Options{Surface: "admin"}))
	t.Cleanup(srv.Close)
	admin := &adminapi.Client{BaseURL: srv.URL, Token: "admin-token"}

	var keys []TokenKey
	if err := admin.Do(ctx, http.MethodGet, "/v1/token-keys", nil, nil, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != 1 || keys[0].State != "active" {
		t.Fatalf("keyring %+v", keys)
	}
	var rot RotateResult
	if err := admin.Do(ctx, http.MethodPost, "/v1/token-keys/rotate", nil, nil, &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Added == nil || rot.Added.ID != 2 || rot.Added.State != "pending" || len(rot.Keys) != 2 {
		t.Fatalf("rotation %+v", rot)
	}
	var rot2 RotateResult
	if err := admin.Do(ctx, http.MethodPost, "/v1/token-keys/rotate", nil, nil, &rot2); err != nil || rot2.Added != nil || len(rot2.Keys) != 2 {
		t.Fatalf("second rotation while a key is pending: %v %+v", err, rot2)
	}

	revoke := func(req RevokeRequest) (meta.Revocation, error) {
		var out meta.Revocation
		err := admin.Do(ctx, http.MethodPost, "/v1/sessions/revoke", nil, req, &out)
		return out, err
	}
	refused := func(what string, c aws.Credentials) {
		t.Helper()
		s.eventually(what, func() bool { _, code := s.whoami(c); return code == "InvalidClientTokenId" })
	}

	t.Run("session", func(t *testing.T) {
		a, b := s.assume(s.creds(), "one"), s.assume(s.creds(), "two")
		sid, code := s.whoami(a)
		if sid == "" {
			t.Fatalf("no session ID (%s)", code)
		}
		rev, err := revoke(RevokeRequest{SessionID: sid})
		if err != nil || rev.Kind != meta.RevokeSession || rev.Target != sid {
			t.Fatalf("%v %+v", err, rev)
		}
		refused("revoked session", a)
		if _, code := s.whoami(b); code != "" {
			t.Errorf("another session of the key: %s", code)
		}
	})
	t.Run("key", func(t *testing.T) {
		a := s.assume(s.creds(), "kk")
		if _, err := revoke(RevokeRequest{Key: s.key.Key.ID}); err != nil {
			t.Fatal(err)
		}
		refused("sessions of a revoked key", a)
	})
	t.Run("service account by name", func(t *testing.T) {
		bob, err := s.iam.CreateSA(ctx, "bob", "", "")
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.iam.CreateKey(ctx, bob.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		s.eventually("bob's key", func() bool { _, ok := s.d.Key(k.Key.ID); return ok })
		a := s.assume(aws.Credentials{AccessKeyID: k.Key.ID, SecretAccessKey: k.Secret}, "bb")
		if _, code := s.whoami(a); code != "" {
			t.Fatalf("before revocation: %s", code)
		}
		// RFC 3339 carries whole seconds: name a moment after the session was issued.
		rev, err := revoke(RevokeRequest{SA: "bob", Before: time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)})
		if err != nil || rev.Kind != meta.RevokeSA || rev.Target != bob.ID {
			t.Fatalf("%v %+v", err, rev)
		}
		refused("sessions of a revoked SA", a)
	})
	for _, tc := range []struct {
		name   string
		req    RevokeRequest
		status int
	}{
		{"nothing", RevokeRequest{}, 400},
		{"two targets", RevokeRequest{SessionID: strings.Repeat("a", 32), Key: s.key.Key.ID}, 400},
		{"bad session id", RevokeRequest{SessionID: "nope"}, 400},
		{"before with session", RevokeRequest{SessionID: strings.Repeat("a", 32), Before: "2025-01-01T00:00:00Z"}, 400},
		{"bad before", RevokeRequest{Key: s.key.Key.ID, Before: "yesterday"}, 400},
		{"future before", RevokeRequest{Key: s.key.Key.ID, Before: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 400},
		{"folder without sa", RevokeRequest{Key: s.key.Key.ID, Folder: "default"}, 400},
		{"unknown key", RevokeRequest{Key: "HGKNOSUCHKEYNOSUCHKE"}, 404},
		{"unknown sa", RevokeRequest{SA: "nobody"}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := revoke(tc.req)
			var ae *adminapi.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status {
				t.Errorf("got %v, want status %d", err, tc.status)
			}
		})
	}
	if n := strings.Count(events.String(), `"event":"RevokeSessions"`); n != 3 || !strings.Contains(events.String(), `"target":"sa:`+s.sa.ID) && !strings.Contains(events.String(), `"target":"key:`+s.key.Key.ID) {
		t.Errorf("%d RevokeSessions audit events, want 3:\n%s", n, events.String())
	}
}

func TestIsSTSRequest(t *testing.T) {
	stsAuth := "AWS4-HMAC-SHA256 Credential=HGKAAAAAAAAAAAAAAAAA/20250101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	s3Auth := strings.Replace(stsAuth, "/sts/", "/s3/", 1)
	for _, tc := range []struct {
		name, method, target, auth, ctype string
		want                              bool
	}{
		{"sts header", "POST", "/", stsAuth, "application/x-www-form-urlencoded", true},
		{"sts header any path", "GET", "/bucket?x=1", stsAuth, "", true},
		{"s3 header at root", "GET", "/", s3Auth, "", false},
		{"s3 header with Action", "GET", "/?Action=AssumeRole", s3Auth, "", false},
		{"s3 header form post", "POST", "/", s3Auth, "application/x-www-form-urlencoded", false},
		{"sigv2", "GET", "/", "AWS HGK:sig", "", false},
		{"presigned sts", "GET", "/?Action=GetCallerIdentity&X-Amz-Credential=HGK%2F20250101%2Fus-east-1%2Fsts%2Faws4_request", "", "", true},
		{"presigned s3", "GET", "/b/k?X-Amz-Credential=HGK%2F20250101%2Fus-east-1%2Fs3%2Faws4_request", "", "", false},
		{"anonymous action query", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", "", true},
		{"anonymous unknown action", "GET", "/?Action=ListThings", "", "", false},
		{"anonymous action on bucket path", "GET", "/bucket?Action=AssumeRole", "", "", false},
		{"anonymous form post at root", "POST", "/", "", "application/x-www-form-urlencoded; charset=utf-8", true},
		{"anonymous multipart upload", "POST", "/", "", "multipart/form-data; boundary=x", false},
		{"anonymous form post to bucket", "POST", "/bucket", "", "application/x-www-form-urlencoded", false},
		{"anonymous list buckets", "GET", "/", "", "", false},
		{"anonymous object", "GET", "/b/k", "", "", false},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if tc.ctype != "" {
			r.Header.Set("Content-Type", tc.ctype)
		}
		if got := IsSTSRequest(r); got != tc.want {
			t.Errorf("%s: IsSTSRequest = %v, want %v", tc.name, got, tc.want)
		}
	}
}

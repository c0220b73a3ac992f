package s3api

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// The signing-key derivation is SigV4's: AWS General Reference, "Examples of how to derive a
// signing key for Signature Version 4" (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// 20150830, us-east-1, iam).
func TestPostSigningKeyVector(t *testing.T) {
	k := postSigningKey([]byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "20150830", "us-east-1", "iam")
	if got, want := hex.EncodeToString(k), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"; got != want {
		t.Fatalf("signing key %s, want %s", got, want)
	}
}

func policyB64(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }

func TestPostPolicyConditions(t *testing.T) {
	form := func(kv ...string) *postForm {
		f := &postForm{fields: map[string]string{}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.fields[kv[i]] = kv[i+1]
			f.order = append(f.order, kv[i])
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		conds  string
		form   *postForm
		key    string
		code   string
		msg    string
		lo, hi int64
	}{
		{"exact and prefix", `[{"bucket":"b"},["starts-with","$key","user/"],{"acl":"private"}]`, form("key", "x", "acl", "private"), "user/a", "", "", -1, -1},
		{"eq array form, field names ignore case", `[["eq","$Content-Type","image/png"],["starts-with","$KEY",""]]`, form("content-type", "image/png", "key", "k"), "k", "", "", -1, -1},
		{"bucket mismatch", `[{"bucket":"other"},["starts-with","$key",""]]`, form("key", "k"), "k", "AccessDenied", `Policy Condition failed: ["eq", "$bucket", "other"]`, 0, 0},
		{"key prefix", `[["starts-with","$key","user/"]]`, form("key", "k"), "admin/x", "AccessDenied", `Policy Condition failed: ["starts-with", "$key", "user/"]`, 0, 0},
		{"extra field", `[["starts-with","$key",""]]`, form("key", "k", "x-amz-meta-a", "1"), "k", "AccessDenied", "Extra input fields: x-amz-meta-a", 0, 0},
		{"exempt fields", `[["starts-with","$key",""]]`, form("key", "k", "x-amz-signature", "s", "policy", "p", "x-ignore-me", "1"), "k", "", "", -1, -1},
		{"missing field is empty", `[{"x-amz-meta-a":"1"},["starts-with","$key",""]]`, form("key", "k"), "k", "AccessDenied", `["eq", "$x-amz-meta-a", "1"]`, 0, 0},
		{"content-type list", `[["starts-with","$content-type","image/"],["starts-with","$key",""]]`, form("key", "k", "content-type", "image/png, text/plain"), "k", "AccessDenied", "", 0, 0},
		{"content-type list ok", `[["starts-with","$content-type","image/"],["starts-with","$key",""]]`, form("key", "k", "content-type", "image/png,image/gif"), "k", "", "", -1, -1},
		{"length range", `[["content-length-range", 10, 100],["starts-with","$key",""]]`, form("key", "k"), "k", "", "", 10, 100},
		{"length range as strings", `[["content-length-range", "1", "2"],["starts-with","$key",""]]`, form("key", "k"), "k", "", "", 1, 2},
		{"success status", `[{"success_action_status":"201"},["starts-with","$key",""]]`, form("key", "k", "success_action_status", "201"), "k", "", "", -1, -1},
	} {
		p, err := parsePostPolicy(policyB64(`{"expiration":"2030-01-01T00:00:00.000Z","conditions":` + tc.conds + `}`))
		if err != nil {
			t.Errorf("%s: parse: %v", tc.name, err)
			continue
		}
		lo, hi, err := p.check(tc.form, "b", tc.key)
		e := s3err.As(err)
		if err == nil {
			e = nil
		}
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.code != "" && (e == nil || e.Code != tc.code || !strings.Contains(e.Message, tc.msg)):
			t.Errorf("%s: %v, want %s containing %q", tc.name, err, tc.code, tc.msg)
		case tc.code == "" && (lo != tc.lo || hi != tc.hi):
			t.Errorf("%s: range %d-%d, want %d-%d", tc.name, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestPostPolicyParseErrors(t *testing.T) {
	for _, doc := range []string{
		`not json`,
		`{"conditions":[]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z"}`,
		`{"expiration":"tomorrow","conditions":[]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["eq","key","x"]]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["matches","$key","x"]]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["content-length-range",10,1]]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["content-length-range",-1,1]]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["eq","$key"]]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"key":["x"]}]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{}]}`,
		`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[42]}`,
	} {
		_, err := parsePostPolicy(policyB64(doc))
		if e := s3err.As(err); err == nil || e.Code != "InvalidPolicyDocument" {
			t.Errorf("%s: %v, want InvalidPolicyDocument", doc, err)
		}
	}
	if _, err := parsePostPolicy("%%%"); s3err.As(err).Code != "InvalidPolicyDocument" {
		t.Errorf("bad base64: %v", err)
	}
	p, err := parsePostPolicy(policyB64(`{"expiration":"2030-01-01T12:00:00Z","conditions":[]}`))
	if err != nil || !p.expiration.Equal(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("expiration without fraction: %v %v", p, err)
	}
}

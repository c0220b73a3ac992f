package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
)

const (
	testRoleArn = "arn:yc:iam::folder:role/reader-of-things"
	smallPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}]}`
)

func apiCode(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// maxPolicy returns a valid session policy of exactly n characters that compresses badly
// (random bucket names), so that it cannot travel inline.
func maxPolicy(t testing.TB, n int) string {
	head := `{"Version":"2012-10-17","Statement":[{"Sid":"`
	mid := `","Effect":"Allow","Action":["s3:GetObject"],"Resource":[`
	tail := `]}]}`
	var res []string
	size := func() int { return len(head) + len(mid) + len(tail) + len(strings.Join(res, ",")) }
	for size() < n-80 {
		b := make([]byte, 16)
		rand.Read(b)
		res = append(res, `"arn:aws:s3:::b`+hex.EncodeToString(b)+`/*"`)
	}
	pad := n - size()
	if pad < 1 {
		t.Fatalf("policy generator overshot by %d", -pad)
	}
	doc := head + strings.Repeat("S", pad) + mid + strings.Join(res, ",") + tail
	if len(doc) != n {
		t.Fatalf("policy has %d characters, want %d", len(doc), n)
	}
	return doc
}

func TestSDKAssumeRole(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		policy string
	}{{"no-policy", ""}, {"small-policy", smallPolicy}, {"max-policy", maxPolicy(t, sessiontoken.MaxPolicyChars)}} {
		t.Run(tc.name, func(t *testing.T) {
			in := &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("build-42"), DurationSeconds: aws.Int32(3600)}
			if tc.policy != "" {
				in.Policy = aws.String(tc.policy)
			}
			before := time.Now().UTC().Truncate(time.Second)
			out, err := s.static().AssumeRole(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			if *c.AccessKeyId != s.key.Key.ID {
				t.Errorf("AccessKeyId %s, want the static key's %s", *c.AccessKeyId, s.key.Key.ID)
			}
			if len(*c.SecretAccessKey) != 40 || *c.SecretAccessKey == s.key.Secret {
				t.Errorf("bad temporary secret (%d characters)", len(*c.SecretAccessKey))
			}
			if n := len(*c.SessionToken); n == 0 || n > sessiontoken.MaxTokenLen {
				t.Errorf("token of %d characters", n)
			}
			if exp := c.Expiration.UTC(); exp.Before(before.Add(time.Hour)) || exp.After(before.Add(time.Hour+5*time.Second)) {
				t.Errorf("Expiration %s, want about %s", exp, before.Add(time.Hour))
			}
			if got, want := *out.AssumedRoleUser.Arn, testRoleArn+"/build-42"; got != want {
				t.Errorf("AssumedRoleUser.Arn %s, want %s", got, want)
			}
			if got, want := *out.AssumedRoleUser.AssumedRoleId, s.key.Key.ID+":build-42"; got != want {
				t.Errorf("AssumedRoleId %s, want %s", got, want)
			}
			if (out.PackedPolicySize != nil) != (tc.policy != "") {
				t.Errorf("PackedPolicySize %v with policy %v", out.PackedPolicySize, tc.policy != "")
			}
			if tc.policy != "" && tc.name == "max-policy" && *out.PackedPolicySize != 100 {
				t.Errorf("PackedPolicySize %d for a maximal policy", *out.PackedPolicySize)
			}
			if out.SessionTokenSize == nil || int(*out.SessionTokenSize) != len(*c.SessionToken) {
				t.Errorf("SessionTokenSize %v", out.SessionTokenSize)
			}
			// The temporary key works, and says who it is.
			id, err := s.client(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := *id.Arn, iam.SessionARN(s.sa.FolderID, "alice", "build-42"); got != want {
				t.Errorf("Arn %s, want %s", got, want)
			}
			if got, want := *id.UserId, s.sa.ID+":build-42"; got != want {
				t.Errorf("UserId %s, want %s", got, want)
			}
			if *id.Account != s.sa.FolderID {
				t.Errorf("Account %s, want folder %s", *id.Account, s.sa.FolderID)
			}
		})
	}
}

// A maximal policy travels by hash: the token stays within 1,024 characters, and another node
// on the same store (which never saw the policy) validates the token.
func TestMaxPolicyOtherNode(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	doc := maxPolicy(t, sessiontoken.MaxPolicyChars)
	out, err := s.static().AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("big"), Policy: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	tok := *out.Credentials.SessionToken
	if len(tok) > sessiontoken.MaxTokenLen {
		t.Fatalf("token of %d characters", len(tok))
	}
	if sum := sha256.Sum256([]byte(doc)); !strings.Contains(s.audit.String(), hex.EncodeToString(sum[:])) {
		t.Error("audit event lacks the policy hash")
	}
	other := &stack{tb: t, ctx: s.ctx, dir: s.dir, store: s.store, master: s.master, audit: &syncBuffer{},
		iam: iam.New(iam.Options{Store: s.store, Master: s.master}), sa: s.sa, key: s.key}
	other.node(stackOptions{})
	c := out.Credentials
	id, err := other.client(*c.AccessKeyId, *c.SecretAccessKey, tok).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("second node: %v", err)
	}
	if !strings.HasSuffix(*id.Arn, "/alice/big") {
		t.Errorf("Arn %s", *id.Arn)
	}
}

func TestSDKGetCallerIdentityStatic(t *testing.T) {
	s := newStack(t, stackOptions{})
	id, err := s.static().GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != iam.UserARN(s.sa.FolderID, "alice") || *id.UserId != s.sa.ID || *id.Account != s.sa.FolderID {
		t.Errorf("got %s %s %s", *id.Arn, *id.UserId, *id.Account)
	}
}

func TestSDKGetSessionToken(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	before := time.Now().UTC().Truncate(time.Second)
	out, err := s.static().GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if exp := c.Expiration.UTC(); exp.Before(before.Add(12*time.Hour)) || exp.After(before.Add(12*time.Hour+5*time.Second)) {
		t.Errorf("default Expiration %s, want 12 h from %s", exp, before)
	}
	tmp := s.client(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	id, err := tmp.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*id.UserId, s.sa.ID+":") || *id.Account != s.sa.FolderID {
		t.Errorf("temporary identity %s %s", *id.UserId, *id.Account)
	}
	_, err = tmp.GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if code, msg := apiCode(t, err); code != "AccessDenied" || msg != "Cannot call GetSessionToken with session credentials" {
		t.Errorf("temporary key → GetSessionToken: %s %q", code, msg)
	}
	_, err = tmp.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("chain")})
	if code, msg := apiCode(t, err); code != "AccessDenied" || !strings.Contains(msg, "temporary credentials cannot call AssumeRole") {
		t.Errorf("temporary key → AssumeRole: %s %q", code, msg)
	}
	out2, err := s.static().GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out2.Credentials.Expiration.Sub(time.Now()); d > 901*time.Second || d < 850*time.Second {
		t.Errorf("DurationSeconds 900 gave %s", d)
	}
	_, err = s.static().GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(43201)})
	if code, msg := apiCode(t, err); code != "ValidationError" || msg != "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200" {
		t.Errorf("43201 s: %s %q", code, msg)
	}
}

func TestSDKGetAccessKeyInfo(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	out, err := s.static().GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(s.key.Key.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != s.sa.FolderID {
		t.Errorf("Account %s, want %s", *out.Account, s.sa.FolderID)
	}
	_, err = s.static().GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String("HGKAAAAAAAAAAAAAAAAA")})
	if code, _ := apiCode(t, err); code != "NoSuchEntity" {
		t.Errorf("unknown key: %s", code)
	}
	_, err = s.static().GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	if code, msg := apiCode(t, err); code != "ValidationError" || !strings.Contains(msg, "at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16") {
		t.Errorf("short key: %s %q", code, msg)
	}
}

func TestThrottling(t *testing.T) {
	s := newStack(t, stackOptions{rateLimit: 0.001, rateBurst: 2})
	ctx := context.Background()
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("ci")}
	for i := range 2 {
		if _, err := s.static().AssumeRole(ctx, in); err != nil {
			t.Fatalf("issuance %d within the burst: %v", i+1, err)
		}
	}
	_, err := s.static().AssumeRole(ctx, in)
	if code, msg := apiCode(t, err); code != "Throttling" || msg != "Rate exceeded" {
		t.Fatalf("over the limit: %s %q", code, msg)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != 400 {
		t.Errorf("Throttling status %d, want 400", re.HTTPStatusCode())
	}
	if _, err := s.static().GetSessionToken(ctx, &awssts.GetSessionTokenInput{}); err == nil {
		t.Error("GetSessionToken is an issuance too and must share the bucket")
	}
	if _, err := s.static().GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity is not an issuance: %v", err)
	}
}

func TestSTSDisabled(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("ci")}
	for _, tc := range []struct {
		name    string
		set     func(bool) error
		visible func() bool
		msg     string
	}{
		{"service account", func(on bool) error { _, err := s.iam.SetSASTS(ctx, s.sa.ID, "", on); return err },
			func() bool { sa, _ := s.d.SA(s.sa.ID); return sa.STSDisabled },
			"Temporary credentials are disabled for service account alice (" + s.sa.ID + ")."},
		{"folder", func(on bool) error { _, err := s.iam.SetFolderSTS(ctx, s.sa.FolderID, on); return err },
			func() bool { f, _ := s.d.Folder(s.sa.FolderID); return f.STSDisabled },
			"Temporary credentials are disabled for folder default (" + s.sa.FolderID + ")."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.set(false); err != nil {
				t.Fatal(err)
			}
			s.eventually("STS disabled", tc.visible)
			_, err := s.static().AssumeRole(ctx, in)
			if code, msg := apiCode(t, err); code != "AccessDenied" || msg != tc.msg {
				t.Errorf("AssumeRole: %s %q", code, msg)
			}
			_, err = s.static().GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
			if code, _ := apiCode(t, err); code != "AccessDenied" {
				t.Errorf("GetSessionToken: %s", code)
			}
			if !strings.Contains(s.audit.String(), `"event":"IssuanceDenied"`) {
				t.Error("no IssuanceDenied audit event")
			}
			if err := tc.set(true); err != nil {
				t.Fatal(err)
			}
			s.eventually("STS enabled", func() bool { return !tc.visible() })
			if _, err := s.static().AssumeRole(ctx, in); err != nil {
				t.Errorf("after enabling again: %v", err)
			}
		})
	}
}

// Deleting the static key ends its temporary keys at once: the next call is refused.
func TestDeletedKeyEndsSessions(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	out, err := s.static().AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(testRoleArn), RoleSessionName: aws.String("doomed")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	tmp := s.client(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	if _, err := tmp.GetCallerIdentity(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.iam.DeleteKey(ctx, s.key.Key.ID); err != nil {
		t.Fatal(err)
	}
	s.eventually("key deletion", func() bool { _, ok := s.d.Key(s.key.Key.ID); return !ok })
	_, err = tmp.GetCallerIdentity(ctx, nil)
	if code, msg := apiCode(t, err); code != "InvalidClientTokenId" || msg != "The security token included in the request is invalid." {
		t.Errorf("after deletion: %s %q", code, msg)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	s := newStack(t, stackOptions{})
	base := s.handler.o
	for name, mut := range map[string]func(*Options){
		"no auth":          func(o *Options) { o.Auth = nil },
		"short max":        func(o *Options) { o.MaxDuration = time.Minute },
		"long max":         func(o *Options) { o.MaxDuration = 13 * time.Hour },
		"negative limit":   func(o *Options) { o.RateLimit = -1 },
		"no sessions":      func(o *Options) { o.Sessions = nil },
		"no directory":     func(o *Options) { o.Dir = nil },
		"no registry fail": nil,
	} {
		if mut == nil {
			continue
		}
		o := base
		mut(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	_ = fmt.Sprint
}

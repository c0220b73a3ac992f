package app_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The Yandex STS tutorial on a whole node: AssumeRole on the shared listener with a prefix
// policy, then S3 with the temporary key; deleting the static key ends the temporary key.
func TestAssumeRoleThenS3(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	node := testutil.Start(t, testutil.Config(t), app.Deps{})
	ctx := context.Background()
	svc := node.App.IAM()
	sa, _ := svc.CreateSA(ctx, "reader", "", "")
	nk, err := svc.CreateKey(ctx, sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateBucket(ctx, "tutorial", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, iam.Binding{Role: iam.RoleEditor, Subject: sa.ID, Bucket: "tutorial"}); err != nil {
		t.Fatal(err)
	}
	node.App.Directory().Sync(ctx)
	endpoint := node.Endpoint()
	stsClient := sts.New(sts.Options{BaseEndpoint: aws.String(endpoint), Region: "ru-central1",
		Credentials: credentials.NewStaticCredentialsProvider(nk.Key.ID, nk.Secret, "")})
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::tutorial/team-a/*"}]}`
	out, err := stsClient.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:yc:iam::any-text-at-all"), RoleSessionName: aws.String("ci-job"),
		DurationSeconds: aws.Int32(3600), Policy: aws.String(policy),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if aws.ToString(c.AccessKeyId) != nk.Key.ID || len(aws.ToString(c.SessionToken)) > 1024 || aws.ToString(c.SecretAccessKey) == nk.Secret {
		t.Fatalf("credentials = %+v", c)
	}
	if got := time.Until(aws.ToTime(c.Expiration)); got < 59*time.Minute || got > 61*time.Minute {
		t.Fatalf("expiration in %v", got)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:yc:iam::any-text-at-all/ci-job" || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != nk.Key.ID+":ci-job" {
		t.Fatalf("assumed role user = %+v", out.AssumedRoleUser)
	}
	temp := s3.New(s3.Options{BaseEndpoint: aws.String(endpoint), Region: "ru-central1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)})
	if _, err := temp.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("team-a/x.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("PutObject in the allowed prefix: %v", err)
	}
	got, err := temp.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("team-a/x.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	if _, err := temp.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("team-b/x.txt"), Body: strings.NewReader("no")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("PutObject outside the prefix: %v", err)
	}
	// The caller identity of the temporary key is the assumed-role ARN.
	tempSTS := sts.New(sts.Options{BaseEndpoint: aws.String(endpoint), Region: "ru-central1",
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)})
	id, err := tempSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + sa.FolderID + ":assumed-role/reader/ci-job"; aws.ToString(id.Arn) != want {
		t.Fatalf("Arn = %s, want %s", aws.ToString(id.Arn), want)
	}
	// Deleting the static key ends the temporary key at once.
	if err := svc.DeleteKey(ctx, nk.Key.ID); err != nil {
		t.Fatal(err)
	}
	node.App.Directory().Sync(ctx)
	if _, err := temp.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("team-a/x.txt")}); apiCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("after key deletion: %v (code %q)", err, apiCode(err))
	}
}

// Revoking a key's sessions "before now" must not make the next session, issued in the same
// second, born revoked; the revocation applies on this node before the admin call returns.
func TestIssueRightAfterRevocation(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	node := testutil.Start(t, testutil.Config(t), app.Deps{})
	ctx := context.Background()
	sa, _ := node.App.IAM().CreateSA(ctx, "quick", "", "")
	nk, err := node.App.IAM().CreateKey(ctx, sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	node.App.Directory().Sync(ctx)
	static := sts.New(sts.Options{BaseEndpoint: aws.String(node.Endpoint()), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(nk.Key.ID, nk.Secret, "")})
	assume := func() *sts.Client {
		out, err := static.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::x:role/whatever"), RoleSessionName: aws.String("s1")})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		return sts.New(sts.Options{BaseEndpoint: aws.String(node.Endpoint()), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)})
	}
	old := assume()
	admin := adminapi.Client{BaseURL: node.AdminURL(), Token: node.App.AdminToken()}
	if err := admin.Do(ctx, "POST", "/v1/sessions/revoke", nil, map[string]string{"key": nk.Key.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := old.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("revoked session still works: %v", err)
	}
	if _, err := assume().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a session issued right after the revocation is dead: %v", err)
	}
}

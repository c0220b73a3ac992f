package s3blob_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/app"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// hourglassUpstream starts an in-process Hourglass node on the fs backend
// and returns its endpoint, region and a static key with storage.admin on
// the default folder.
func hourglassUpstream(t *testing.T) (endpoint, region, keyID, secret string) {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	cfg := testutil.Config(t)
	node := testutil.Start(t, cfg, app.Deps{})
	ctx := context.Background()
	svc := node.App.IAM()
	sa, err := svc.CreateSA(ctx, "blob-upstream", "default", "the s3blob conformance suite")
	if err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, sa.ID, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, iam.Binding{Role: "storage.admin", Subject: sa.ID, Folder: "default"}); err != nil {
		t.Fatal(err)
	}
	if err := node.App.Directory().Sync(ctx); err != nil {
		t.Fatal(err)
	}
	region = cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	return node.Endpoint(), region, key.Key.ID, key.Secret
}

// skipUnlessS3API skips while the node's S3 API answers NotImplemented
// (it was being built when this test was written).
func skipUnlessS3API(t *testing.T, endpoint, region, keyID, secret string) {
	t.Helper()
	c := s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
	_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented" {
		t.Skip("the Hourglass node's S3 API answers NotImplemented; this test runs once it lands")
	}
	if err != nil {
		t.Fatalf("the Hourglass node's S3 API: %v", err)
	}
}

func TestConformanceHourglass(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ~200 MiB through two S3 layers (5 MiB parts)")
	}
	endpoint, region, keyID, secret := hourglassUpstream(t)
	skipUnlessS3API(t, endpoint, region, keyID, secret)
	conformance(t, func(t *testing.T, details bool) *s3blob.Store {
		s, err := s3blob.New(context.Background(), s3blob.Options{
			Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
			PathStyle: true, BucketPrefix: "up-", ListDetails: details,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, func(*testing.T) {})
}

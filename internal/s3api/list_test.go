package s3api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func keysOf(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixesOf(ps []types.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestListObjects(t *testing.T) { withKeys(t, testListObjects) }

func testListObjects(t *testing.T, e *env, alice identity, c *s3.Client) {
	e.createBucket(c, "list")
	keys := []string{"a/1", "a/2", "a/b/3", "b/1", "c", "d e+f", "z/9"}
	for _, k := range keys {
		e.put(c, "list", k, []byte(k))
	}

	// V2, whole bucket, pages of 2 via continuation tokens.
	var all []string
	var token *string
	pages := 0
	for {
		out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(2), ContinuationToken: token, FetchOwner: aws.Bool(true)})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		pages++
		all = append(all, keysOf(out.Contents)...)
		if aws.ToInt32(out.KeyCount) != int32(len(out.Contents)) {
			t.Errorf("KeyCount %d for %d keys", aws.ToInt32(out.KeyCount), len(out.Contents))
		}
		for _, o := range out.Contents {
			if o.Owner == nil || aws.ToString(o.Owner.ID) != alice.Folder {
				t.Errorf("fetch-owner: owner = %+v", o.Owner)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
	}
	if !slices.Equal(all, keys) || pages != 4 {
		t.Fatalf("V2 pages=%d keys=%v", pages, all)
	}

	// Delimiter and prefix.
	out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := prefixesOf(out.CommonPrefixes); !slices.Equal(got, []string{"a/", "b/", "z/"}) {
		t.Errorf("common prefixes = %v", got)
	}
	if got := keysOf(out.Contents); !slices.Equal(got, []string{"c", "d e+f"}) {
		t.Errorf("keys = %v", got)
	}
	out, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("a/"), Delimiter: aws.String("/"), StartAfter: aws.String("a/1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(out.Contents); !slices.Equal(got, []string{"a/2"}) || !slices.Equal(prefixesOf(out.CommonPrefixes), []string{"a/b/"}) {
		t.Errorf("prefix a/ after a/1: %v %v", got, prefixesOf(out.CommonPrefixes))
	}

	// encoding-type=url: the SDK does not decode, so keys come back percent-encoded.
	out, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("d"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(out.Contents); len(got) != 1 || got[0] != "d%20e%2Bf" {
		t.Errorf("url-encoded keys = %v", got)
	} else if dec, _ := url.QueryUnescape(got[0]); dec != "d e+f" {
		t.Errorf("decoded %q", dec)
	}

	// V1 with marker and NextMarker (delimiter given).
	v1, err := c.ListObjects(e.ctx, &s3.ListObjectsInput{Bucket: aws.String("list"), Marker: aws.String("a/2"), MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := append(keysOf(v1.Contents), prefixesOf(v1.CommonPrefixes)...); !slices.Equal(got, []string{"c", "b/"}) && !slices.Equal(got, []string{"b/", "c"}) {
		t.Errorf("V1 after a/2 = %v", got)
	}
	if !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) != "c" {
		t.Errorf("V1 truncated=%v next=%q", aws.ToBool(v1.IsTruncated), aws.ToString(v1.NextMarker))
	}
	for _, o := range v1.Contents {
		if o.Owner == nil {
			t.Errorf("V1 entries carry the owner")
		}
	}

	// Bad parameters.
	_, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), ContinuationToken: aws.String("!!!")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(-1)})
	wantCode(t, err, "InvalidArgument")
	_, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nothere")})
	wantCode(t, err, "NoSuchBucket")

	// Many keys: the default page is 1000.
	for i := 0; i < 5; i++ {
		e.put(c, "list", fmt.Sprintf("many/%04d", i), nil)
	}
	out, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("many/"), MaxKeys: aws.Int32(0)})
	if err != nil || len(out.Contents) != 0 {
		t.Fatalf("max-keys=0: %v %v", keysOf(out.Contents), err)
	}
}

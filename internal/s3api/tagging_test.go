package s3api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/iam"
)

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (e *env) objectTags(c *s3.Client, bucket, key string) map[string]string {
	e.t.Helper()
	out, err := c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("GetObjectTagging %s/%s: %v", bucket, key, err)
	}
	return tagMap(out.TagSet)
}

func (e *env) tagCount(c *s3.Client, bucket, key string) (get, head int32) {
	e.t.Helper()
	g, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("GetObject: %v", err)
	}
	g.Body.Close()
	h, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("HeadObject: %v", err)
	}
	return aws.ToInt32(g.TagCount), aws.ToInt32(h.TagCount)
}

func TestObjectTagging(t *testing.T) {
	withKeys(t, func(t *testing.T, e *env, alice identity, c *s3.Client) {
		e.createBucket(c, "tags")
		put := func(key, tagging string) {
			t.Helper()
			in := &s3.PutObjectInput{Bucket: aws.String("tags"), Key: aws.String(key), Body: strings.NewReader("data of " + key)}
			if tagging != "" {
				in.Tagging = aws.String(tagging)
			}
			if _, err := c.PutObject(e.ctx, in); err != nil {
				t.Fatalf("PutObject %s: %v", key, err)
			}
		}

		// x-amz-tagging on PutObject, URL-encoded, with characters S3 allows.
		put("a", "team=blue&cost%20centre=42&path=a%2Fb%3Ac%40d%2B%3D")
		want := map[string]string{"team": "blue", "cost centre": "42", "path": "a/b:c@d+="}
		if diff := cmp.Diff(want, e.objectTags(c, "tags", "a")); diff != "" {
			t.Errorf("tags of a (-want +got):\n%s", diff)
		}
		if g, h := e.tagCount(c, "tags", "a"); g != 3 || h != 3 {
			t.Errorf("tagging count GET %d HEAD %d, want 3", g, h)
		}

		// PutObjectTagging replaces the set; DeleteObjectTagging empties it.
		if _, err := c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("a"),
			Tagging: &types.Tagging{TagSet: tags("team", "red", "ключ", "значение")}}); err != nil {
			t.Fatalf("PutObjectTagging: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"team": "red", "ключ": "значение"}, e.objectTags(c, "tags", "a")); diff != "" {
			t.Errorf("after PutObjectTagging (-want +got):\n%s", diff)
		}
		if _, err := c.DeleteObjectTagging(e.ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("a")}); err != nil {
			t.Fatalf("DeleteObjectTagging: %v", err)
		}
		if got := e.objectTags(c, "tags", "a"); len(got) != 0 {
			t.Errorf("after DeleteObjectTagging: %v", got)
		}
		if g, h := e.tagCount(c, "tags", "a"); g != 0 || h != 0 {
			t.Errorf("tagging count after delete: %d %d", g, h)
		}

		// An overwrite drops the old tags, even with identical bytes.
		put("b", "team=blue")
		put("b", "")
		if got := e.objectTags(c, "tags", "b"); len(got) != 0 {
			t.Errorf("tags survived an overwrite: %v", got)
		}
		// Deleting and re-creating the key does not bring them back either.
		put("c", "x=1")
		if _, err := c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("tags"), Key: aws.String("c")}); err != nil {
			t.Fatal(err)
		}
		put("c", "")
		if got := e.objectTags(c, "tags", "c"); len(got) != 0 {
			t.Errorf("tags survived delete and re-create: %v", got)
		}

		// CopyObject: COPY (the default) carries the source's tags, REPLACE takes the header's.
		put("src", "team=green&env=prod")
		if _, err := c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("tags"), Key: aws.String("copy1"), CopySource: aws.String("tags/src")}); err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"team": "green", "env": "prod"}, e.objectTags(c, "tags", "copy1")); diff != "" {
			t.Errorf("COPY directive (-want +got):\n%s", diff)
		}
		if _, err := c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("tags"), Key: aws.String("copy2"), CopySource: aws.String("tags/src"),
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("team=yellow")}); err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"team": "yellow"}, e.objectTags(c, "tags", "copy2")); diff != "" {
			t.Errorf("REPLACE directive (-want +got):\n%s", diff)
		}
		if _, err := c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("tags"), Key: aws.String("copy3"), CopySource: aws.String("tags/src"),
			TaggingDirective: types.TaggingDirectiveReplace}); err != nil {
			t.Fatalf("CopyObject REPLACE without tags: %v", err)
		}
		if got := e.objectTags(c, "tags", "copy3"); len(got) != 0 {
			t.Errorf("REPLACE without x-amz-tagging kept tags: %v", got)
		}

		// Multipart: tags given at creation land on the completed object, not before.
		put("mp", "old=1")
		body := randomBytes(t, 6<<20)
		if _, err := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 }).Upload(e.ctx, &s3.PutObjectInput{
			Bucket: aws.String("tags"), Key: aws.String("mp"), Body: bytes.NewReader(body), Tagging: aws.String("stage=uploaded")}); err != nil {
			t.Fatalf("multipart upload: %v", err)
		}
		if diff := cmp.Diff(map[string]string{"stage": "uploaded"}, e.objectTags(c, "tags", "mp")); diff != "" {
			t.Errorf("multipart tags (-want +got):\n%s", diff)
		}

		// Tagging a missing object.
		_, err := c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("missing")})
		wantCode(t, err, "NoSuchKey")
		_, err = c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("missing"), Tagging: &types.Tagging{TagSet: tags("a", "b")}})
		wantCode(t, err, "NoSuchKey")
	})
}

func TestTaggingValidation(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "val")
	e.put(c, "val", "k", []byte("x"))
	many := func(n int) []types.Tag {
		var kv []string
		for i := 0; i < n; i++ {
			kv = append(kv, fmt.Sprintf("k%d", i), "v")
		}
		return tags(kv...)
	}
	putTags := func(ts []types.Tag) error {
		_, err := c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("val"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: ts}})
		return err
	}
	for _, tc := range []struct {
		name string
		ts   []types.Tag
		code string
	}{
		{"ten tags", many(10), ""},
		{"eleven tags", many(11), "InvalidTag"},
		{"key of 128", tags(strings.Repeat("k", 128), "v"), ""},
		{"key of 129", tags(strings.Repeat("k", 129), "v"), "InvalidTag"},
		{"key of 128 runes", tags(strings.Repeat("ж", 128), "v"), ""},
		{"empty key", tags("", "v"), "InvalidTag"},
		{"value of 256", tags("k", strings.Repeat("v", 256)), ""},
		{"value of 257", tags("k", strings.Repeat("v", 257)), "InvalidTag"},
		{"empty value", tags("k", ""), ""},
		{"bad character", tags("k!", "v"), "InvalidTag"},
		{"bad value character", tags("k", "v#"), "InvalidTag"},
		{"aws prefix", tags("aws:thing", "v"), "InvalidTag"},
		{"duplicate keys", tags("k", "1", "k", "2"), "InvalidTag"},
	} {
		if got := errCode(putTags(tc.ts)); got != tc.code {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.code)
		}
	}
	_, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("val"), Key: aws.String("h"), Body: strings.NewReader("x"), Tagging: aws.String("a=1&a=2")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("val"), Key: aws.String("h"), Body: strings.NewReader("x"), Tagging: aws.String("a=%zz")})
	wantCode(t, err, "InvalidArgument")
	_, err = c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("val"), Key: aws.String("h"), Body: strings.NewReader("x"), Tagging: aws.String("a=%3C")})
	wantCode(t, err, "InvalidTag")
	if _, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("val"), Key: aws.String("h")}); errCode(err) != "NotFound" {
		t.Errorf("an object with invalid tags was stored: %v", err)
	}

	// Malformed documents, by hand.
	raw := func(method, path, body string) (int, string) {
		t.Helper()
		resp, b := e.signedRaw(alice, method, path, []byte(body), nil)
		return resp.StatusCode, xmlCode(b)
	}
	for _, tc := range []struct{ body, code string }{
		{"<Tagging><TagSet><Tag><Key>a</Key>", "MalformedXML"},
		{"<Tagging></Tagging>", "MalformedXML"},
		{"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>", "MalformedXML"},
		{"", "MissingRequestBodyError"},
	} {
		for _, path := range []string{"/val/k?tagging", "/val?tagging"} {
			if _, code := raw("PUT", path, tc.body); code != tc.code {
				t.Errorf("PUT %s %q: %s, want %s", path, tc.body, code, tc.code)
			}
		}
	}

	// Bucket tagging: up to 50 tags, NoSuchTagSet when absent.
	_, err = c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("val")})
	wantCode(t, err, "NoSuchTagSet")
	if _, err := c.PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("val"), Tagging: &types.Tagging{TagSet: many(50)}}); err != nil {
		t.Fatalf("PutBucketTagging 50: %v", err)
	}
	bt, err := c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("val")})
	if err != nil || len(bt.TagSet) != 50 || aws.ToString(bt.TagSet[0].Key) != "k0" {
		t.Fatalf("GetBucketTagging = %v, %v", bt, err)
	}
	_, err = c.PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("val"), Tagging: &types.Tagging{TagSet: many(51)}})
	wantCode(t, err, "InvalidTag")
	_, err = c.PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("val"), Tagging: &types.Tagging{TagSet: tags("a", "1", "a", "2")}})
	wantCode(t, err, "InvalidTag")
	if _, err := c.DeleteBucketTagging(e.ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("val")}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = c.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("val")})
	wantCode(t, err, "NoSuchTagSet")
}

// A session policy that allows s3:GetObject only where s3:ExistingObjectTag/team is "blue"
// lets exactly those objects be read, following the tags as they change.
func TestExistingObjectTagSessionPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	admin := e.static(alice)
	e.createBucket(admin, "team")
	for key, tagging := range map[string]string{"blue1": "team=blue", "blue2": "team=blue&x=y", "red": "team=red", "none": "", "upper": "Team=blue"} {
		in := &s3.PutObjectInput{Bucket: aws.String("team"), Key: aws.String(key), Body: strings.NewReader(key)}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		if _, err := admin.PutObject(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/*",
		"Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"blue"}}}]}`
	c := e.temporary(e.temp(alice, pol))
	readable := func() []string {
		var out []string
		for _, k := range []string{"blue1", "blue2", "none", "red", "upper"} {
			_, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String(k)})
			switch errCode(err) {
			case "":
				out = append(out, k)
			case "AccessDenied":
			default:
				t.Fatalf("GetObject %s: %v", k, err)
			}
		}
		return out
	}
	if diff := cmp.Diff([]string{"blue1", "blue2"}, readable()); diff != "" {
		t.Errorf("readable objects (-want +got):\n%s", diff)
	}
	// HEAD is s3:GetObject too.
	if _, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("team"), Key: aws.String("red")}); errCode(err) != "Forbidden" {
		t.Errorf("HEAD red: %v", err)
	}
	// Retag red as blue, and overwrite blue2 without tags.
	if _, err := admin.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("team"), Key: aws.String("red"), Tagging: &types.Tagging{TagSet: tags("team", "blue")}}); err != nil {
		t.Fatal(err)
	}
	e.put(admin, "team", "blue2", []byte("blue2"))
	if diff := cmp.Diff([]string{"blue1", "red"}, readable()); diff != "" {
		t.Errorf("readable after retagging (-want +got):\n%s", diff)
	}
	// The session policy allows nothing else: not even reading tags, or listing.
	_, err := c.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("team"), Key: aws.String("blue1")})
	wantCode(t, err, "AccessDenied")
	// A copy reads its source under the same rule.
	pol2 := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"blue"}}},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::team/copies/*"}]}`
	c2 := e.temporary(e.temp(alice, pol2))
	if _, err := c2.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("team"), Key: aws.String("copies/1"), CopySource: aws.String("team/blue1")}); err != nil {
		t.Errorf("copy of a blue object: %v", err)
	}
	_, err = c2.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("team"), Key: aws.String("copies/2"), CopySource: aws.String("team/none")})
	wantCode(t, err, "AccessDenied")
}

// s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys constrain the tags a write sets.
func TestRequestObjectTagSessionPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	e.createBucket(e.static(alice), "reqtags")
	e.put(e.static(alice), "reqtags", "existing", []byte("x"))
	pol := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::reqtags/*",
		 "Condition":{"StringEquals":{"s3:RequestObjectTag/team":"blue"},"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","note"]}}}]}`
	c := e.temporary(e.temp(alice, pol))
	put := func(key, tagging string) error {
		in := &s3.PutObjectInput{Bucket: aws.String("reqtags"), Key: aws.String(key), Body: strings.NewReader("x")}
		if tagging != "" {
			in.Tagging = aws.String(tagging)
		}
		_, err := c.PutObject(e.ctx, in)
		return err
	}
	for _, tc := range []struct {
		tagging, code string
	}{
		{"team=blue", ""},
		{"team=blue&note=hi", ""},
		{"team=red", "AccessDenied"},
		{"", "AccessDenied"},
		{"team=blue&other=1", "AccessDenied"},
	} {
		if got := errCode(put("k", tc.tagging)); got != tc.code {
			t.Errorf("PutObject tagging %q: %q, want %q", tc.tagging, got, tc.code)
		}
	}
	_, err := c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("reqtags"), Key: aws.String("existing"), Tagging: &types.Tagging{TagSet: tags("team", "blue")}})
	if err != nil {
		t.Errorf("PutObjectTagging team=blue: %v", err)
	}
	_, err = c.PutObjectTagging(e.ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("reqtags"), Key: aws.String("existing"), Tagging: &types.Tagging{TagSet: tags("team", "red")}})
	wantCode(t, err, "AccessDenied")
}

// A bucket policy's Deny on s3:ExistingObjectTag binds static keys too, however the key is spelt
// (case, JSON escapes: the node decides whether to load tags from the parsed policy).
func TestExistingObjectTagBucketPolicy(t *testing.T) {
	for _, spelling := range []string{"S3:existingObjectTag/class", `s3:\u0045xistingObjectTag/class`} {
		t.Run(spelling, func(t *testing.T) { testExistingObjectTagBucketPolicy(t, spelling) })
	}
}

func testExistingObjectTagBucketPolicy(t *testing.T, condKey string) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "bpol")
	e.put(c, "bpol", "open", []byte("x"))
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("bpol"), Key: aws.String("secret"), Body: strings.NewReader("x"), Tagging: aws.String("class=secret")}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bpol","arn:aws:s3:::bpol/*"]},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bpol/*","Condition":{"StringEquals":{"` + condKey + `":"secret"}}}]}`
	if _, err := c.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("bpol"), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if got := e.get(c, "bpol", "open"); string(got) != "x" {
		t.Errorf("open: %q", got)
	}
	_, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("bpol"), Key: aws.String("secret")})
	wantCode(t, err, "AccessDenied")
	if _, err := c.DeleteObjectTagging(e.ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("bpol"), Key: aws.String("secret")}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(c, "bpol", "secret"); string(got) != "x" {
		t.Errorf("secret after untagging: %q", got)
	}
}

// The node caches object tags; a change made elsewhere (another node, here the store behind
// the node's back) reaches it through the change feed.
func TestTagCacheFollowsChangeFeed(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "cached")
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("cached"), Key: aws.String("k"), Body: strings.NewReader("x"), Tagging: aws.String("a=1&b=2")}); err != nil {
		t.Fatal(err)
	}
	if g, h := e.tagCount(c, "cached", "k"); g != 2 || h != 2 {
		t.Fatalf("tagging count %d %d, want 2", g, h)
	}
	if err := e.iam().Store().DeleteObjectMeta(e.ctx, "cached", "k"); err != nil {
		t.Fatal(err)
	}
	e.eventually("the tag cache sees the deletion", func() bool {
		g, h := e.tagCount(c, "cached", "k")
		return g == 0 && h == 0
	})
}

package s3api_test

import (
	"bytes"
	"context"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func TestBucketAndObjectACLs(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	anon := e.anonymous()

	// A public-read bucket: anyone lists and reads, nobody anonymous writes.
	if _, err := c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("public"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	e.put(c, "public", "hello", []byte("world"))
	if got := e.get(anon, "public", "hello"); string(got) != "world" {
		t.Fatalf("anonymous read = %q", got)
	}
	if _, err := anon.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("public")}); err != nil {
		t.Fatalf("anonymous list: %v", err)
	}
	_, err := anon.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("public"), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	_, err = anon.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("public"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey") // anonymous may list this bucket
	_, err = anon.ListBuckets(e.ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "AccessDenied")
	_, err = anon.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("public"), Key: aws.String("hello"), ResponseContentType: aws.String("x/y")})
	wantCode(t, err, "InvalidRequest")

	ga, err := c.GetBucketAcl(e.ctx, &s3.GetBucketAclInput{Bucket: aws.String("public")})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	if len(ga.Grants) != 1 || ga.Grants[0].Permission != types.PermissionRead || aws.ToString(ga.Grants[0].Grantee.URI) != "http://acs.amazonaws.com/groups/global/AllUsers" {
		t.Fatalf("bucket grants = %+v", ga.Grants)
	}
	if aws.ToString(ga.Owner.ID) != alice.Folder {
		t.Errorf("owner = %+v", ga.Owner)
	}
	// Back to private with an XML body.
	if _, err := c.PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: aws.String("public"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: ga.Owner, Grants: []types.Grant{}}}); err != nil {
		t.Fatalf("PutBucketAcl: %v", err)
	}
	_, err = anon.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("public"), Key: aws.String("hello")})
	wantCode(t, err, "AccessDenied")
	_, err = anon.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("public"), Key: aws.String("missing")})
	wantCode(t, err, "AccessDenied") // may not list: the absence is not revealed

	// An object ACL opens one object of a private bucket.
	e.put(c, "public", "shared", []byte("v1"))
	if _, err := c.PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: aws.String("public"), Key: aws.String("shared"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("PutObjectAcl: %v", err)
	}
	if got := e.get(anon, "public", "shared"); string(got) != "v1" {
		t.Fatalf("anonymous read of a public-read object = %q", got)
	}
	goa, err := c.GetObjectAcl(e.ctx, &s3.GetObjectAclInput{Bucket: aws.String("public"), Key: aws.String("shared")})
	if err != nil || len(goa.Grants) != 1 {
		t.Fatalf("GetObjectAcl = %+v, %v", goa, err)
	}
	// Overwriting the object must not let the old ACL grant the new bytes.
	e.put(c, "public", "shared", []byte("v2 secret"))
	_, err = anon.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("public"), Key: aws.String("shared")})
	wantCode(t, err, "AccessDenied")
	goa, err = c.GetObjectAcl(e.ctx, &s3.GetObjectAclInput{Bucket: aws.String("public"), Key: aws.String("shared")})
	if err != nil || len(goa.Grants) != 0 {
		t.Fatalf("ACL after overwrite = %+v, %v", goa.Grants, err)
	}
	// An ACL given with the write applies to that write.
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("public"), Key: aws.String("open"), Body: strings.NewReader("o"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(anon, "public", "open"); string(got) != "o" {
		t.Fatalf("read of object PUT with public-read = %q", got)
	}
	// Multipart uploads carry their ACL to the completed object.
	cr, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("public"), Key: aws.String("mp"), ACL: types.ObjectCannedACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: aws.String("public"), Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("mp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("public"), Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(anon, "public", "mp"); string(got) != "mp" {
		t.Fatalf("multipart object with public-read = %q", got)
	}

	// Bad ACLs.
	_, err = c.PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: aws.String("public"), GrantRead: aws.String(`id="nosuchsa"`)})
	wantCode(t, err, "InvalidArgument")
	_, err = c.PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: aws.String("public"), Key: aws.String("nothere"), ACL: types.ObjectCannedACLPublicRead})
	wantCode(t, err, "NoSuchKey")

	// A grant to a service account of another folder lets it read.
	if _, err := e.iam().CreateFolder(e.ctx, "other"); err != nil {
		t.Fatal(err)
	}
	bob := e.newSA("bob", "other", iam.RoleAdmin)
	if _, err := c.PutObjectAcl(e.ctx, &s3.PutObjectAclInput{Bucket: aws.String("public"), Key: aws.String("shared"), GrantRead: aws.String(`id="` + bob.SA.ID + `"`)}); err != nil {
		t.Fatalf("grant to bob: %v", err)
	}
	if got := e.get(e.static(bob), "public", "shared"); string(got) != "v2 secret" {
		t.Fatalf("bob's read = %q", got)
	}
	// ... also with his temporary keys, even with a session policy that does not mention it.
	tk := e.temp(bob, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::elsewhere"}]}`)
	if got := e.get(e.temporary(tk), "public", "shared"); string(got) != "v2 secret" {
		t.Fatalf("bob's temporary read = %q", got)
	}
}

func TestBucketPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "pol")
	e.put(c, "pol", "secret/x", []byte("s"))
	e.put(c, "pol", "open/x", []byte("o"))

	_, err := c.GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	wantCode(t, err, "NoSuchBucketPolicy")
	for _, bad := range []string{
		`{`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Bogus","Resource":"arn:aws:s3:::pol/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}`,
	} {
		_, err := c.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(bad)})
		wantCode(t, err, "MalformedPolicy")
	}
	// Under the yandex access model a bucket policy restricts even the bucket's admins: every
	// request must find an Allow in it, so the policy lets alice manage the bucket.
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenySecret", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol/secret/*"},
    {"Sid": "Alice", "Effect": "Allow", "Principal": {"AWS": "` + alice.SA.ID + `"}, "Action": "s3:*", "Resource": ["arn:aws:s3:::pol", "arn:aws:s3:::pol/*"]}
  ]
}`
	if _, err := c.PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	got, err := c.GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	if aws.ToString(got.Policy) != doc {
		t.Fatalf("GetBucketPolicy = %q, want the stored bytes", aws.ToString(got.Policy))
	}
	// A second admin of the folder finds no Allow in the policy.
	carol := e.newSA("carol", "", iam.RoleAdmin)
	_, err = e.static(carol).GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("open/x")})
	wantCode(t, err, "AccessDenied")
	// The explicit Deny binds the bucket's own folder too.
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("secret/x")})
	wantCode(t, err, "AccessDenied")
	if got := e.get(c, "pol", "open/x"); string(got) != "o" {
		t.Fatalf("open/x = %q", got)
	}
	if _, err := c.DeleteBucketPolicy(e.ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pol")}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	if got := e.get(c, "pol", "secret/x"); string(got) != "s" {
		t.Fatalf("after policy deletion: %q", got)
	}
	_, err = c.GetBucketPolicy(e.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	wantCode(t, err, "NoSuchBucketPolicy")
}

// TestYandexTutorial follows Yandex Object Storage's STS tutorial: a temporary key whose session
// policy allows one prefix reads and writes there, cannot touch another prefix, cannot list
// outside its s3:prefix condition, and dies with its static key.
func TestYandexTutorial(t *testing.T) {
	e := newEnv(t)
	sa := e.newSA("sts-user", "", iam.RoleEditor)
	e.createBucket(e.static(sa), "tutorial")
	e.put(e.static(sa), "tutorial", "other/secret", []byte("nope"))
	policyDoc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::tutorial/allowed/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::tutorial",
     "Condition": {"StringLike": {"s3:prefix": "allowed/*"}}}
  ]
}`
	tk := e.temp(sa, policyDoc)
	c := e.temporary(tk)

	e.put(c, "tutorial", "allowed/file.txt", []byte("mine"))
	if got := e.get(c, "tutorial", "allowed/file.txt"); string(got) != "mine" {
		t.Fatalf("read back %q", got)
	}
	_, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("other/file.txt"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("other/secret")})
	wantCode(t, err, "AccessDenied")
	_, err = c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("allowed/file.txt")})
	wantCode(t, err, "AccessDenied") // the policy does not allow s3:DeleteObject

	out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tutorial"), Prefix: aws.String("allowed/")})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("list allowed/: %+v %v", out, err)
	}
	_, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tutorial")})
	wantCode(t, err, "AccessDenied")
	_, err = c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tutorial"), Prefix: aws.String("other/")})
	wantCode(t, err, "AccessDenied")
	// A missing key under the allowed prefix: GetObject is allowed but ListBucket is not (no
	// s3:prefix), so S3 hides the absence.
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("allowed/missing")})
	wantCode(t, err, "AccessDenied")

	// The static key is deleted: the temporary key stops at once.
	if err := e.iam().DeleteKey(e.ctx, sa.Key.Key.ID); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	e.eventually("temporary key refused after its static key was deleted", func() bool {
		_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("tutorial"), Key: aws.String("allowed/file.txt")})
		return err != nil
	})
	t.Logf("temporary key refused %v after the static key was deleted", time.Since(deleted))
	if code := errCode(err); code != "InvalidAccessKeyId" && code != "InvalidToken" && code != "ExpiredToken" {
		t.Fatalf("after key deletion: %v", err)
	}
}

func TestTemporaryKeysFullAccess(t *testing.T) {
	e := newEnv(t)
	sa := e.newSA("app", "", iam.RoleAdmin)
	tk := e.temp(sa, "")
	c := e.temporary(tk)
	e.createBucket(c, "tmp-bucket")
	body := randomBytes(t, 70_000)
	e.put(c, "tmp-bucket", "k", body)
	if !bytes.Equal(e.get(c, "tmp-bucket", "k"), body) {
		t.Fatal("temporary-key round trip differs")
	}
	// A policy with no statements denies everything.
	none := e.temporary(e.temp(sa, `{"Version":"2012-10-17","Statement":[]}`))
	_, err := none.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("tmp-bucket"), Key: aws.String("k")})
	wantCode(t, err, "AccessDenied")
	// A wrong token is refused.
	bad := e.client(tk.AccessKeyID, tk.Secret, tk.Token[:len(tk.Token)-2]+"AA")
	_, err = bad.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("tmp-bucket"), Key: aws.String("k")})
	if code := errCode(err); code != "InvalidToken" {
		t.Fatalf("tampered token: %v", err)
	}
}

func TestMinioClient(t *testing.T) {
	e := newEnv(t)
	sa := e.newSA("minio-user", "", iam.RoleAdmin)
	for _, tc := range []struct {
		name  string
		creds [3]string
	}{
		{"static", [3]string{sa.Key.Key.ID, sa.Key.Secret, ""}},
		{"temporary", func() [3]string { tk := e.temp(sa, ""); return [3]string{tk.AccessKeyID, tk.Secret, tk.Token} }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mc := e.minio(tc.creds[0], tc.creds[1], tc.creds[2])
			bucket := "minio-" + tc.name
			if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
				t.Fatalf("MakeBucket: %v", err)
			}
			body := randomBytes(t, 6<<20+17) // multipart (minio uses 16 MiB parts only above that; force with PartSize)
			if _, err := mc.PutObject(ctx, bucket, "big", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{PartSize: 5 << 20, UserMetadata: map[string]string{"k": "v"}}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if _, err := mc.PutObject(ctx, bucket, "small", strings.NewReader("small"), -1, minio.PutObjectOptions{}); err != nil {
				t.Fatalf("PutObject chunked: %v", err)
			}
			obj, err := mc.GetObject(ctx, bucket, "big", minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("GetObject: %d bytes, %v", len(got), err)
			}
			st, err := mc.StatObject(ctx, bucket, "big", minio.StatObjectOptions{})
			if err != nil || st.UserMetadata["K"] != "v" && st.Metadata.Get("X-Amz-Meta-K") != "v" {
				t.Fatalf("StatObject: %+v %v", st.UserMetadata, err)
			}
			var keys []string
			for o := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				keys = append(keys, o.Key)
			}
			if strings.Join(keys, ",") != "big,small" {
				t.Fatalf("ListObjects = %v", keys)
			}
			if _, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: "copy"}, minio.CopySrcOptions{Bucket: bucket, Object: "small"}); err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			objs := make(chan minio.ObjectInfo, 3)
			for _, k := range []string{"big", "small", "copy"} {
				objs <- minio.ObjectInfo{Key: k}
			}
			close(objs)
			for rerr := range mc.RemoveObjects(ctx, bucket, objs, minio.RemoveObjectsOptions{}) {
				t.Fatalf("RemoveObjects: %v", rerr.Err)
			}
			if err := mc.RemoveBucket(ctx, bucket); err != nil {
				t.Fatalf("RemoveBucket: %v", err)
			}
		})
	}
}

// TestRawHTTP covers what SDKs do not send: unimplemented operations, methods, bad XML, limits.
func TestRawHTTP(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	e.createBucket(e.static(alice), "raw")
	if _, err := e.static(alice).PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: aws.String("raw"), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	do := func(method, path string, body []byte, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, e.node.Endpoint()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	code := func(body string) string {
		_, rest, _ := strings.Cut(body, "<Code>")
		c, _, _ := strings.Cut(rest, "</Code>")
		return c
	}
	for _, tc := range []struct {
		method, path string
		body         string
		hdr          map[string]string
		status       int
		code         string
	}{
		{"GET", "/raw?lifecycle", "", nil, 501, "NotImplemented"},
		{"GET", "/raw?cors", "", nil, 403, "AccessDenied"},
		{"PUT", "/raw/k?tagging", "<Tagging/>", nil, 403, "AccessDenied"},
		{"PATCH", "/raw/k", "", nil, 405, "MethodNotAllowed"},
		{"POST", "/raw?delete", "<Delete><Object><Key>a</Key></Object></Delete>", nil, 400, "InvalidRequest"}, // no Content-MD5
		{"POST", "/raw?delete", "<Delete><Object><Key>a</Key></Object>", map[string]string{"Content-MD5": contentMD5([]byte("<Delete><Object><Key>a</Key></Object>"))}, 400, "MalformedXML"},
		{"POST", "/raw?delete", "<Delete><Object><Key>a</Key></Object></Delete>", map[string]string{"Content-MD5": contentMD5([]byte("other"))}, 400, "BadDigest"},
		{"PUT", "/raw/bad-md5", "data", map[string]string{"Content-MD5": contentMD5([]byte("other"))}, 400, "BadDigest"},
		{"GET", "/raw/x?versionId=123", "", nil, 404, "NoSuchVersion"},
		{"GET", "/raw?list-type=2&encoding-type=base64", "", nil, 400, "InvalidArgument"},
		{"GET", "/nosuchbucket/x", "", nil, 404, "NoSuchBucket"},
		{"GET", "/raw/x", "", map[string]string{"Authorization": "AWS AKIA:sig"}, 400, "InvalidRequest"},
		{"POST", "/raw/k?uploadId=nope", "<CompleteMultipartUpload><Part>", nil, 400, "MalformedXML"},
		{"POST", "/raw/k?uploadId=nope", "<CompleteMultipartUpload>" + strings.Repeat("<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>", 50000) + "</CompleteMultipartUpload>", nil, 400, "MaxMessageLengthExceeded"},
		{"POST", "/raw/k?uploadId=nope", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", nil, 404, "NoSuchUpload"},
		{"PUT", "/raw/k?partNumber=0&uploadId=nope", "x", nil, 400, "InvalidArgument"},
		{"GET", "/raw/k?partNumber=abc", "", nil, 400, "InvalidArgument"},
		{"PUT", "/raw/k", "x", map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}, 400, "BadDigest"},
		{"PUT", "/raw/k", "x", map[string]string{"x-amz-meta-big": strings.Repeat("m", 3000)}, 400, "MetadataTooLarge"},
		{"PUT", "/Invalid_Bucket", "", nil, 400, "InvalidBucketName"},
		{"PUT", "/raw/k", "x", map[string]string{"x-amz-acl": "public-read"}, 403, "AccessDenied"}, // setting an ACL needs s3:PutObjectAcl
		{"PUT", "/raw/dst", "", map[string]string{"x-amz-copy-source": "raw"}, 400, "InvalidArgument"},
	} {
		resp, body := do(tc.method, tc.path, []byte(tc.body), tc.hdr)
		if resp.StatusCode != tc.status || code(body) != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s (%s)", tc.method, tc.path, resp.StatusCode, code(body), tc.status, tc.code, body)
		}
		if resp.Header.Get("x-amz-request-id") == "" {
			t.Errorf("%s %s: no request ID", tc.method, tc.path)
		}
	}
	// Anonymous DeleteObjects on a public-read-write bucket with a correct Content-MD5 works.
	resp, _ := do("PUT", "/raw/a", []byte("x"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("anonymous PUT on public-read-write: %d", resp.StatusCode)
	}
	del := []byte("<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>")
	resp, body := do("POST", "/raw?delete", del, map[string]string{"Content-MD5": contentMD5(del)})
	if resp.StatusCode != 200 || strings.Contains(body, "<Error>") {
		t.Fatalf("anonymous DeleteObjects: %d %s", resp.StatusCode, body)
	}
}

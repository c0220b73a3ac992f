package s3api_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"hash/crc32"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"github.com/hourglass-sts/hourglass/internal/iam"
)

// formField is one field of a POST upload, in order; file marks a file part.
type formField struct {
	name, value string
	file        bool
	filename    string
}

// postForm sends a multipart/form-data POST to the bucket URL.
func (e *env) postForm(bucket string, fields []formField) (*http.Response, []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if f.file {
			w, err := mw.CreateFormFile(f.name, f.filename)
			if err != nil {
				e.t.Fatal(err)
			}
			w.Write([]byte(f.value))
			continue
		}
		if err := mw.WriteField(f.name, f.value); err != nil {
			e.t.Fatal(err)
		}
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, e.node.Endpoint()+"/"+bucket, &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.Bytes()
}

// postSigner signs POST policies the way S3's documentation describes, independently of the
// server's code: HMAC-SHA256 chain from "AWS4"+secret, then HMAC of the base64 policy.
type postSigner struct {
	keyID, secret, token string
	now                  time.Time
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// fields returns the signed fields for a policy with the given extra conditions; the
// credential conditions are added as every SDK adds them.
func (s postSigner) fields(exp time.Time, conds ...any) []formField {
	date := s.now.UTC().Format("20060102")
	amzDate := s.now.UTC().Format("20060102T150405Z")
	cred := s.keyID + "/" + date + "/us-east-1/s3/aws4_request"
	all := append([]any{}, conds...)
	all = append(all, map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"}, map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": amzDate})
	if s.token != "" {
		all = append(all, map[string]string{"x-amz-security-token": s.token})
	}
	doc, _ := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": all})
	return s.signed(base64.StdEncoding.EncodeToString(doc))
}

// signed returns the authentication fields for a base64 policy document.
func (s postSigner) signed(pol string) []formField {
	date := s.now.UTC().Format("20060102")
	cred := s.keyID + "/" + date + "/us-east-1/s3/aws4_request"
	k := hmacSHA256([]byte("AWS4"+s.secret), date)
	for _, part := range []string{"us-east-1", "s3", "aws4_request"} {
		k = hmacSHA256(k, part)
	}
	out := []formField{{name: "policy", value: pol}, {name: "x-amz-algorithm", value: "AWS4-HMAC-SHA256"},
		{name: "x-amz-credential", value: cred}, {name: "x-amz-date", value: s.now.UTC().Format("20060102T150405Z")},
		{name: "x-amz-signature", value: hex.EncodeToString(hmacSHA256(k, pol))}}
	if s.token != "" {
		out = append(out, formField{name: "x-amz-security-token", value: s.token})
	}
	return out
}

func fileField(name, content string) formField {
	return formField{name: "file", value: content, file: true, filename: name}
}

func (e *env) absent(c *s3.Client, bucket string) {
	e.t.Helper()
	out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.Contents) != 0 {
		e.t.Fatalf("bucket %s holds %d objects after a failed POST, first %q", bucket, len(out.Contents), aws.ToString(out.Contents[0].Key))
	}
}

func TestPostObject(t *testing.T) {
	withKeys(t, func(t *testing.T, e *env, alice identity, c *s3.Client) {
		e.createBucket(c, "forms")
		keyID, secret, token := alice.Key.Key.ID, alice.Key.Secret, ""
		if t.Name() == "TestPostObject/temporary" {
			is := e.temp(alice, "")
			keyID, secret, token = is.AccessKeyID, is.Secret, is.Token
		}

		// minio-go builds and signs the form (an independent implementation of POST policies).
		mc := e.minio(keyID, secret, token)
		pp := minio.NewPostPolicy()
		pp.SetBucket("forms")
		pp.SetKey("by-minio.txt")
		pp.SetExpires(time.Now().Add(time.Hour))
		pp.SetContentType("text/plain")
		pp.SetContentLengthRange(1, 1024)
		pp.SetUserMetadata("owner", "alice")
		pp.SetSuccessStatusAction("201")
		pp.SetTagging("<Tagging><TagSet><Tag><Key>src</Key><Value>form</Value></Tag></TagSet></Tagging>")
		u, fd, err := mc.PresignedPostPolicy(e.ctx, pp)
		if err != nil {
			t.Fatalf("PresignedPostPolicy: %v", err)
		}
		if !strings.HasSuffix(u.Path, "/forms") && !strings.HasSuffix(u.Path, "/forms/") {
			t.Fatalf("POST URL %s", u)
		}
		var fields []formField
		for k, v := range fd {
			fields = append(fields, formField{name: k, value: v})
		}
		resp, body := e.postForm("forms", append(fields, fileField("local.txt", "hello from a form")))
		if resp.StatusCode != 201 {
			t.Fatalf("POST: %d %s", resp.StatusCode, body)
		}
		var pr struct {
			Bucket, Key, ETag, Location string
		}
		if err := xml.Unmarshal(body, &pr); err != nil || pr.Bucket != "forms" || pr.Key != "by-minio.txt" || pr.ETag == "" ||
			!strings.HasSuffix(pr.Location, "/forms/by-minio.txt") {
			t.Fatalf("PostResponse %+v (%v): %s", pr, err, body)
		}
		out, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("forms"), Key: aws.String("by-minio.txt")})
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.ReadFrom(out.Body)
		out.Body.Close()
		if got.String() != "hello from a form" || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["owner"] != "alice" ||
			aws.ToString(out.ETag) != pr.ETag || aws.ToInt32(out.TagCount) != 1 {
			t.Errorf("stored object: %q type %q meta %v etag %s tags %d", got.String(), aws.ToString(out.ContentType), out.Metadata, aws.ToString(out.ETag), aws.ToInt32(out.TagCount))
		}

		// By hand: ${filename}, starts-with, a redirect, checksum and ACL fields.
		sg := postSigner{keyID: keyID, secret: secret, token: token, now: time.Now()}
		sum := sha256.Sum256([]byte("photo bytes"))
		fields = append(sg.fields(time.Now().Add(time.Minute),
			map[string]string{"bucket": "forms"}, []string{"starts-with", "$key", "uploads/"},
			[]string{"starts-with", "$success_action_redirect", "http://app.example/"},
			[]string{"starts-with", "$Content-Type", "image/"}, map[string]string{"acl": "public-read"},
			map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum[:])},
			[]any{"content-length-range", 0, 100}),
			formField{name: "key", value: "uploads/${filename}"}, formField{name: "success_action_redirect", value: "http://app.example/done?x=1"},
			formField{name: "Content-Type", value: "image/jpeg"}, formField{name: "acl", value: "public-read"},
			formField{name: "x-amz-checksum-sha256", value: base64.StdEncoding.EncodeToString(sum[:])},
			fileField("cat.jpg", "photo bytes"), formField{name: "submit", value: "ignored after the file"})
		resp, body = e.postForm("forms", fields)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST with redirect: %d %s", resp.StatusCode, body)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != "app.example" || loc.Query().Get("x") != "1" || loc.Query().Get("bucket") != "forms" ||
			loc.Query().Get("key") != "uploads/cat.jpg" || loc.Query().Get("etag") == "" {
			t.Fatalf("redirect Location %q", resp.Header.Get("Location"))
		}
		if got := e.get(e.anonymous(), "forms", "uploads/cat.jpg"); string(got) != "photo bytes" {
			t.Errorf("public-read object via anonymous GET: %q", got)
		}

		// x-amz-checksum-algorithm alone: the server computes the checksum and stores it.
		resp, body = e.postForm("forms", append(sg.fields(time.Now().Add(time.Minute), map[string]string{"key": "summed"},
			map[string]string{"x-amz-checksum-algorithm": "CRC32C"}), formField{name: "key", value: "summed"},
			formField{name: "x-amz-checksum-algorithm", value: "CRC32C"}, fileField("f", "checksum me")))
		if resp.StatusCode != 204 {
			t.Fatalf("POST with x-amz-checksum-algorithm: %d %s", resp.StatusCode, body)
		}
		ho, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String("summed"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || aws.ToString(ho.ChecksumCRC32C) != crc32cOf("checksum me") {
			t.Errorf("stored CRC32C %q, want %q (%v)", aws.ToString(ho.ChecksumCRC32C), crc32cOf("checksum me"), err)
		}

		// success_action_status 200 and the default 204.
		for status, want := range map[string]int{"200": 200, "": 204, "302": 204} {
			conds := []any{map[string]string{"bucket": "forms"}, map[string]string{"key": "s" + status}}
			fields := []formField{{name: "key", value: "s" + status}}
			if status != "" {
				conds = append(conds, map[string]string{"success_action_status": status})
				fields = append(fields, formField{name: "success_action_status", value: status})
			}
			resp, body := e.postForm("forms", append(append(sg.fields(time.Now().Add(time.Minute), conds...), fields...), fileField("f", "x")))
			if resp.StatusCode != want || len(body) != 0 || resp.Header.Get("ETag") == "" {
				t.Errorf("success_action_status %q: %d %s, want %d", status, resp.StatusCode, body, want)
			}
		}
	})
}

// Bad POST uploads get S3's error and store nothing.
func TestPostObjectBadInput(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "badforms")
	is := e.temp(alice, "")
	sg := postSigner{keyID: is.AccessKeyID, secret: is.Secret, token: is.Token, now: time.Now()}
	hour := time.Now().Add(time.Hour)
	std := []any{map[string]string{"bucket": "badforms"}, []string{"starts-with", "$key", "in/"}, []any{"content-length-range", 2, 10}}
	signed := func(exp time.Time, extra ...formField) []formField {
		return append(sg.fields(exp, std...), extra...)
	}
	key := formField{name: "key", value: "in/obj"}
	big := strings.Repeat("x", 11)
	viewer := e.newSA("viewer", "", iam.RoleViewer)
	vsg := postSigner{keyID: viewer.Key.Key.ID, secret: viewer.Key.Secret, now: time.Now()}
	wrong := sg
	wrong.secret = strings.Repeat("z", 40)
	noToken := sg
	noToken.token = ""
	twoFiles := signed(hour, key, fileField("a", "abc"))
	twoFiles = append(twoFiles, formField{name: "other", value: "def", file: true, filename: "b"})

	for _, tc := range []struct {
		name   string
		fields []formField
		status int
		code   string
		msg    string
	}{
		{"expired policy", signed(time.Now().Add(-time.Minute), key, fileField("f", "abc")), 403, "AccessDenied", "Invalid according to Policy: Policy expired."},
		{"wrong signature", append(wrong.fields(hour, std...), key, fileField("f", "abc")), 403, "SignatureDoesNotMatch", ""},
		{"token missing", append(noToken.fields(hour, std...), key, fileField("f", "abc")), 403, "SignatureDoesNotMatch", ""},
		{"unknown key", append(postSigner{keyID: "HGNOSUCHKEY0000000000", secret: "s", now: time.Now()}.fields(hour, std...), key, fileField("f", "abc")), 403, "InvalidAccessKeyId", ""},
		{"condition violated", signed(hour, formField{name: "key", value: "out/obj"}, fileField("f", "abc")), 403, "AccessDenied", `Policy Condition failed: ["starts-with", "$key", "in/"]`},
		{"field not in policy", signed(hour, key, formField{name: "x-amz-meta-extra", value: "1"}, fileField("f", "abc")), 403, "AccessDenied", "Extra input fields: x-amz-meta-extra"},
		{"over the length range", signed(hour, key, fileField("f", big)), 400, "EntityTooLarge", ""},
		{"under the length range", signed(hour, key, fileField("f", "a")), 400, "EntityTooSmall", ""},
		{"missing file", signed(hour, key), 400, "IncorrectNumberOfFilesInPostRequest", ""},
		{"two files", twoFiles, 400, "IncorrectNumberOfFilesInPostRequest", ""},
		{"fields over the cap", signed(hour, key, formField{name: "x-ignore-pad", value: strings.Repeat("p", 21<<10)}, fileField("f", "abc")), 400, "MaxPostPreDataLengthExceeded", ""},
		{"missing key", signed(hour, fileField("f", "abc")), 400, "InvalidArgument", "key"},
		{"missing signature", append(append(signed(hour)[:4:4], signed(hour)[5:]...), key, fileField("f", "abc")), 400, "InvalidArgument", "x-amz-signature"},
		{"policy not JSON", append(sg.signed("bm90IGpzb24="), key, fileField("f", "abc")), 400, "InvalidPolicyDocument", "Invalid JSON"},
		{"policy not base64", append(sg.signed("%%%"), key, fileField("f", "abc")), 400, "InvalidPolicyDocument", ""},
		{"signature version 2", []formField{key, {name: "AWSAccessKeyId", value: alice.Key.Key.ID}, {name: "policy", value: "e30="}, {name: "signature", value: "x"}, fileField("f", "abc")}, 400, "InvalidRequest", ""},
		{"anonymous on a private bucket", []formField{key, fileField("f", "abc")}, 403, "AccessDenied", ""},
		{"no PutObject permission", append(vsg.fields(hour, std...), key, fileField("f", "abc")), 403, "AccessDenied", ""},
		{"checksum mismatch", append(sg.fields(hour, append(std, map[string]string{"x-amz-checksum-crc32": "AAAAAA=="})...), key,
			formField{name: "x-amz-checksum-crc32", value: "AAAAAA=="}, fileField("f", "abc")), 400, "BadDigest", ""},
		{"acl without permission to set it", append(vsg.fields(hour, append(std, map[string]string{"acl": "public-read"})...), key,
			formField{name: "acl", value: "public-read"}, fileField("f", "abc")), 403, "AccessDenied", ""},
	} {
		resp, body := e.postForm("badforms", tc.fields)
		if resp.StatusCode != tc.status || xmlCode(body) != tc.code || !strings.Contains(string(body), xmlEscape(tc.msg)) {
			t.Errorf("%s: %d %s, want %d %s with %q", tc.name, resp.StatusCode, body, tc.status, tc.code, tc.msg)
		}
		e.absent(c, "badforms")
	}

	// Not multipart at all, and a body cut off in the middle of the file.
	req, _ := http.NewRequest(http.MethodPost, e.node.Endpoint()+"/badforms", strings.NewReader("key=a"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := e.do(req); resp.StatusCode != 400 || xmlCode(body) != "MalformedPOSTRequest" {
		t.Errorf("urlencoded POST: %d %s", resp.StatusCode, body)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range signed(hour, key) {
		mw.WriteField(f.name, f.value)
	}
	w, _ := mw.CreateFormFile("file", "f")
	w.Write([]byte("abcdef"))
	req, _ = http.NewRequest(http.MethodPost, e.node.Endpoint()+"/badforms", bytes.NewReader(buf.Bytes())) // no closing boundary
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, body := e.do(req); resp.StatusCode != 400 {
		t.Errorf("truncated multipart: %d %s", resp.StatusCode, body)
	}
	e.absent(c, "badforms")

	// Huge part headers before the file count against the cap too.
	buf.Reset()
	buf.WriteString("--b\r\nContent-Disposition: form-data; name=\"key\"\r\nX-Pad: " + strings.Repeat("h", 300<<10) + "\r\n\r\nin/obj\r\n--b--\r\n")
	req, _ = http.NewRequest(http.MethodPost, e.node.Endpoint()+"/badforms", bytes.NewReader(buf.Bytes()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	if resp, body := e.do(req); resp.StatusCode != 400 || xmlCode(body) != "MaxPostPreDataLengthExceeded" {
		t.Errorf("huge part header: %d %s", resp.StatusCode, body)
	}
}

// A session policy can allow uploads only through forms: s3:authType is POST for them.
func TestPostObjectAuthType(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	e.createBucket(e.static(alice), "onlyforms")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::onlyforms/*",
		"Condition":{"StringEquals":{"s3:authType":"POST"}}}]}`
	is := e.temp(alice, pol)
	_, err := e.temporary(is).PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("onlyforms"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")
	sg := postSigner{keyID: is.AccessKeyID, secret: is.Secret, token: is.Token, now: time.Now()}
	resp, body := e.postForm("onlyforms", append(sg.fields(time.Now().Add(time.Minute), map[string]string{"key": "k"}),
		formField{name: "key", value: "k"}, fileField("f", "x")))
	if resp.StatusCode != 204 {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func crc32cOf(s string) string {
	sum := crc32.Checksum([]byte(s), crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
}

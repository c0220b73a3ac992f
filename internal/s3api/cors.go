package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// CORS limits (S3 User Guide, "CORS configuration").
const (
	MaxCORSRules   = 100
	maxCORSBody    = 64 << 10
	maxCORSRuleID  = 255
	corsNotAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)

// CORSConfiguration is the document of Get/PutBucketCors, and its stored form.
type CORSConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	XMLNS   string     `xml:"xmlns,attr,omitempty"`
	Rules   []CORSRule `xml:"CORSRule"`
}

// CORSRule is one rule of a CORS configuration.
type CORSRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// corsMethods are the methods a CORS rule may allow.
var corsMethods = map[string]bool{"GET": true, "PUT": true, "POST": true, "DELETE": true, "HEAD": true}

// parseCORS reads and validates a CORS configuration as S3 does: 1–100 rules, each with at
// least one origin and one method, methods among GET, PUT, POST, DELETE and HEAD, at most one
// "*" in an origin or allowed header, no wildcard in expose headers, a non-negative max age.
func parseCORS(body []byte) (*CORSConfiguration, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, s3err.New("MissingRequestBodyError")
	}
	var c CORSConfiguration
	if err := xml.Unmarshal(body, &c); err != nil {
		return nil, s3err.New("MalformedXML").With(err)
	}
	if len(c.Rules) == 0 {
		return nil, s3err.New("MalformedXML").With(errors.New("no CORSRule"))
	}
	if len(c.Rules) > MaxCORSRules {
		return nil, s3err.Newf("MalformedXML", "The CORS configuration may have at most "+strconv.Itoa(MaxCORSRules)+" rules.")
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if len(r.ID) > maxCORSRuleID {
			return nil, s3err.Newf("InvalidArgument", "The ID of a CORS rule can be at most 255 characters.")
		}
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, s3err.New("MalformedXML").With(errors.New("a CORSRule needs AllowedOrigin and AllowedMethod"))
		}
		for j, m := range r.AllowedMethods {
			m = strings.TrimSpace(m)
			if !corsMethods[m] {
				return nil, s3err.Newf("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is "+m)
			}
			r.AllowedMethods[j] = m
		}
		for j, o := range r.AllowedOrigins {
			o = strings.TrimSpace(o)
			if o == "" || strings.Count(o, "*") > 1 {
				return nil, s3err.Newf("InvalidRequest", "AllowedOrigin \""+o+"\" can not have more than one wildcard.")
			}
			r.AllowedOrigins[j] = o
		}
		for j, h := range r.AllowedHeaders {
			h = strings.TrimSpace(h)
			if h == "" || strings.Count(h, "*") > 1 {
				return nil, s3err.Newf("InvalidRequest", "AllowedHeader \""+h+"\" can not have more than one wildcard.")
			}
			r.AllowedHeaders[j] = h
		}
		for j, h := range r.ExposeHeaders {
			h = strings.TrimSpace(h)
			if h == "" || strings.Contains(h, "*") {
				return nil, s3err.Newf("InvalidRequest", "ExposeHeader \""+h+"\" contains wildcard. We currently do not support wildcard for ExposeHeader.")
			}
			r.ExposeHeaders[j] = h
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return nil, s3err.Newf("MalformedXML", "MaxAgeSeconds must not be negative.")
		}
	}
	c.XMLNS = s3NS
	return &c, nil
}

// wildcardMatch matches s against a pattern with at most one "*".
func wildcardMatch(pattern, s string, fold bool) bool {
	pre, suf, star := strings.Cut(pattern, "*")
	if !star {
		if fold {
			return strings.EqualFold(pattern, s)
		}
		return pattern == s
	}
	if len(s) < len(pre)+len(suf) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(pre)], pre) && strings.EqualFold(s[len(s)-len(suf):], suf)
	}
	return strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// match returns the first rule that allows origin with method and every requested header
// (preflight), with the allowed origin that matched.
func (c *CORSConfiguration) match(origin, method string, headers []string) (*CORSRule, string) {
	for i := range c.Rules {
		r := &c.Rules[i]
		allowed := ""
		for _, o := range r.AllowedOrigins {
			if wildcardMatch(o, origin, false) {
				allowed = o
				break
			}
		}
		if allowed == "" {
			continue
		}
		ok := false
		for _, m := range r.AllowedMethods {
			if m == method {
				ok = true
				break
			}
		}
		if !ok {
			continue
		}
		for _, h := range headers {
			found := false
			for _, a := range r.AllowedHeaders {
				if wildcardMatch(a, h, true) {
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			return r, allowed
		}
	}
	return nil, ""
}

// docCache keeps one value derived from a bucket configuration document per bucket, valid
// while the directory hands out the same document (the directory shares its slices, so an
// unchanged document is the same slice and the check costs no comparison of bytes).
type docCache[T any] struct {
	m     sync.Map // bucket name → *docEntry[T]
	parse func([]byte) T
}

type docEntry[T any] struct {
	raw []byte
	val T
}

func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (c *docCache[T]) get(bucket string, raw []byte) T {
	if e, ok := c.m.Load(bucket); ok {
		if e := e.(*docEntry[T]); sameSlice(e.raw, raw) {
			return e.val
		}
	}
	v := c.parse(raw)
	c.m.Store(bucket, &docEntry[T]{raw: raw, val: v})
	return v
}

// bucketCORS returns the bucket's parsed CORS configuration (nil when it has none).
func (s *Server) bucketCORS(b *meta.Bucket) *CORSConfiguration {
	raw, ok := b.Config[meta.BucketCORS]
	if !ok || len(raw) == 0 {
		return nil
	}
	return s.corsCache.get(b.Name, raw)
}

func parseStoredCORS(raw []byte) *CORSConfiguration {
	c, err := parseCORS(raw)
	if err != nil {
		return nil
	}
	return c
}

// bucketPolicyUsesTags reports whether the bucket policy mentions s3:ExistingObjectTag (any
// case: condition keys are case-insensitive).
func (s *Server) bucketPolicyUsesTags(b *meta.Bucket) bool {
	if b == nil {
		return false
	}
	raw := b.Config[meta.BucketPolicy]
	if len(raw) == 0 {
		return false
	}
	return s.policyTagCache.get(b.Name, raw)
}

// usesExistingObjectTag reports whether a bucket policy reads s3:ExistingObjectTag, as the
// policy parser sees it (a text scan would miss a key written with JSON escapes). A document
// that does not parse counts as using it: loading tags is the safe side.
func usesExistingObjectTag(raw []byte) bool {
	p, err := policy.Parse(raw, policy.Bucket, 0)
	return err != nil || p.UsesKey(s3action.S3ExistingObjectTag)
}

// applyCORS adds the CORS response headers of an actual (non-preflight) request that carries
// an Origin header, when a rule of the bucket's configuration allows the origin and method.
// It runs before authentication so that errors, too, reach the page that asked.
func (s *Server) applyCORS(rq *request) {
	origin := rq.r.Header.Get("Origin")
	if origin == "" || rq.bucket == "" {
		return
	}
	b, ok := s.o.Dir.Bucket(rq.bucket)
	if !ok {
		return
	}
	c := s.bucketCORS(&b)
	if c == nil {
		return
	}
	h := rq.w.Header()
	h.Add("Vary", "Origin")
	rule, allowed := c.match(origin, rq.r.Method, nil)
	if rule == nil {
		return
	}
	setCORSHeaders(h, rule, allowed, origin)
}

func setCORSHeaders(h http.Header, rule *CORSRule, allowed, origin string) {
	if allowed == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*rule.MaxAgeSeconds))
	}
}

// preflight answers a CORS preflight (OPTIONS on a bucket or object path). It needs no
// authentication, as in S3: the bucket's CORS configuration alone decides.
func (s *Server) preflight(rq *request) error {
	h := rq.r.Header
	origin := h.Get("Origin")
	if origin == "" {
		return errorWithStatus("BadRequest", "Insufficient information. Origin request header needed.", http.StatusBadRequest)
	}
	method := h.Get("Access-Control-Request-Method")
	if !corsMethods[method] {
		return errorWithStatus("BadRequest", "Invalid Access-Control-Request-Method: "+method, http.StatusBadRequest)
	}
	var headers []string
	for _, v := range h.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				headers = append(headers, name)
			}
		}
	}
	c := s.bucketCORS(rq.b)
	if c == nil {
		return s3err.Newf("CORSResponse", "CORSResponse: CORS is not enabled for this bucket.")
	}
	rule, allowed := c.match(origin, method, headers)
	if rule == nil {
		return s3err.Newf("CORSResponse", corsNotAllowed)
	}
	wh := rq.w.Header()
	setCORSHeaders(wh, rule, allowed, origin)
	if len(headers) > 0 {
		wh.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	wh.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	wh.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketCors(rq *request) error {
	c := s.bucketCORS(rq.b)
	if c == nil {
		return s3err.New("NoSuchCORSConfiguration").WithResource(rq.bucket)
	}
	return writeXML(rq, c)
}

func (s *Server) putBucketCors(rq *request) error {
	body, err := readBody(rq, maxCORSBody)
	if err != nil {
		return err
	}
	c, err := parseCORS(body)
	if err != nil {
		return err
	}
	stored, err := xml.Marshal(c)
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	if err := s.o.Config.PutBucketConfig(rq.ctx, rq.bucket, meta.BucketCORS, stored); err != nil {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketCORS, stored))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteBucketCors(rq *request) error {
	if err := s.o.Config.DeleteBucketConfig(rq.ctx, rq.bucket, meta.BucketCORS); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketCORS, nil))
	return noContent(rq)
}

// errorWithStatus is an S3 error whose code the s3err table does not hold.
func errorWithStatus(code, msg string, status int) *s3err.Error {
	e := s3err.Newf(code, msg)
	e.Status = status
	return e
}

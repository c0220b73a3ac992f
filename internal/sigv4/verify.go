package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults and limits of [Options].
const (
	DefaultMaxSkew          = 15 * time.Minute
	DefaultMaxPresignExpiry = 7 * 24 * time.Hour
	// MaxPresignExpiryLimit is the most an operator may allow (Yandex
	// Object Storage allows presigned URLs of up to 30 days).
	MaxPresignExpiryLimit = 30 * 24 * time.Hour
	DefaultKeyCacheSize   = 4096
)

// Options configures a [Verifier]. The zero value is valid.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxSkew is the tolerated difference between the signing time of a
	// header-signed request and Now (default 15 minutes).
	MaxSkew time.Duration
	// MaxPresignExpiry bounds X-Amz-Expires (default 7 days, at most 30).
	MaxPresignExpiry time.Duration
	// Region, if set, is the only region accepted in a credential scope.
	// Empty accepts any region, including the empty one some clients send.
	Region string
	// KeyCacheSize bounds the number of cached signing keys (default 4096).
	KeyCacheSize int
}

// Verifier verifies SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	now        func() time.Time
	maxSkew    time.Duration
	maxPresign time.Duration
	region     string
	cache      *keyCache
}

// NewVerifier returns a Verifier, or an error if the options are out of range.
func NewVerifier(o Options) (*Verifier, error) {
	v := &Verifier{now: o.Now, maxSkew: o.MaxSkew, maxPresign: o.MaxPresignExpiry, region: o.Region}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxSkew == 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.maxPresign == 0 {
		v.maxPresign = DefaultMaxPresignExpiry
	}
	switch {
	case v.maxSkew < 0:
		return nil, errors.New("sigv4: MaxSkew must not be negative")
	case v.maxPresign < time.Second || v.maxPresign > MaxPresignExpiryLimit:
		return nil, errors.New("sigv4: MaxPresignExpiry must be between 1s and 30 days")
	case o.KeyCacheSize < 0:
		return nil, errors.New("sigv4: KeyCacheSize must not be negative")
	}
	size := o.KeyCacheSize
	if size == 0 {
		size = DefaultKeyCacheSize
	}
	v.cache = newKeyCache(size)
	return v, nil
}

// Credential is the secret a request is verified against.
type Credential struct {
	// AccessKeyID must equal the request's key ID (checked when set).
	AccessKeyID string
	// CacheID identifies this secret in the signing-key cache: the key ID
	// for a static key, the session ID for a temporary key. Empty disables
	// caching. A cached key is only used for the same secret (a fingerprint
	// is compared), so a reused CacheID cannot verify with a stale secret.
	CacheID string
	// Secret is the secret access key.
	Secret []byte
}

// VerifyOptions selects the rules of the service being called.
type VerifyOptions struct {
	// Service, if set, is the only credential-scope service accepted
	// ("s3", "sts").
	Service string
	// NormalizePath canonicalises the URI path with dot segments and
	// repeated slashes removed, as every AWS service except S3 does (STS:
	// true). S3 signs the path exactly as sent.
	NormalizePath bool
	// BufferBody, when > 0, selects the payload rule of services other than
	// S3: a request without x-amz-content-sha256 (header auth or presigned)
	// is signed over the SHA-256 of its body, which is read up to this many
	// bytes (more is EntityTooLarge). When 0, header auth requires
	// x-amz-content-sha256 and presigned URLs use UNSIGNED-PAYLOAD (S3).
	BufferBody int64
	// ComputeMD5 makes the Body compute the MD5 of the decoded body (for
	// S3 ETags) in the same pass; Content-MD5 is verified regardless.
	ComputeMD5 bool
	// NotAfter, if set, caps a presigned URL's validity (a temporary key's
	// own expiry): after it the URL has expired whatever X-Amz-Expires says.
	NotAfter time.Time
	// MaxChunkSize bounds one aws-chunked chunk (default 16 MiB).
	MaxChunkSize int64
}

// scratch holds the per-verification buffers, pooled.
type scratch struct {
	m     *macer
	canon []byte
	sts   []byte
	qb    []byte
	pairs []qpair
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{m: newMacer(), canon: make([]byte, 0, 1024), sts: make([]byte, 0, 256), qb: make([]byte, 0, 256)}
}}

func putScratch(s *scratch) {
	if cap(s.canon) > 64<<10 || cap(s.qb) > 64<<10 {
		return
	}
	scratchPool.Put(s)
}

// Verify checks the signature of r against c and returns the request body
// as a verifying [*Body] (see its documentation: the body is authenticated
// only once Read returns io.EOF). a comes from [Parse] for the same request.
// Every failure is an *Error.
func (v *Verifier) Verify(r *http.Request, a *Auth, c Credential, opt VerifyOptions) (*Body, error) {
	b, err := v.verify(r, a, &c, &opt)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (v *Verifier) verify(r *http.Request, a *Auth, c *Credential, opt *VerifyOptions) (*Body, *Error) {
	if a == nil {
		return nil, newErr(CodeAccessDenied, "The request is not signed.")
	}
	if c.AccessKeyID != "" && c.AccessKeyID != a.AccessKeyID {
		return nil, newErr(CodeInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
	}
	if len(c.Secret) == 0 {
		return nil, newErr(CodeAccessDenied, "Access Denied")
	}
	if opt.Service != "" && a.Service != opt.Service {
		return nil, malformed(a.Presigned, "incorrect service \""+clip(a.Service)+"\". This endpoint belongs to \""+opt.Service+"\"")
	}
	if v.region != "" && a.Region != v.region {
		e := malformed(a.Presigned, "the region '"+clip(a.Region)+"' is wrong; expecting '"+v.region+"'")
		e.Region = v.region
		return nil, e
	}
	if err := v.checkTime(a, opt); err != nil {
		return nil, err
	}
	checksumHeaders, err := checkSignedHeaders(r, a)
	if err != nil {
		return nil, err
	}

	// The payload hash that goes into the canonical request.
	payloadHash := a.ContentSHA256
	var buffered []byte
	if a.Payload == PayloadUnknown {
		switch {
		case opt.BufferBody > 0:
			p, err := readAllLimited(r.Body, opt.BufferBody)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(p)
			payloadHash = hex.EncodeToString(sum[:])
			if p == nil {
				p = []byte{}
			}
			buffered = p
		case a.Presigned:
			payloadHash = UnsignedPayload
		default:
			return nil, newErr(CodeInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
		}
	}

	s := scratchPool.Get().(*scratch)
	defer putScratch(s)

	key := v.signingKey(s, a, c)
	if !s.check(r, a, &key, payloadHash, opt.NormalizePath, false) {
		e := &Error{Code: CodeSignatureDoesNotMatch, Status: statusOf(CodeSignatureDoesNotMatch),
			Message: msgSignatureMismatch, AccessKeyID: a.AccessKeyID,
			CanonicalRequest: string(s.canon), StringToSign: string(s.sts), SignatureProvided: a.Signature}
		// Some signers add X-Amz-Security-Token to the query after signing
		// (the AWS suite's post-sts-header-after). The token only selects
		// the secret the signature is checked with, so accept that too.
		if r.URL == nil || !strings.Contains(r.URL.RawQuery, "X-Amz-Security-Token") ||
			!s.check(r, a, &key, payloadHash, opt.NormalizePath, true) {
			return nil, e
		}
	}
	return newBody(r, a, opt, &key, buffered, checksumHeaders)
}

func (v *Verifier) checkTime(a *Auth, opt *VerifyOptions) *Error {
	now := v.now()
	if !a.Presigned {
		d := now.Sub(a.SigningTime)
		if d > v.maxSkew || d < -v.maxSkew {
			return &Error{Code: CodeRequestTimeTooSkewed, Status: statusOf(CodeRequestTimeTooSkewed),
				Message:     "The difference between the request time and the current time is too large.",
				RequestTime: a.SigningTime, ServerTime: now, MaxSkew: v.maxSkew}
		}
		return nil
	}
	if a.Expires < time.Second {
		return newErr(CodeAuthorizationQueryParametersError, "X-Amz-Expires must be at least 1 second.")
	}
	if a.Expires > v.maxPresign {
		return newErr(CodeAuthorizationQueryParametersError,
			"X-Amz-Expires must be less than "+itoa(int(v.maxPresign/time.Second))+" seconds.")
	}
	if a.SigningTime.Sub(now) > v.maxSkew {
		return &Error{Code: CodeAccessDenied, Status: statusOf(CodeAccessDenied),
			Message: "Request is not valid yet", RequestTime: a.SigningTime, ServerTime: now}
	}
	exp := a.SigningTime.Add(a.Expires)
	if !opt.NotAfter.IsZero() && opt.NotAfter.Before(exp) {
		exp = opt.NotAfter
	}
	if now.After(exp) {
		return &Error{Code: CodeAccessDenied, Status: statusOf(CodeAccessDenied),
			Message: msgExpired, Expires: exp, ServerTime: now, RequestTime: a.SigningTime}
	}
	return nil
}

// checkSignedHeaders enforces S3's rules: host is signed, and so is every
// x-amz-* header the request carries ("There were headers present in the
// request which were not signed"), so that nobody can add x-amz-acl or
// x-amz-copy-source to a signed request. In the same pass it notes whether
// any checksum header is present.
func checkSignedHeaders(r *http.Request, a *Auth) (checksums bool, e *Error) {
	hostSigned := false
	for _, n := range a.SignedHeaders {
		if n == "host" {
			hostSigned = true
			break
		}
	}
	if !hostSigned {
		return false, newErr(CodeAccessDenied, "There were headers present in the request which were not signed: host")
	}
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		rest := k[6:]
		if hasPrefixFold(rest, "checksum-") || strings.EqualFold(rest, "trailer") || strings.EqualFold(rest, "sdk-checksum-algorithm") {
			checksums = true
		}
		// The session token may be added after signing (the AWS suite's
		// post-sts-header-after): it only selects the secret that the
		// signature is then checked with, so leaving it unsigned grants
		// nothing. Presigned URLs carry the payload hash in the query.
		if strings.EqualFold(rest, "security-token") || a.Presigned && strings.EqualFold(rest, "content-sha256") {
			continue
		}
		signed := false
		for _, n := range a.SignedHeaders {
			if strings.EqualFold(n, k) {
				signed = true
				break
			}
		}
		if !signed {
			return false, newErr(CodeAccessDenied, "There were headers present in the request which were not signed: "+clip(strings.ToLower(k)))
		}
	}
	return checksums, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func readAllLimited(body io.ReadCloser, limit int64) ([]byte, *Error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	p, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, readErr(err, "the body ended early")
	}
	if int64(len(p)) > limit {
		return nil, newErr(CodeEntityTooLarge, "The request body exceeds the maximum allowed size of "+itoa(int(limit))+" bytes.")
	}
	return p, nil
}

// signingKey returns the derived signing key for a, from the cache when the
// credential has a CacheID.
func (v *Verifier) signingKey(s *scratch, a *Auth, c *Credential) [32]byte {
	if c.CacheID == "" {
		return s.m.deriveKey(c.Secret, a.Date, a.Region, a.Service)
	}
	fp := maphash.Bytes(v.cache.seed, c.Secret)
	k := cacheKey{c.CacheID, a.Date, a.Region, a.Service}
	if key, ok := v.cache.get(k, fp); ok {
		return key
	}
	key := s.m.deriveKey(c.Secret, a.Date, a.Region, a.Service)
	v.cache.put(k, fp, &key)
	return key
}

// check computes the signature of r into s.canon and s.sts and compares it
// with the one sent, in constant time.
func (s *scratch) check(r *http.Request, a *Auth, key *[32]byte, payloadHash string, normalize, skipToken bool) bool {
	s.canon = buildCanonical(s, r, a, payloadHash, normalize, skipToken)
	s.sts = buildStringToSign(s.sts[:0], a, s.m.sum256(s.canon))
	got := s.m.mac(key[:], s.sts)
	return equal32(&got, &a.sig)
}

func buildCanonical(s *scratch, r *http.Request, a *Auth, payloadHash string, normalize, skipToken bool) []byte {
	b := s.canon[:0]
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r, normalize)
	b = append(b, '\n')
	if r.URL != nil {
		b, s.qb, s.pairs = appendCanonicalQuery(b, r.URL.RawQuery, a.Presigned, skipToken, s.qb, s.pairs)
	}
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, a.SignedHeaders)
	b = append(b, '\n')
	b = append(b, a.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	return b
}

func buildStringToSign(b []byte, a *Auth, canonHash [32]byte) []byte {
	b = append(b, "AWS4-HMAC-SHA256\n"...)
	b = append(b, a.amzDate...)
	b = append(b, '\n')
	b = append(b, a.scope...)
	b = append(b, '\n')
	return appendHex(b, canonHash[:])
}

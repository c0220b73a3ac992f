// Package authn authenticates S3 and STS requests: it parses SigV4 (sigv4), finds the secret —
// a static key from the node's in-memory directory, or a temporary key through the session
// validator — verifies the signature and returns the principal with the verifying body. It does
// no I/O on the hot path. Errors are S3 errors (s3err) wrapping the underlying sigv4 error, so the
// STS front end can translate them into its own envelope.
package authn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// Session is a validated temporary key.
type Session struct {
	Principal *iam.Principal
	// Secret is the temporary secret the request must be signed with.
	Secret []byte
}

// SessionValidator opens and checks a session token presented with keyID (DESIGN.md §3 order:
// decode → key ID → AEAD → expiry → parent key active → not revoked). Errors are *s3err.Error
// (InvalidToken, ExpiredToken, InvalidAccessKeyId, ServiceUnavailable).
type SessionValidator interface {
	Validate(ctx context.Context, token, keyID string) (*Session, error)
}

// Keys resolves static keys and their service accounts (the iam.Directory).
type Keys interface {
	Key(id string) (*iam.Key, bool)
	SA(id string) (meta.ServiceAccount, bool)
}

// Authenticator authenticates requests.
type Authenticator struct {
	Keys     Keys
	Sessions SessionValidator
	Verifier *sigv4.Verifier
}

// Options select the rules of the calling surface.
type Options struct {
	// Service is "s3" or "sts".
	Service string
	// ComputeMD5 asks the body to compute the MD5 (S3 ETags).
	ComputeMD5 bool
	// BufferBody is sigv4.VerifyOptions.BufferBody (STS: the body cap).
	BufferBody int64
}

// Result is an authenticated request.
type Result struct {
	Principal *iam.Principal
	// Auth is nil for anonymous requests.
	Auth *sigv4.Auth
	// Body is the verifying body (nil for anonymous requests: read r.Body directly).
	Body *sigv4.Body
}

// Authenticate authenticates r. Anonymous requests return AnonymousPrincipal and a nil Body.
func (a *Authenticator) Authenticate(r *http.Request, o Options) (*Result, error) {
	auth, err := sigv4.Parse(r)
	if err != nil {
		return nil, FromSigV4(err)
	}
	if auth == nil {
		return &Result{Principal: iam.AnonymousPrincipal}, nil
	}
	var (
		principal *iam.Principal
		cred      sigv4.Credential
		notAfter  time.Time
	)
	if auth.SecurityToken != "" {
		if a.Sessions == nil {
			return nil, s3err.Newf("InvalidToken", "The provided token is malformed or otherwise invalid.")
		}
		s, err := a.Sessions.Validate(r.Context(), auth.SecurityToken, auth.AccessKeyID)
		if err != nil {
			return nil, err
		}
		principal = s.Principal
		cred = sigv4.Credential{AccessKeyID: auth.AccessKeyID, CacheID: "s:" + principal.SessionID, Secret: s.Secret}
		notAfter = principal.ExpiresAt
	} else {
		k, ok := a.Keys.Key(auth.AccessKeyID)
		if !ok || k.Status != meta.KeyActive {
			return nil, s3err.New("InvalidAccessKeyId").With(errors.New("unknown or disabled static key"))
		}
		sa, ok := a.Keys.SA(k.SAID)
		if !ok {
			return nil, s3err.New("InvalidAccessKeyId").With(errors.New("key without service account"))
		}
		principal = iam.StaticPrincipal(sa, k.ID)
		cred = sigv4.Credential{AccessKeyID: k.ID, CacheID: k.CacheID, Secret: k.Secret}
	}
	body, err := a.Verifier.Verify(r, auth, cred, sigv4.VerifyOptions{
		Service: o.Service, NormalizePath: o.Service == "sts", BufferBody: o.BufferBody,
		ComputeMD5: o.ComputeMD5, NotAfter: notAfter,
	})
	if err != nil {
		return nil, FromSigV4(err)
	}
	return &Result{Principal: principal, Auth: auth, Body: body}, nil
}

// FromSigV4 converts a sigv4 error into the S3 error it describes (keeping it as the cause).
func FromSigV4(err error) error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return s3err.New("InternalError").With(err)
	}
	e := s3err.New(se.Code)
	if !s3err.Known(se.Code) {
		e = s3err.Newf("InvalidRequest", se.Message)
	}
	if se.Message != "" {
		e.Message = se.Message
	}
	if se.Status != 0 {
		e.Status = se.Status
	}
	if se.Code == sigv4.CodeSignatureDoesNotMatch {
		e.Fields = []s3err.Field{
			{Name: "AWSAccessKeyId", Value: se.AccessKeyID},
			{Name: "StringToSign", Value: se.StringToSign},
			{Name: "SignatureProvided", Value: se.SignatureProvided},
			{Name: "CanonicalRequest", Value: se.CanonicalRequest},
		}
	}
	if se.Code == "RequestTimeTooSkewed" {
		e.Fields = []s3err.Field{
			{Name: "RequestTime", Value: se.RequestTime.UTC().Format("20060102T150405Z")},
			{Name: "ServerTime", Value: se.ServerTime.UTC().Format(time.RFC3339)},
			{Name: "MaxAllowedSkewMilliseconds", Value: "900000"},
		}
	}
	return e.With(err)
}

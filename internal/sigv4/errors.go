package sigv4

import (
	"net/http"
	"time"
)

// S3 error codes produced by this package. InvalidAccessKeyId is not produced
// here (the caller decides it from its key lookup) but is listed so that all
// authentication codes live in one place.
const (
	CodeAccessDenied                      = "AccessDenied"
	CodeInvalidAccessKeyID                = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch             = "SignatureDoesNotMatch"
	CodeAuthorizationHeaderMalformed      = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
	CodeIncompleteSignature               = "IncompleteSignature"
	CodeMissingSecurityHeader             = "MissingSecurityHeader"
	CodeRequestTimeTooSkewed              = "RequestTimeTooSkewed"
	CodeXAmzContentSHA256Mismatch         = "XAmzContentSHA256Mismatch"
	CodeBadDigest                         = "BadDigest"
	CodeInvalidDigest                     = "InvalidDigest"
	CodeInvalidRequest                    = "InvalidRequest"
	CodeIncompleteBody                    = "IncompleteBody"
	CodeInvalidArgument                   = "InvalidArgument"
	CodeEntityTooLarge                    = "EntityTooLarge"
)

// Error is the one error type of this package. Code and Status are S3's;
// Message is safe to show to the client. The optional fields carry what the
// S3 and STS error documents include for some codes. No field ever holds a
// secret or a derived signing key.
type Error struct {
	Code    string
	Message string
	Status  int

	// SignatureDoesNotMatch: what the server computed and what the client
	// sent, as S3 returns them in its error XML.
	AccessKeyID       string
	CanonicalRequest  string
	StringToSign      string
	SignatureProvided string

	// RequestTimeTooSkewed: the signing time and the server's clock (STS
	// turns this into its "Signature expired" message). MaxSkew is the
	// tolerance that was exceeded.
	RequestTime time.Time
	ServerTime  time.Time
	MaxSkew     time.Duration

	// AccessDenied "Request has expired" for presigned URLs: the moment the
	// URL stopped being valid.
	Expires time.Time

	// AuthorizationHeaderMalformed / AuthorizationQueryParametersError for a
	// wrong region: the region the server expects.
	Region string

	// ArgumentName and ArgumentValue for InvalidArgument, as S3 reports them.
	ArgumentName  string
	ArgumentValue string

	// Err is an underlying cause (for example an I/O error of the request
	// body); it is for logs, not for the client.
	Err error
}

func (e *Error) Error() string {
	s := "sigv4: " + e.Code + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, &sigv4.Error{Code: sigv4.CodeAccessDenied}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: statusOf(code)}
}

func statusOf(code string) int {
	switch code {
	case CodeAccessDenied, CodeInvalidAccessKeyID, CodeSignatureDoesNotMatch,
		CodeRequestTimeTooSkewed:
		return http.StatusForbidden
	case CodeEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusBadRequest
	}
}

const (
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgExpired           = "Request has expired"
	msgUseSigV4          = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)

package sts

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// Error codes of the STS error envelope that this package produces.
const (
	CodeValidationError            = "ValidationError"
	CodeMalformedPolicyDocument    = "MalformedPolicyDocument"
	CodePackedPolicyTooLarge       = "PackedPolicyTooLarge"
	CodeInvalidAction              = "InvalidAction"
	CodeAccessDenied               = "AccessDenied"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeExpiredToken               = "ExpiredToken"
	CodeThrottling                 = "Throttling"
	CodeRequestEntityTooLarge      = "RequestEntityTooLarge"
	CodeNoSuchEntity               = "NoSuchEntity"
	CodeMethodNotAllowed           = "MethodNotAllowed"
	CodeServiceUnavailable         = "ServiceUnavailable"
	CodeInternalFailure            = "InternalFailure"
)

// AWS's messages, kept verbatim: clients and people search for them.
const (
	msgInvalidClientToken = "The security token included in the request is invalid."
	msgExpiredToken       = "The security token included in the request is expired"
	msgSignatureMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgMissingAuth        = "Request is missing Authentication Token"
	msgRateExceeded       = "Rate exceeded"
)

// Error is an STS error: what the envelope says (Code, Message, HTTP status and the fault Type)
// and the cause for the log. Message is safe to show to the client; Err never is.
type Error struct {
	Status  int
	Code    string
	Message string
	// Receiver marks a server-side fault (<Type>Receiver</Type>); otherwise the sender erred.
	Receiver bool
	Err      error
}

func (e *Error) Error() string {
	s := "sts: " + e.Code + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func newError(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg, Receiver: status >= 500}
}

func (e *Error) with(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

func errAccessDenied(msg string) *Error { return newError(http.StatusForbidden, CodeAccessDenied, msg) }

func errUnavailable(msg string, cause error) *Error {
	return newError(http.StatusServiceUnavailable, CodeServiceUnavailable, msg).with(cause)
}

func errInternal(cause error) *Error {
	return newError(http.StatusInternalServerError, CodeInternalFailure,
		"The request processing has failed because of an unknown error, exception or failure.").with(cause)
}

func errBodyTooLarge() *Error {
	return newError(http.StatusRequestEntityTooLarge, CodeRequestEntityTooLarge,
		"The request body exceeds the maximum allowed size of "+strconv.Itoa(MaxBodyBytes)+" bytes.")
}

// validation collects AWS-style constraint violations:
// "2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …; …".
type validation struct{ msgs []string }

// maxEcho bounds how much of an offending value is quoted back (a policy can be 10 KiB).
const maxEcho = 256

func echo(v string) string {
	if len(v) <= maxEcho {
		return v
	}
	cut := maxEcho
	for cut > 0 && (v[cut]&0xC0) == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return v[:cut] + "..."
}

func (v *validation) add(member, value, constraint string) {
	v.msgs = append(v.msgs, "Value '"+echo(value)+"' at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (v *validation) null(member string) {
	v.msgs = append(v.msgs, "Value null at '"+member+"' failed to satisfy constraint: Member must not be null")
}

func (v *validation) err() *Error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return newError(http.StatusBadRequest, CodeValidationError, "1 validation error detected: "+v.msgs[0])
	}
	return newError(http.StatusBadRequest, CodeValidationError,
		strconv.Itoa(len(v.msgs))+" validation errors detected: "+strings.Join(v.msgs, "; "))
}

func errValidation(msg string) *Error {
	return newError(http.StatusBadRequest, CodeValidationError, msg)
}

// amzTime is the timestamp form of AWS's "Signature expired" message.
const amzTime = "20060102T150405Z"

// fromAuth translates an authentication failure (an *s3err.Error from authn, usually wrapping a
// *sigv4.Error) into what AWS STS answers for it.
func fromAuth(r *http.Request, err error) *Error {
	var se *s3err.Error
	if !errors.As(err, &se) {
		return errInternal(err)
	}
	var ve *sigv4.Error
	hasV := errors.As(err, &ve)
	switch se.Code {
	case "InvalidAccessKeyId", "InvalidToken":
		return newError(http.StatusForbidden, CodeInvalidClientTokenID, msgInvalidClientToken).with(err)
	case "ExpiredToken":
		return newError(http.StatusBadRequest, CodeExpiredToken, msgExpiredToken).with(err)
	case "SignatureDoesNotMatch":
		return newError(http.StatusForbidden, CodeSignatureDoesNotMatch, msgSignatureMismatch).with(err)
	case "RequestTimeTooSkewed":
		if hasV {
			return newError(http.StatusForbidden, CodeSignatureDoesNotMatch, skewMessage(ve)).with(err)
		}
		return newError(http.StatusForbidden, CodeSignatureDoesNotMatch, "Signature expired").with(err)
	case "ServiceUnavailable":
		return errUnavailable(se.Message, err)
	case "EntityTooLarge":
		return errBodyTooLarge().with(err)
	case "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError":
		// AWS STS reports a credential scoped to the wrong service or region as a signature
		// mismatch with its own wording.
		if a, perr := sigv4.Parse(r); perr == nil && a != nil && a.Service != "sts" {
			return newError(http.StatusForbidden, CodeSignatureDoesNotMatch, "Credential should be scoped to correct service: 'sts'. ").with(err)
		}
		if hasV && ve.Region != "" {
			return newError(http.StatusForbidden, CodeSignatureDoesNotMatch, "Credential should be scoped to a valid region. ").with(err)
		}
		return newError(http.StatusBadRequest, CodeIncompleteSignature, se.Message).with(err)
	case "IncompleteSignature", "MissingSecurityHeader", "InvalidRequest", "InvalidArgument":
		return newError(http.StatusBadRequest, CodeIncompleteSignature, se.Message).with(err)
	case "AccessDenied":
		return errAccessDenied(se.Message).with(err)
	case "InternalError":
		return errInternal(err)
	}
	// Body-integrity failures (XAmzContentSHA256Mismatch, IncompleteBody, BadDigest, …) keep the
	// code the signer understands.
	st := se.Status
	if st == 0 {
		st = http.StatusBadRequest
	}
	return newError(st, se.Code, se.Message).with(err)
}

// skewMessage is AWS STS's wording for a signing time outside the allowed skew, e.g.
// "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)".
func skewMessage(ve *sigv4.Error) string {
	skew := ve.MaxSkew
	if skew <= 0 {
		skew = sigv4.DefaultMaxSkew
	}
	req, now := ve.RequestTime.UTC(), ve.ServerTime.UTC()
	mins := int(skew / time.Minute)
	if req.After(now) {
		return fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			req.Format(amzTime), now.Add(skew).Format(amzTime), now.Format(amzTime), mins)
	}
	return fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
		req.Format(amzTime), now.Add(-skew).Format(amzTime), now.Format(amzTime), mins)
}

package sessiontoken

import "errors"

// Sentinel errors. Callers match them with errors.Is. No error produced by
// this package contains a token, a secret or key material.
var (
	// ErrMalformed: the token is not something this package could have
	// produced (wrong prefix, bad base64, wrong length, undecodable claims).
	ErrMalformed = errors.New("sessiontoken: malformed token")
	// ErrUnknownKey: the token names a token key that is not in the
	// keyring. The caller may re-read the keyring once and retry before
	// refusing the token.
	ErrUnknownKey = errors.New("sessiontoken: unknown token key")
	// ErrInvalid: the AEAD did not authenticate the token: it was forged,
	// altered, or presented with another access key ID.
	ErrInvalid = errors.New("sessiontoken: invalid token")
	// ErrExpired: the token's claims have expired.
	ErrExpired = errors.New("sessiontoken: token expired")
	// ErrTooLarge: the token would exceed MaxTokenLen (Seal), or a
	// presented token is longer than MaxTokenLen (Open; the error then also
	// matches ErrMalformed).
	ErrTooLarge = errors.New("sessiontoken: token too large")
	// ErrBadClaims: Seal refused claims that violate a limit (field
	// lengths, character sets, lifetime). The wrapped message names the
	// field, never its value.
	ErrBadClaims = errors.New("sessiontoken: invalid claims")
	// ErrNoActiveKey: the keyring has no key whose ActivateAt is at or
	// before the issue time.
	ErrNoActiveKey = errors.New("sessiontoken: no active token key")
	// ErrBadKey: a token key is unusable (unknown algorithm, zero key
	// material, duplicate ID).
	ErrBadKey = errors.New("sessiontoken: bad token key")
	// ErrPolicyTooLarge: a compressed policy inflates beyond the caller's
	// limit.
	ErrPolicyTooLarge = errors.New("sessiontoken: policy too large")
	// ErrBadPolicy: compressed policy bytes are not valid raw DEFLATE.
	ErrBadPolicy = errors.New("sessiontoken: corrupt compressed policy")
)

// tokenError is a preallocated error with a precise message that matches one
// or more sentinels. It keeps the hot path of Open free of fmt and
// allocations while still telling operators why a token was refused.
type tokenError struct {
	msg   string
	kinds []error
}

func (e *tokenError) Error() string { return e.msg }

func (e *tokenError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

func newTokenError(msg string, kinds ...error) error {
	return &tokenError{msg: "sessiontoken: " + msg, kinds: kinds}
}

var (
	errTokenTooLong   = newTokenError("token longer than 1024 characters", ErrMalformed, ErrTooLarge)
	errNoPrefix       = newTokenError("malformed token: missing v1. prefix", ErrMalformed)
	errBadBase64      = newTokenError("malformed token: invalid base64url", ErrMalformed)
	errShort          = newTokenError("malformed token: too short", ErrMalformed)
	errClaims         = newTokenError("malformed token: undecodable claims", ErrMalformed)
	errClaimsVersion  = newTokenError("malformed token: unsupported claims version", ErrMalformed)
	errAccessKeyShape = newTokenError("invalid token: access key ID cannot belong to any token", ErrInvalid)
)

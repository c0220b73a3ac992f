package policy

import "errors"

// Sentinel errors. Every error from Parse and ValidateForBucket is an *Error whose Err is one of
// these, so callers match with errors.Is and name the element with errors.As.
var (
	ErrEmpty            = errors.New("policy: empty policy document")
	ErrTooLarge         = errors.New("policy: policy document too large")
	ErrSyntax           = errors.New("policy: malformed JSON")
	ErrDuplicateKey     = errors.New("policy: duplicate JSON key")
	ErrVersion          = errors.New("policy: unsupported Version")
	ErrUnknownElement   = errors.New("policy: unknown element")
	ErrMissingElement   = errors.New("policy: missing element")
	ErrUnknownAction    = errors.New("policy: unknown action")
	ErrUnknownOperator  = errors.New("policy: unknown condition operator")
	ErrUnknownKey       = errors.New("policy: unknown condition key")
	ErrInvalidValue     = errors.New("policy: invalid value")
	ErrInvalidResource  = errors.New("policy: invalid resource")
	ErrInvalidPrincipal = errors.New("policy: invalid principal")
)

// Error is a rejected policy document. Element names the offending part in a path form:
// "Statement[2].Condition.StringLikeX", "Statement[0].Action[1]", "Version". Statement and
// array indexes count from 0; a Statement given as a single object is just "Statement". Msg is
// safe to show to the client (it quotes the offending value, never anything else).
type Error struct {
	Element string
	Msg     string
	Err     error // one of the sentinels above
}

func (e *Error) Error() string {
	if e.Element == "" {
		return "policy: " + e.Msg
	}
	return "policy: " + e.Element + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func newErr(elem string, err error, msg string) *Error {
	return &Error{Element: elem, Msg: msg, Err: err}
}

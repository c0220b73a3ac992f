package acl

// S3 error codes this package returns in Error.Code. The S3 layer maps them
// to HTTP statuses through its error table; all are 400 except NotImplemented
// (501) and AccessDenied (403).
const (
	CodeMalformedACL             = "MalformedACLError"
	CodeInvalidArgument          = "InvalidArgument"
	CodeInvalidRequest           = "InvalidRequest"
	CodeNotImplemented           = "NotImplemented"
	CodeAccessDenied             = "AccessDenied"
	CodeMaxMessageLengthExceeded = "MaxMessageLengthExceeded"
)

// msgMalformed is the message S3 sends with MalformedACLError, kept verbatim
// because clients and test suites match on it.
const msgMalformed = "The XML you provided was not well-formed or did not validate against our published schema"

// Error is a client error with an S3 error code. Message is safe to show to
// the client; it never contains a secret (ACLs hold none).
//
// errors.Is(err, &Error{Code: CodeMalformedACL}) matches any Error with that
// code, whatever its message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "acl: " + e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }

func malformed(detail string) *Error {
	// S3's message first, then what we actually found: the client sees the
	// familiar text and a human sees the reason.
	return &Error{Code: CodeMalformedACL, Message: msgMalformed + ": " + detail}
}

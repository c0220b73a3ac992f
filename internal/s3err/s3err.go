// Package s3err is the one table of S3 error codes (code → HTTP status and AWS's message) and
// the S3 XML error envelope. Handlers return *Error values; the S3 adapter writes them.
package s3err

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
)

// Error is an S3 error: a code from the table, a client-safe message, the cause for the log.
type Error struct {
	Code    string
	Message string
	Status  int
	// Resource is reported in the XML (bucket or key path), when known.
	Resource string
	// Fields are extra XML elements S3 adds for some codes (e.g. StringToSign, BucketName).
	Fields []Field
	// Header carries extra response headers (e.g. Allow for MethodNotAllowed).
	Header http.Header
	// Err is the cause, for logs only.
	Err error
}

// Field is one extra element of the XML error body.
type Field struct {
	Name, Value string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

type entry struct {
	status int
	msg    string
}

var table = map[string]entry{
	"AccessDenied":                       {403, "Access Denied"},
	"AccountProblem":                     {403, "There is a problem with your account that prevents the operation from completing successfully."},
	"AuthorizationHeaderMalformed":       {400, "The authorization header is malformed."},
	"AuthorizationQueryParametersError":  {400, "Error parsing the X-Amz-Credential parameter."},
	"BadDigest":                          {400, "The Content-MD5 or checksum value that you specified did not match what the server received."},
	"BucketAlreadyExists":                {409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
	"BucketAlreadyOwnedByYou":            {409, "Your previous request to create the named bucket succeeded and you already own it."},
	"BucketNotEmpty":                     {409, "The bucket you tried to delete is not empty."},
	"CORSResponse":                       {403, "CORS is not enabled for this bucket."},
	"EntityTooLarge":                     {400, "Your proposed upload exceeds the maximum allowed object size."},
	"EntityTooSmall":                     {400, "Your proposed upload is smaller than the minimum allowed object size."},
	"ExpiredToken":                       {400, "The provided token has expired."},
	"IllegalLocationConstraintException": {400, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."},
	"IncompleteBody":                     {400, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	"IncompleteSignature":                {400, "The request signature does not conform to AWS standards."},
	"InternalError":                      {500, "We encountered an internal error. Please try again."},
	"InvalidAccessKeyId":                 {403, "The AWS access key ID you provided does not exist in our records."},
	"InvalidArgument":                    {400, "Invalid Argument"},
	"InvalidBucketName":                  {400, "The specified bucket is not valid."},
	"InvalidBucketState":                 {409, "The request is not valid with the current state of the bucket."},
	"InvalidDigest":                      {400, "The Content-MD5 or checksum value that you specified is not valid."},
	"InvalidLocationConstraint":          {400, "The specified location constraint is not valid."},
	"InvalidObjectState":                 {403, "The operation is not valid for the current state of the object."},
	"InvalidPart":                        {400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."},
	"InvalidPartOrder":                   {400, "The list of parts was not in ascending order. Parts must be ordered by part number."},
	"InvalidPolicyDocument":              {400, "The content of the form does not meet the conditions specified in the policy document."},
	"InvalidRange":                       {416, "The requested range is not satisfiable"},
	"InvalidRequest":                     {400, "Invalid Request"},
	"InvalidStorageClass":                {400, "The storage class you specified is not valid."},
	"InvalidTag":                         {400, "The tag provided was not a valid tag."},
	"InvalidToken":                       {400, "The provided token is malformed or otherwise invalid."},
	"KeyTooLongError":                    {400, "Your key is too long."},
	"MalformedACLError":                  {400, "The XML you provided was not well-formed or did not validate against our published schema."},
	"MalformedPOSTRequest":               {400, "The body of your POST request is not well-formed multipart/form-data."},
	"MalformedPolicy":                    {400, "Policy has invalid resource."},
	"MalformedXML":                       {400, "The XML you provided was not well-formed or did not validate against our published schema."},
	"MaxMessageLengthExceeded":           {400, "Your request was too big."},
	"MaxPostPreDataLengthExceeded":       {400, "Your POST request fields preceding the upload file were too large."},
	"MetadataTooLarge":                   {400, "Your metadata headers exceed the maximum allowed metadata size."},
	"MethodNotAllowed":                   {405, "The specified method is not allowed against this resource."},
	"MissingContentLength":               {411, "You must provide the Content-Length HTTP header."},
	"MissingRequestBodyError":            {400, "Request Body is empty."},
	"MissingSecurityHeader":              {400, "Your request is missing a required header."},
	"NoSuchBucket":                       {404, "The specified bucket does not exist."},
	"NoSuchBucketPolicy":                 {404, "The bucket policy does not exist."},
	"NoSuchCORSConfiguration":            {404, "The CORS configuration does not exist."},
	"NoSuchKey":                          {404, "The specified key does not exist."},
	"NoSuchLifecycleConfiguration":       {404, "The lifecycle configuration does not exist."},
	"NoSuchTagSet":                       {404, "The TagSet does not exist."},
	"NoSuchUpload":                       {404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
	"NoSuchVersion":                      {404, "The specified version does not exist."},
	"NotImplemented":                     {501, "A header you provided implies functionality that is not implemented."},
	"NotModified":                        {304, "Not Modified"},
	"OperationAborted":                   {409, "A conflicting conditional operation is currently in progress against this resource. Try again."},
	"PreconditionFailed":                 {412, "At least one of the preconditions you specified did not hold."},
	"RequestTimeTooSkewed":               {403, "The difference between the request time and the server's time is too large."},
	"RequestTimeout":                     {400, "Your socket connection to the server was not read from or written to within the timeout period."},
	"ServiceUnavailable":                 {503, "Service is unable to handle request."},
	"SignatureDoesNotMatch":              {403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	"SlowDown":                           {503, "Please reduce your request rate."},
	"TooManyBuckets":                     {400, "You have attempted to create more buckets than allowed."},
	"UnexpectedContent":                  {400, "This request does not support content."},
	"UnresolvableGrantByEmailAddress":    {400, "The email address you provided does not match any account on record."},
	"XAmzContentSHA256Mismatch":          {400, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	"InvalidContentEncoding":             {400, "Invalid content encoding."},
	"InvalidChecksum":                    {400, "The checksum provided is invalid."},
}

// New returns the error for code with AWS's default message and status.
func New(code string) *Error {
	e, ok := table[code]
	if !ok {
		e = entry{500, code}
	}
	return &Error{Code: code, Message: e.msg, Status: e.status}
}

// Newf returns the error for code with a specific message.
func Newf(code, msg string) *Error {
	e := New(code)
	e.Message = msg
	return e
}

// Status returns the HTTP status of a code (500 for unknown codes).
func Status(code string) int {
	if e, ok := table[code]; ok {
		return e.status
	}
	return 500
}

// Known reports whether code is in the table.
func Known(code string) bool { _, ok := table[code]; return ok }

// With returns a copy carrying the cause err.
func (e *Error) With(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// WithResource returns a copy naming the resource.
func (e *Error) WithResource(res string) *Error {
	c := *e
	c.Resource = res
	return &c
}

// As extracts an *Error, or wraps anything else as InternalError.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return New("InternalError").With(err)
}

type xmlError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	Extra     []xmlField
}

type xmlField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// Write writes e as S3's XML error envelope. HEAD requests and 304 get no body, as S3 does.
func Write(w http.ResponseWriter, r *http.Request, e *Error, requestID string) {
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	if e.Status == http.StatusNotModified {
		w.WriteHeader(e.Status)
		return
	}
	body := xmlError{Code: e.Code, Message: e.Message, Resource: e.Resource, RequestID: requestID, HostID: requestID}
	for _, f := range e.Fields {
		body.Extra = append(body.Extra, xmlField{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	out, _ := xml.Marshal(body)
	h.Set("Content-Type", "application/xml")
	h.Del("Content-Length")
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(out)))
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(out)
}

package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm this package accepts.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	iso8601Basic = "20060102T150405Z"
	terminator   = "aws4_request"

	// maxAuthLen bounds the Authorization header and the presigned
	// parameters we are willing to look at; real ones are a few hundred
	// bytes, a session token at most a few KiB.
	maxAuthLen = 16 << 10
)

// PayloadMode says how the request body is protected, from the value of
// x-amz-content-sha256 (or, for presigned URLs, the X-Amz-Content-Sha256
// query parameter).
type PayloadMode uint8

const (
	// PayloadUnknown: the request sent no x-amz-content-sha256. Under the
	// rules of AWS services other than S3 the body's SHA-256 is signed
	// ([VerifyOptions.BufferBody]); S3 header auth requires the header.
	PayloadUnknown PayloadMode = iota
	// PayloadSHA256: a literal hex SHA-256 of the body.
	PayloadSHA256
	// PayloadUnsigned: UNSIGNED-PAYLOAD (presigned URLs default to it).
	PayloadUnsigned
	// PayloadStreamingSigned: STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
	PayloadStreamingSigned
	// PayloadStreamingSignedTrailer: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.
	PayloadStreamingSignedTrailer
	// PayloadStreamingUnsignedTrailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER.
	PayloadStreamingUnsignedTrailer
)

// Values of x-amz-content-sha256 that are not a hash.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Streaming reports whether the body is aws-chunked encoded.
func (m PayloadMode) Streaming() bool { return m >= PayloadStreamingSigned }

func (m PayloadMode) String() string {
	switch m {
	case PayloadSHA256:
		return "SHA256"
	case PayloadUnsigned:
		return UnsignedPayload
	case PayloadStreamingSigned:
		return StreamingSignedPayload
	case PayloadStreamingSignedTrailer:
		return StreamingSignedPayloadTrailer
	case PayloadStreamingUnsignedTrailer:
		return StreamingUnsignedPayloadTrailer
	}
	return "unknown"
}

// Auth is the authentication information of a SigV4 request, parsed but not
// verified. Strings may share memory with the request's header or URL.
type Auth struct {
	// Presigned is true for query-string authentication (a presigned URL).
	Presigned bool

	// AccessKeyID from the credential scope.
	AccessKeyID string

	// SigningTime is X-Amz-Date (or the Date header) in UTC.
	SigningTime time.Time

	// Credential scope: Date is YYYYMMDD; Region may be empty (some clients
	// send an empty region); Service is "s3", "sts", ...
	Date    string
	Region  string
	Service string

	// SignedHeaders are the lower-case header names in signing order.
	SignedHeaders []string

	// Signature is the hex signature as sent.
	Signature string

	// SecurityToken is X-Amz-Security-Token (header, or query parameter);
	// empty for a static key.
	SecurityToken string

	// Payload is the payload mode, ContentSHA256 the raw value it came from
	// ("" when the client sent none).
	Payload       PayloadMode
	ContentSHA256 string

	// Expires is X-Amz-Expires of a presigned URL (zero for header auth).
	Expires time.Duration

	amzDate       string // the ISO 8601 basic time used in the string to sign
	scope         string // "date/region/service/aws4_request"
	signedHeaders string // as sent, used verbatim in the canonical request
	sig           [32]byte
}

// Scope returns the credential scope "date/region/service/aws4_request".
func (a *Auth) Scope() string { return a.scope }

// Parse extracts SigV4 authentication from r without verifying it. It
// returns (nil, nil) for an anonymous request (no Authorization header and no
// presigned query parameters). SigV2 requests, other algorithms and malformed
// parameters are an *Error.
func Parse(r *http.Request) (*Auth, error) {
	a, err := parse(r)
	if err != nil {
		return nil, err
	}
	return a, nil
}

func parse(r *http.Request) (*Auth, *Error) {
	hv := r.Header["Authorization"]
	q := ""
	if r.URL != nil {
		q = r.URL.RawQuery
	}
	queryAuth := q != "" && (strings.Contains(q, "X-Amz-") || strings.Contains(q, "Signature") ||
		strings.Contains(q, "AWSAccessKeyId"))
	var qp presignParams
	if queryAuth {
		if err := qp.collect(q); err != nil {
			return nil, err
		}
		queryAuth = qp.any()
	}
	if len(hv) == 0 {
		if !queryAuth {
			return nil, nil
		}
		return parsePresigned(r, &qp)
	}
	if len(hv) > 1 {
		return nil, newErr(CodeInvalidArgument, "Only one Authorization header is allowed.")
	}
	if queryAuth && (qp.sigV2() || qp.algorithm.set || qp.signature.set || qp.credential.set) {
		return nil, newErr(CodeInvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	}
	a := &Auth{}
	if err := parseAuthorization(hv[0], a); err != nil {
		return nil, err
	}
	if v := r.Header["X-Amz-Date"]; len(v) > 0 {
		t, ok := parseAmzDate(v[0])
		if !ok {
			return nil, newErr(CodeAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
		a.SigningTime, a.amzDate = t, v[0]
	} else if v := r.Header["Date"]; len(v) > 0 {
		t, err := http.ParseTime(v[0])
		if err != nil {
			return nil, newErr(CodeAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
		a.SigningTime = t.UTC()
		a.amzDate = a.SigningTime.Format(iso8601Basic)
	} else {
		return nil, newErr(CodeAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
	}
	if a.amzDate[:8] != a.Date {
		return nil, &Error{Code: CodeAuthorizationHeaderMalformed, Status: http.StatusBadRequest,
			Message: "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."}
	}
	if v := r.Header["X-Amz-Security-Token"]; len(v) > 0 {
		a.SecurityToken = v[0]
	} else if qp.token.set {
		a.SecurityToken = qp.token.v
	}
	if v := r.Header["X-Amz-Content-Sha256"]; len(v) > 0 {
		a.ContentSHA256 = v[0]
		m, err := payloadMode(v[0])
		if err != nil {
			return nil, err
		}
		a.Payload = m
	}
	return a, nil
}

// parseAuthorization parses the value of an Authorization header.
func parseAuthorization(v string, a *Auth) *Error {
	if len(v) > maxAuthLen {
		return malformed(false, "the Authorization header is too long")
	}
	alg, rest, _ := strings.Cut(v, " ")
	switch {
	case alg == Algorithm:
	case alg == "AWS":
		return newErr(CodeInvalidRequest, msgUseSigV4)
	case strings.HasPrefix(alg, "AWS4-"):
		return newErr(CodeInvalidArgument, "Unsupported Authorization Type; "+msgUseSigV4[len("The authorization mechanism you have provided is not supported. "):])
	default:
		return &Error{Code: CodeInvalidArgument, Status: http.StatusBadRequest, Message: "Unsupported Authorization Type",
			ArgumentName: "Authorization"}
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return malformed(false, "the authorization component \""+clip(part)+"\" is malformed")
		}
		switch k {
		case "Credential":
			if haveCred {
				return malformed(false, "duplicate Credential")
			}
			cred, haveCred = val, true
		case "SignedHeaders":
			if haveSigned {
				return malformed(false, "duplicate SignedHeaders")
			}
			signed, haveSigned = val, true
		case "Signature":
			if haveSig {
				return malformed(false, "duplicate Signature")
			}
			sig, haveSig = val, true
		default:
			return malformed(false, "the authorization component \""+clip(part)+"\" is malformed")
		}
	}
	switch {
	case !haveCred:
		return newErr(CodeIncompleteSignature, "Authorization header requires 'Credential' parameter.")
	case !haveSigned:
		return newErr(CodeIncompleteSignature, "Authorization header requires 'SignedHeaders' parameter.")
	case !haveSig:
		return newErr(CodeIncompleteSignature, "Authorization header requires 'Signature' parameter.")
	}
	if err := parseCredential(cred, a, false); err != nil {
		return err
	}
	if err := parseSignedHeaders(signed, a, false); err != nil {
		return err
	}
	if !decodeSig(sig, &a.sig) {
		return malformed(false, "the Signature must be 64 hexadecimal characters")
	}
	a.Signature = sig
	return nil
}

func malformed(presigned bool, detail string) *Error {
	if presigned {
		return newErr(CodeAuthorizationQueryParametersError, "Error parsing the query-string authentication parameters; "+detail+".")
	}
	return newErr(CodeAuthorizationHeaderMalformed, "The authorization header is malformed; "+detail+".")
}

// clip shortens attacker-controlled text before it goes into a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// parseCredential parses "AKID/YYYYMMDD/region/service/aws4_request". The
// key ID is everything before the last four slashes.
func parseCredential(c string, a *Auth, presigned bool) *Error {
	const expect = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"`
	i4 := strings.LastIndexByte(c, '/')
	if i4 < 0 {
		return malformed(presigned, expect)
	}
	i3 := strings.LastIndexByte(c[:i4], '/')
	if i3 < 0 {
		return malformed(presigned, expect)
	}
	i2 := strings.LastIndexByte(c[:i3], '/')
	if i2 < 0 {
		return malformed(presigned, expect)
	}
	i1 := strings.LastIndexByte(c[:i2], '/')
	if i1 <= 0 {
		return malformed(presigned, expect)
	}
	date, region, service, term := c[i1+1:i2], c[i2+1:i3], c[i3+1:i4], c[i4+1:]
	if term != terminator {
		return malformed(presigned, "incorrect terminal \""+clip(term)+"\". This endpoint uses \"aws4_request\"")
	}
	if len(date) != 8 || !allDigits(date) {
		return malformed(presigned, "incorrect date format \""+clip(date)+"\". This date in the credential must be in the format \"yyyyMMdd\"")
	}
	if service == "" {
		return malformed(presigned, expect)
	}
	a.AccessKeyID = c[:i1]
	a.Date, a.Region, a.Service = date, region, service
	a.scope = c[i1+1:]
	return nil
}

// parseSignedHeaders checks a SignedHeaders list: lower-case header names
// separated by ';'.
func parseSignedHeaders(s string, a *Auth, presigned bool) *Error {
	if s == "" {
		return malformed(presigned, "SignedHeaders is empty")
	}
	n := 1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ';':
			if i == 0 || i == len(s)-1 || s[i-1] == ';' {
				return malformed(presigned, "SignedHeaders contains an empty header name")
			}
			n++
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return malformed(presigned, "SignedHeaders must be lower-case header names separated by ';'")
		}
	}
	names := make([]string, 0, n)
	for s2 := s; s2 != ""; {
		var name string
		name, s2, _ = strings.Cut(s2, ";")
		names = append(names, name)
	}
	a.SignedHeaders = names
	a.signedHeaders = s
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeSig decodes 64 hex digits (either case) into dst.
func decodeSig[T ~string | ~[]byte](s T, dst *[32]byte) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < 32; i++ {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseAmzDate parses the ISO 8601 basic format 20060102T150405Z without
// allocating.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' || !allDigits(s[:8]) || !allDigits(s[9:15]) {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, mo, d := num(s[0:4]), num(s[4:6]), num(s[6:8])
	h, mi, se := num(s[9:11]), num(s[11:13]), num(s[13:15])
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func payloadMode(v string) (PayloadMode, *Error) {
	switch v {
	case UnsignedPayload:
		return PayloadUnsigned, nil
	case StreamingSignedPayload:
		return PayloadStreamingSigned, nil
	case StreamingSignedPayloadTrailer:
		return PayloadStreamingSignedTrailer, nil
	case StreamingUnsignedPayloadTrailer:
		return PayloadStreamingUnsignedTrailer, nil
	}
	var h [32]byte
	if decodeSig(v, &h) {
		return PayloadSHA256, nil
	}
	if strings.HasPrefix(v, "STREAMING-AWS4-ECDSA") {
		return 0, newErr(CodeInvalidRequest, "SigV4a streaming payloads are not supported. Please use AWS4-HMAC-SHA256.")
	}
	return 0, &Error{Code: CodeInvalidArgument, Status: http.StatusBadRequest,
		Message:      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
		ArgumentName: "x-amz-content-sha256", ArgumentValue: clip(v)}
}

// qparam is one presigned query parameter.
type qparam struct {
	v   string
	set bool
	dup bool
}

func (p *qparam) put(v string) {
	if p.set {
		p.dup = true
	}
	p.v, p.set = v, true
}

type presignParams struct {
	algorithm, credential, date, expires, signedHeaders, signature, token, contentSHA256 qparam
	v2AccessKey, v2Signature                                                             bool
}

func (p *presignParams) any() bool {
	return p.algorithm.set || p.credential.set || p.signature.set || p.sigV2()
}

func (p *presignParams) sigV2() bool { return p.v2AccessKey || p.v2Signature }

// collect picks the authentication parameters out of a raw query string.
func (p *presignParams) collect(q string) *Error {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		if strings.IndexByte(k, '%') >= 0 || strings.IndexByte(k, '+') >= 0 {
			dk, err := url.QueryUnescape(k)
			if err != nil {
				continue // not one of ours; canonicalisation deals with it
			}
			k = dk
		}
		var dst *qparam
		switch k {
		case "X-Amz-Algorithm":
			dst = &p.algorithm
		case "X-Amz-Credential":
			dst = &p.credential
		case "X-Amz-Date":
			dst = &p.date
		case "X-Amz-Expires":
			dst = &p.expires
		case "X-Amz-SignedHeaders":
			dst = &p.signedHeaders
		case "X-Amz-Signature":
			dst = &p.signature
		case "X-Amz-Security-Token":
			dst = &p.token
		case "X-Amz-Content-Sha256":
			dst = &p.contentSHA256
		case "AWSAccessKeyId":
			p.v2AccessKey = true
			continue
		case "Signature":
			p.v2Signature = true
			continue
		default:
			continue
		}
		if len(v) > maxAuthLen {
			return malformed(true, "the parameter "+k+" is too long")
		}
		if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				return malformed(true, "the parameter "+k+" is not properly URL-encoded")
			}
			v = dv
		}
		dst.put(v)
	}
	return nil
}

func parsePresigned(r *http.Request, p *presignParams) (*Auth, *Error) {
	if !p.algorithm.set && p.sigV2() {
		return nil, newErr(CodeInvalidRequest, msgUseSigV4)
	}
	if !p.algorithm.set || !p.credential.set || !p.date.set || !p.expires.set || !p.signedHeaders.set || !p.signature.set {
		return nil, newErr(CodeAuthorizationQueryParametersError,
			"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	for _, q := range []*qparam{&p.algorithm, &p.credential, &p.date, &p.expires, &p.signedHeaders, &p.signature, &p.token, &p.contentSHA256} {
		if q.dup {
			return nil, malformed(true, "an X-Amz-* authentication parameter appears more than once")
		}
	}
	if p.algorithm.v != Algorithm {
		if p.algorithm.v == "AWS4-ECDSA-P256-SHA256" {
			return nil, newErr(CodeInvalidRequest, msgUseSigV4)
		}
		return nil, newErr(CodeAuthorizationQueryParametersError,
			"X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	if r.Header["Authorization"] != nil {
		return nil, newErr(CodeInvalidArgument, "Only one auth mechanism allowed")
	}
	a := &Auth{Presigned: true}
	if err := parseCredential(p.credential.v, a, true); err != nil {
		return nil, err
	}
	t, ok := parseAmzDate(p.date.v)
	if !ok {
		return nil, newErr(CodeAuthorizationQueryParametersError,
			"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	a.SigningTime, a.amzDate = t, p.date.v
	if a.amzDate[:8] != a.Date {
		return nil, malformed(true, "Invalid credential date. Date is not the same as X-Amz-Date")
	}
	exp := p.expires.v
	if exp == "" || len(exp) > 10 || !allDigits(exp) {
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Expires should be a number")
	}
	secs, _ := strconv.ParseInt(exp, 10, 64)
	a.Expires = time.Duration(secs) * time.Second
	if err := parseSignedHeaders(p.signedHeaders.v, a, true); err != nil {
		return nil, err
	}
	if !decodeSig(p.signature.v, &a.sig) {
		return nil, malformed(true, "X-Amz-Signature must be 64 hexadecimal characters")
	}
	a.Signature = p.signature.v
	if p.token.set {
		a.SecurityToken = p.token.v
	} else if v := r.Header["X-Amz-Security-Token"]; len(v) > 0 {
		a.SecurityToken = v[0]
	}
	if p.contentSHA256.set {
		a.ContentSHA256 = p.contentSHA256.v
		m, err := payloadMode(a.ContentSHA256)
		if err != nil {
			return nil, err
		}
		if m.Streaming() {
			return nil, newErr(CodeInvalidRequest, "Presigned URLs cannot use a streaming payload.")
		}
		a.Payload = m
	}
	return a, nil
}

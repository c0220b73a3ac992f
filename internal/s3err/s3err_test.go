package s3err

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// awsStatus is the HTTP status AWS documents for each code, transcribed from the S3 API
// reference "Error responses → List of error codes" (and, for NoSuchTagSet, the tagging list),
// not from table: a code whose status drifts from S3's fails here.
var awsStatus = map[string]int{
	"AccessDenied":                       403,
	"AccountProblem":                     403,
	"AuthorizationHeaderMalformed":       400,
	"AuthorizationQueryParametersError":  400,
	"BadDigest":                          400,
	"BucketAlreadyExists":                409,
	"BucketAlreadyOwnedByYou":            409,
	"BucketNotEmpty":                     409,
	"CORSResponse":                       403,
	"EntityTooLarge":                     400,
	"EntityTooSmall":                     400,
	"ExpiredToken":                       400,
	"IllegalLocationConstraintException": 400,
	"IncompleteBody":                     400,
	"IncompleteSignature":                400,
	"InternalError":                      500,
	"InvalidAccessKeyId":                 403,
	"InvalidArgument":                    400,
	"InvalidBucketName":                  400,
	"InvalidBucketState":                 409,
	"InvalidDigest":                      400,
	"InvalidLocationConstraint":          400,
	"InvalidObjectState":                 403,
	"InvalidPart":                        400,
	"InvalidPartOrder":                   400,
	"InvalidPolicyDocument":              400,
	"InvalidRange":                       416,
	"InvalidRequest":                     400,
	"InvalidStorageClass":                400,
	"InvalidTag":                         400,
	"InvalidToken":                       400,
	"KeyTooLongError":                    400,
	"MalformedACLError":                  400,
	"MalformedPOSTRequest":               400,
	"MalformedPolicy":                    400,
	"MalformedXML":                       400,
	"MaxMessageLengthExceeded":           400,
	"MaxPostPreDataLengthExceeded":       400,
	"MetadataTooLarge":                   400,
	"MethodNotAllowed":                   405,
	"MissingContentLength":               411,
	"MissingRequestBodyError":            400,
	"MissingSecurityHeader":              400,
	"NoSuchBucket":                       404,
	"NoSuchBucketPolicy":                 404,
	"NoSuchCORSConfiguration":            404,
	"NoSuchKey":                          404,
	"NoSuchLifecycleConfiguration":       404,
	"NoSuchTagSet":                       404,
	"NoSuchUpload":                       404,
	"NoSuchVersion":                      404,
	"NotImplemented":                     501,
	"NotModified":                        304,
	"OperationAborted":                   409,
	"PreconditionFailed":                 412,
	"RequestTimeTooSkewed":               403,
	"RequestTimeout":                     400,
	"ServiceUnavailable":                 503,
	"SignatureDoesNotMatch":              403,
	"SlowDown":                           503,
	"TooManyBuckets":                     400,
	"UnexpectedContent":                  400,
	"UnresolvableGrantByEmailAddress":    400,
	"XAmzContentSHA256Mismatch":          400,
}

// notInAWSList are codes the table holds that AWS's list does not document; they are only held
// to being client errors.
var notInAWSList = map[string]bool{
	"InvalidContentEncoding": true,
	"InvalidChecksum":        true,
}

// wireError is the S3 error envelope as a client decodes it; Extra catches every element the
// named fields do not.
type wireError struct {
	XMLName   xml.Name
	Code      string
	Message   string
	Resource  *string
	RequestID string      `xml:"RequestId"`
	HostID    string      `xml:"HostId"`
	Extra     []wireField `xml:",any"`
}

type wireField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// decode checks that body is one well-formed XML document with the XML declaration and decodes it.
func decode(t *testing.T, body []byte) wireError {
	t.Helper()
	if !strings.HasPrefix(string(body), "<?xml") {
		t.Fatalf("body does not start with an XML declaration: %q", body)
	}
	d := xml.NewDecoder(strings.NewReader(string(body)))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("body is not well-formed XML: %v\n%s", err, body)
		}
	}
	var w wireError
	if err := xml.Unmarshal(body, &w); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, body)
	}
	if w.XMLName.Local != "Error" {
		t.Fatalf("root element %q, want Error", w.XMLName.Local)
	}
	return w
}

func write(e *Error, method, requestID string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	Write(rec, httptest.NewRequest(method, "/bucket/key", nil), e, requestID)
	return rec
}

func TestTableMatchesAWSStatuses(t *testing.T) {
	for code := range table {
		if _, ok := awsStatus[code]; !ok && !notInAWSList[code] {
			t.Errorf("table code %q has no documented status in this test; add it with AWS's status", code)
		}
	}
	for code, want := range awsStatus {
		t.Run(code, func(t *testing.T) {
			if !Known(code) {
				t.Fatalf("Known(%q) = false", code)
			}
			if got := Status(code); got != want {
				t.Errorf("Status(%q) = %d, want %d", code, got, want)
			}
			e := New(code)
			if e.Code != code || e.Status != want {
				t.Errorf("New(%q) = {Code %q, Status %d}, want status %d", code, e.Code, e.Status, want)
			}
			if e.Message == "" || e.Message == code {
				t.Errorf("New(%q).Message = %q, want AWS's message", code, e.Message)
			}
			if rec := write(e, http.MethodGet, "req-1"); rec.Code != want {
				t.Errorf("Write status %d, want %d", rec.Code, want)
			}
		})
	}
	for code := range notInAWSList {
		if s := Status(code); !Known(code) || s < 400 || s > 499 {
			t.Errorf("%s: Known %v, Status %d; want a known 4xx", code, Known(code), s)
		}
	}
}

func TestUnknownCode(t *testing.T) {
	const code = "NoSuchThingInTheTable"
	if Known(code) {
		t.Fatalf("Known(%q) = true", code)
	}
	if got := Status(code); got != http.StatusInternalServerError {
		t.Errorf("Status = %d, want 500", got)
	}
	e := New(code)
	if e.Code != code || e.Status != http.StatusInternalServerError || e.Message == "" {
		t.Errorf("New(unknown) = %+v, want the code kept, status 500 and a message", e)
	}
	if e := Newf(code, "custom"); e.Status != http.StatusInternalServerError || e.Message != "custom" {
		t.Errorf("Newf(unknown) = %+v", e)
	}
}

func TestNewfKeepsStatusReplacesMessage(t *testing.T) {
	e := Newf("NoSuchKey", "that key is gone")
	if e.Code != "NoSuchKey" || e.Status != Status("NoSuchKey") || e.Message != "that key is gone" {
		t.Errorf("Newf = %+v", e)
	}
	if New("NoSuchKey").Message == e.Message {
		t.Error("Newf did not replace the default message")
	}
}

func TestWriteEnvelope(t *testing.T) {
	tests := []struct {
		name      string
		err       *Error
		requestID string
		want      wireError
	}{
		{
			name:      "defaults",
			err:       New("NoSuchBucket"),
			requestID: "RID1",
			want:      wireError{Code: "NoSuchBucket", Message: New("NoSuchBucket").Message, RequestID: "RID1", HostID: "RID1"},
		},
		{
			name:      "resource",
			err:       Newf("NoSuchKey", "gone").WithResource("/b/k"),
			requestID: "RID2",
			want:      wireError{Code: "NoSuchKey", Message: "gone", Resource: ptr("/b/k"), RequestID: "RID2", HostID: "RID2"},
		},
		{
			name: "extra fields in order",
			err: func() *Error {
				e := New("SignatureDoesNotMatch")
				e.Fields = []Field{{"AWSAccessKeyId", "AKID"}, {"StringToSign", "AWS4-HMAC-SHA256\n20240101T000000Z"}, {"SignatureProvided", "abc"}}
				return e
			}(),
			requestID: "RID3",
			want: wireError{Code: "SignatureDoesNotMatch", Message: New("SignatureDoesNotMatch").Message, RequestID: "RID3", HostID: "RID3",
				Extra: []wireField{
					{XMLName: xml.Name{Local: "AWSAccessKeyId"}, Value: "AKID"},
					{XMLName: xml.Name{Local: "StringToSign"}, Value: "AWS4-HMAC-SHA256\n20240101T000000Z"},
					{XMLName: xml.Name{Local: "SignatureProvided"}, Value: "abc"},
				}},
		},
		{
			name:      "empty request ID still has the elements",
			err:       New("AccessDenied"),
			requestID: "",
			want:      wireError{Code: "AccessDenied", Message: New("AccessDenied").Message},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := write(tc.err, http.MethodGet, tc.requestID)
			if rec.Code != tc.err.Status {
				t.Errorf("status %d, want %d", rec.Code, tc.err.Status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			body := rec.Body.Bytes()
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length %q, body is %d bytes", cl, len(body))
			}
			got := decode(t, body)
			got.XMLName = xml.Name{}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
			for _, el := range []string{"<RequestId>", "<HostId>"} {
				if !strings.Contains(string(body), el) {
					t.Errorf("body lacks %s element: %s", el, body)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

// Messages and fields carry client input (form field names, location constraints, keys): markup
// in them must come back as text, not as elements.
func TestWriteEscapesSpecialCharacters(t *testing.T) {
	const hostile = `a<b>&c"d'e]]><Code>Forged</Code>`
	e := Newf("InvalidArgument", "The form field "+hostile+" appears more than once.").WithResource("/b/" + hostile)
	e.Fields = []Field{{Name: "ArgumentName", Value: hostile}}
	rec := write(e, http.MethodPut, "r&<id>")
	body := rec.Body.String()
	if strings.Contains(body, "<b>") || strings.Contains(body, "<Code>Forged") {
		t.Fatalf("markup from the message reached the body unescaped: %s", body)
	}
	got := decode(t, rec.Body.Bytes())
	if got.Code != "InvalidArgument" {
		t.Errorf("Code %q", got.Code)
	}
	if got.Message != e.Message {
		t.Errorf("Message %q, want %q", got.Message, e.Message)
	}
	if got.Resource == nil || *got.Resource != e.Resource {
		t.Errorf("Resource %v, want %q", got.Resource, e.Resource)
	}
	if got.RequestID != "r&<id>" {
		t.Errorf("RequestId %q", got.RequestID)
	}
	if len(got.Extra) != 1 || got.Extra[0].Value != hostile {
		t.Errorf("Extra %+v, want ArgumentName=%q", got.Extra, hostile)
	}
}

// XML 1.0 cannot carry NUL, most C0 controls or invalid UTF-8; a message holding them must still
// yield a document a client can parse.
func TestWriteStaysWellFormedWithUnrepresentableCharacters(t *testing.T) {
	e := Newf("InvalidArgument", "bad\x00name\x1b[31m\xff\xfeend")
	e.Fields = []Field{{Name: "ArgumentValue", Value: "\x01\x02"}}
	rec := write(e, http.MethodGet, "rid")
	got := decode(t, rec.Body.Bytes())
	if !strings.HasPrefix(got.Message, "bad") || !strings.HasSuffix(got.Message, "end") {
		t.Errorf("Message %q lost its printable parts", got.Message)
	}
}

func TestWriteHeaders(t *testing.T) {
	e := New("MethodNotAllowed")
	e.Header = http.Header{"Allow": {"GET, HEAD"}, "X-Amz-Custom": {"a", "b"}}
	rec := httptest.NewRecorder()
	// A handler may have set headers for a success it did not reach.
	rec.Header().Set("Content-Length", "999999")
	rec.Header().Set("Content-Type", "application/octet-stream")
	Write(rec, httptest.NewRequest(http.MethodDelete, "/b", nil), e, "rid")

	h := rec.Result().Header
	if got := h.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow %q", got)
	}
	if got := h.Values("X-Amz-Custom"); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("X-Amz-Custom %q", got)
	}
	if got := h.Get("Content-Type"); got != "application/xml" {
		t.Errorf("Content-Type %q", got)
	}
	if got, want := h.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("Content-Length %q, want %q (the body's length)", got, want)
	}
	decode(t, rec.Body.Bytes())
}

func TestWriteHEADHasNoBody(t *testing.T) {
	e := New("NoSuchKey")
	e.Header = http.Header{"X-Amz-Delete-Marker": {"true"}}
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Length", "1234")
	Write(rec, httptest.NewRequest(http.MethodHead, "/b/k", nil), e, "rid")
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD got a body: %q", rec.Body.String())
	}
	if got := rec.Header().Get("Content-Length"); got == "1234" {
		t.Error("a stale Content-Length survived on HEAD")
	}
	if got := rec.Header().Get("X-Amz-Delete-Marker"); got != "true" {
		t.Errorf("header not propagated on HEAD: %q", got)
	}
}

func TestWriteNotModifiedHasNoBody(t *testing.T) {
	e := New("NotModified")
	e.Header = http.Header{"Etag": {`"abc"`}}
	rec := write(e, http.MethodGet, "rid")
	if rec.Code != http.StatusNotModified {
		t.Errorf("status %d", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("304 got a body: %q", rec.Body.String())
	}
	if got := rec.Header().Get("ETag"); got != `"abc"` {
		t.Errorf("ETag %q", got)
	}
}

// The cause is for logs only: it must not reach the client, since causes can hold paths,
// upstream responses or credentials.
func TestWriteDoesNotLeakCause(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	cause := fmt.Errorf("db: dial postgres://hourglass:%s@db:5432: refused", secret)
	for _, e := range []*Error{As(cause), New("AccessDenied").With(cause), Newf("SlowDown", "retry").With(cause)} {
		rec := write(e, http.MethodGet, "rid")
		if strings.Contains(rec.Body.String(), secret) || strings.Contains(fmt.Sprint(rec.Header()), secret) {
			t.Errorf("%s: the cause reached the response:\n%s", e.Code, rec.Body.String())
		}
		if !strings.Contains(e.Error(), secret) {
			t.Errorf("%s: Error() = %q lacks the cause the log needs", e.Code, e.Error())
		}
	}
}

func TestErrorString(t *testing.T) {
	e := Newf("NoSuchKey", "gone")
	if s := e.Error(); !strings.Contains(s, "NoSuchKey") || !strings.Contains(s, "gone") {
		t.Errorf("Error() = %q", s)
	}
	w := e.With(errors.New("blob: open /data/x: no such file"))
	if s := w.Error(); !strings.Contains(s, "NoSuchKey") || !strings.Contains(s, "gone") || !strings.Contains(s, "blob: open /data/x") {
		t.Errorf("Error() with cause = %q", s)
	}
}

func TestWrapping(t *testing.T) {
	t.Run("Unwrap reaches the cause", func(t *testing.T) {
		e := New("NoSuchKey").With(fs.ErrNotExist)
		if !errors.Is(e, fs.ErrNotExist) {
			t.Error("errors.Is(e, cause) = false")
		}
		if New("NoSuchKey").Unwrap() != nil {
			t.Error("Unwrap of an error without cause is not nil")
		}
	})
	t.Run("errors.As through wrapping", func(t *testing.T) {
		orig := New("SlowDown")
		wrapped := fmt.Errorf("put: %w", orig)
		var e *Error
		if !errors.As(wrapped, &e) || e != orig {
			t.Fatalf("errors.As = %v, %p; want %p", e, e, orig)
		}
		if got := As(wrapped); got != orig {
			t.Errorf("As(wrapped) = %p, want the original %p", got, orig)
		}
	})
	t.Run("As wraps foreign errors as InternalError", func(t *testing.T) {
		cause := errors.New("meta: disk I/O error")
		e := As(fmt.Errorf("load: %w", cause))
		if e.Code != "InternalError" || e.Status != http.StatusInternalServerError {
			t.Errorf("As(foreign) = {%s %d}", e.Code, e.Status)
		}
		if e.Message != New("InternalError").Message {
			t.Errorf("As(foreign).Message = %q, want the generic message", e.Message)
		}
		if !errors.Is(e, cause) {
			t.Error("As(foreign) lost the cause")
		}
	})
}

func TestWithCopies(t *testing.T) {
	orig := Newf("NoSuchKey", "gone")
	cause := errors.New("cause")
	w := orig.With(cause)
	r := orig.WithResource("/b/k")
	if orig.Err != nil || orig.Resource != "" {
		t.Errorf("original modified: %+v", orig)
	}
	if w == orig || w.Err != cause || w.Code != orig.Code || w.Message != orig.Message || w.Status != orig.Status {
		t.Errorf("With = %+v", w)
	}
	if r == orig || r.Resource != "/b/k" || r.Code != orig.Code || r.Message != orig.Message || r.Status != orig.Status {
		t.Errorf("WithResource = %+v", r)
	}
	if both := w.WithResource("/x"); both.Err != cause || both.Resource != "/x" {
		t.Errorf("With then WithResource = %+v", both)
	}
}

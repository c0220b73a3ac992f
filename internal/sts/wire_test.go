package sts

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// form encodes AssumeRole parameters; extra pairs override or add (a "" value keeps the name
// with an empty value; use drop to remove one).
func form(pairs ...string) string {
	base := [][2]string{
		{"Action", "AssumeRole"}, {"Version", "2011-06-15"},
		{"RoleArn", testRoleArn}, {"RoleSessionName", "wire"},
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for j := range base {
			if base[j][0] == pairs[i] {
				base[j][1], found = pairs[i+1], true
			}
		}
		if !found {
			base = append(base, [2]string{pairs[i], pairs[i+1]})
		}
	}
	var parts []string
	for _, kv := range base {
		if kv[1] == drop {
			continue
		}
		parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
	}
	return strings.Join(parts, "&")
}

const drop = "\x00drop"

func TestValidationErrors(t *testing.T) {
	s := newStack(t, stackOptions{maxDuration: 2 * time.Hour})
	long := strings.Repeat("x", 65)
	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"session name pattern", form("RoleSessionName", "a b"), 400, "ValidationError",
			`1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"session name short", form("RoleSessionName", "a"), 400, "ValidationError",
			"1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name long", form("RoleSessionName", long), 400, "ValidationError",
			"Value '" + long + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"session name missing", form("RoleSessionName", drop), 400, "ValidationError",
			"1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"},
		{"role arn short", form("RoleArn", "arn:short"), 400, "ValidationError",
			"Value 'arn:short' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"role arn control character", form("RoleArn", "arn:aws:iam::1:role/\x01bell-ringer"), 400, "ValidationError",
			`at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`},
		{"role arn missing", form("RoleArn", drop), 400, "ValidationError",
			"Value null at 'roleArn' failed to satisfy constraint: Member must not be null"},
		{"two errors", form("RoleArn", drop, "RoleSessionName", "a"), 400, "ValidationError",
			"2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value 'a' at 'roleSessionName'"},
		{"duration low", form("DurationSeconds", "899"), 400, "ValidationError",
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration high", form("DurationSeconds", "43201"), 400, "ValidationError",
			"Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"duration not a number", form("DurationSeconds", "1h"), 400, "ValidationError",
			"Value '1h' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"duration above operator max", form("DurationSeconds", "7201"), 400, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"policy empty", form("Policy", ""), 400, "ValidationError",
			"Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"policy too long", form("Policy", maxPolicy(t, 10241)), 400, "ValidationError",
			"at 'policy' failed to satisfy constraint: Member must have length less than or equal to 10240"},
		{"policy not JSON", form("Policy", "{not json"), 400, "MalformedPolicyDocument", "The policy document is malformed"},
		{"policy unknown action", form("Policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`),
			400, "MalformedPolicyDocument", `Statement[0].Action: unknown action "s3:GetObjekt"`},
		{"policy unknown operator", form("Policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLikeX":{"s3:prefix":"a"}}}]}`),
			400, "MalformedPolicyDocument", "Statement[0].Condition.StringLikeX"},
		{"external id", form("ExternalId", "x"), 400, "ValidationError",
			"Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"serial number", form("SerialNumber", "arn:mfa"), 400, "ValidationError", "at 'serialNumber' failed to satisfy constraint: Member must have length greater than or equal to 9"},
		{"token code", form("TokenCode", "12a456"), 400, "ValidationError",
			`Value '12a456' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`},
		{"source identity", form("SourceIdentity", "who am i"), 400, "ValidationError",
			`at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"tag key empty", form("Tags.member.1.Key", "", "Tags.member.1.Value", "v"), 400, "ValidationError",
			"Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"tag value missing", form("Tags.member.1.Key", "team"), 400, "ValidationError",
			"Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"too many tags", form("Tags.member.51.Key", "k", "Tags.member.51.Value", "v"), 400, "ValidationError",
			"at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"bad list index", form("Tags.member.x.Key", "k"), 400, "ValidationError", "at 'tags' failed to satisfy constraint"},
		{"transitive tag key", form("TransitiveTagKeys.member.1", "bad|key"), 400, "ValidationError", "at 'transitiveTagKeys.1.member'"},
		{"policy arns", form("PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"), 400, "ValidationError", "PolicyArns are not supported"},
		{"provided context", form("ProvidedContexts.member.1.ProviderArn", "short"), 400, "ValidationError", "at 'providedContexts.1.member.providerArn'"},
		{"duplicate parameter", form() + "&RoleSessionName=again", 400, "ValidationError", "Parameter 'RoleSessionName' was supplied more than once"},
		{"bad escape", form() + "&Bad=%zz", 400, "ValidationError", "is not correctly URL-encoded"},
		{"wrong version", form("Version", "2011-06-16"), 400, "InvalidAction", "Could not find operation AssumeRole for version 2011-06-16"},
		{"missing version", form("Version", drop), 400, "InvalidAction", "Could not find operation AssumeRole for version NO_VERSION_SPECIFIED"},
		{"unknown action", form("Action", "DecodeAuthorizationMessage"), 400, "InvalidAction", "Could not find operation DecodeAuthorizationMessage for version 2011-06-15"},
		{"missing action", form("Action", drop), 400, "InvalidAction", "no Action parameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := s.signed(http.MethodPost, "", tc.body, s.creds(), time.Now())
			s.expectError(req, tc.status, tc.code, tc.msg)
		})
	}
	if strings.Contains(s.audit.String(), "CreateTemporaryAccessKey") {
		t.Error("a refused request was audited as an issuance")
	}
}

func TestWireAccepts(t *testing.T) {
	s := newStack(t, stackOptions{})
	ok := func(t *testing.T, req *http.Request) []byte {
		t.Helper()
		st, body, hdr := s.do(req)
		if st != 200 {
			t.Fatalf("%d: %s", st, body)
		}
		if hdr.Get("Content-Type") != "text/xml" || hdr.Get("x-amzn-RequestId") == "" {
			t.Errorf("headers %v", hdr)
		}
		return body
	}
	t.Run("optional parameters ignored", func(t *testing.T) {
		body := ok(t, s.signed(http.MethodPost, "", form(
			"Tags.member.1.Key", "team", "Tags.member.1.Value", "storage ops",
			"TransitiveTagKeys.member.1", "team", "ExternalId", "ext-123",
			"SerialNumber", "arn:aws:iam::1:mfa/me", "TokenCode", "123456",
			"SourceIdentity", "ci@example", "NotAnAWSParameter", "x",
			"ProvidedContexts.member.1.ProviderArn", "arn:aws:iam::aws:contextProvider/IdentityCenter",
			"ProvidedContexts.member.1.ContextAssertion", "abcd"), s.creds(), time.Now()))
		if !bytes.Contains(body, []byte("<SourceIdentity>ci@example</SourceIdentity>")) {
			t.Errorf("SourceIdentity not echoed:\n%s", body)
		}
	})
	t.Run("GET query", func(t *testing.T) {
		body := ok(t, s.signed(http.MethodGet, "Action=GetCallerIdentity&Version=2011-06-15", "", s.creds(), time.Now()))
		var out struct {
			XMLName xml.Name                              `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
			Result  struct{ Arn, UserId, Account string } `xml:"GetCallerIdentityResult"`
			Meta    struct{ RequestId string }            `xml:"ResponseMetadata"`
		}
		if err := xml.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if out.Result.UserId != s.sa.ID || out.Meta.RequestId == "" {
			t.Errorf("%+v", out)
		}
	})
	t.Run("GET AssumeRole", func(t *testing.T) {
		ok(t, s.signed(http.MethodGet, form("DurationSeconds", "900"), "", s.creds(), time.Now()))
	})
	t.Run("presigned GetCallerIdentity", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=300", nil)
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), s.creds(), req,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sts", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		preq, _ := http.NewRequest(http.MethodGet, u, nil)
		ok(t, preq)
	})
}

func TestBodyLimits(t *testing.T) {
	s := newStack(t, stackOptions{})
	big := strings.Repeat("a", 10<<20)
	t.Run("10 MB with Content-Length", func(t *testing.T) {
		req := s.signed(http.MethodPost, "", form("Junk", big), s.creds(), time.Now())
		s.expectError(req, 413, "RequestEntityTooLarge", "65536 bytes")
	})
	t.Run("10 MB chunked", func(t *testing.T) {
		req := s.signed(http.MethodPost, "", form("Junk", big), s.creds(), time.Now())
		req.Body = io.NopCloser(io.MultiReader(strings.NewReader(form("Junk", big))))
		req.ContentLength = -1
		s.expectError(req, 413, "RequestEntityTooLarge", "65536 bytes")
	})
	t.Run("just under the cap", func(t *testing.T) {
		body := form()
		body += "&Pad=" + strings.Repeat("p", MaxBodyBytes-len(body)-len("&Pad="))
		if len(body) != MaxBodyBytes {
			t.Fatalf("body %d", len(body))
		}
		st, b, _ := s.do(s.signed(http.MethodPost, "", body, s.creds(), time.Now()))
		if st != 200 {
			t.Fatalf("%d %s", st, b)
		}
	})
	t.Run("body on GET", func(t *testing.T) {
		s.expectError(s.signed(http.MethodGet, "", form(), s.creds(), time.Now()), 400, "ValidationError", "query string")
	})
	t.Run("wrong content type", func(t *testing.T) {
		req := s.signedWith(http.MethodPost, "", form(), s.creds(), time.Now(),
			func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
		s.expectError(req, 400, "ValidationError", "application/x-www-form-urlencoded")
	})
	t.Run("method", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, s.srv.URL+"/", nil)
		s.expectError(req, 405, "MethodNotAllowed", "GET and POST")
	})
}

func TestAuthErrors(t *testing.T) {
	s := newStack(t, stackOptions{})
	now := time.Now()
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	t.Run("anonymous", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s.expectError(req, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	})
	t.Run("unknown key", func(t *testing.T) {
		c := aws.Credentials{AccessKeyID: "HGKUNKNOWNUNKNOWNUNK", SecretAccessKey: s.key.Secret}
		s.expectError(s.signed(http.MethodPost, "", body, c, now), 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	})
	t.Run("wrong secret", func(t *testing.T) {
		c := s.creds()
		c.SecretAccessKey = strings.Repeat("w", 40)
		s.expectError(s.signed(http.MethodPost, "", body, c, now), 403, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	})
	t.Run("tampered body", func(t *testing.T) {
		req := s.signed(http.MethodPost, "", body, s.creds(), now)
		req.Body = io.NopCloser(strings.NewReader(strings.Replace(body, "GetCallerIdentity", "GetSessionToken__", 1)))
		s.expectError(req, 403, "SignatureDoesNotMatch", "does not match")
	})
	t.Run("signature expired", func(t *testing.T) {
		e := s.expectError(s.signed(http.MethodPost, "", body, s.creds(), now.Add(-20*time.Minute)), 403, "SignatureDoesNotMatch", "Signature expired: ")
		re := regexp.MustCompile(`^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 15 min\.\)$`)
		m := re.FindStringSubmatch(e.Error.Message)
		if m == nil {
			t.Fatalf("message %q", e.Error.Message)
		}
		signed, _ := time.Parse(amzTime, m[1])
		limit, _ := time.Parse(amzTime, m[2])
		server, _ := time.Parse(amzTime, m[3])
		if !signed.Equal(now.Add(-20*time.Minute).UTC().Truncate(time.Second)) || !limit.Equal(server.Add(-15*time.Minute)) {
			t.Errorf("times in %q", e.Error.Message)
		}
	})
	t.Run("signature in the future", func(t *testing.T) {
		s.expectError(s.signed(http.MethodPost, "", body, s.creds(), now.Add(20*time.Minute)), 403, "SignatureDoesNotMatch", "Signature not yet current: ")
	})
	t.Run("scoped to s3", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := "2c8d5dcd4aa8fd5d1e9f5bf2ff69fdf0e5b1b1ce9ef3b0b3b4e0f1a1e6c4dd22"
		v4.NewSigner().SignHTTP(context.Background(), s.creds(), req, sum, "s3", "us-east-1", now)
		s.expectError(req, 403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'.")
	})
	t.Run("malformed authorization", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+s.key.Key.ID+"/20250101/us-east-1/sts/aws4_request")
		s.expectError(req, 400, "IncompleteSignature", "")
	})
	t.Run("forged token", func(t *testing.T) {
		c := s.creds()
		c.SessionToken = "v1." + strings.Repeat("A", 300)
		s.expectError(s.signed(http.MethodPost, "", body, c, now), 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	})
}

// fromAuth's table, for the codes the session validator produces that a live stack cannot
// reach cheaply.
func TestFromAuthMapping(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	for _, tc := range []struct {
		in     error
		status int
		code   string
		msg    string
	}{
		{s3err.New("ExpiredToken"), 400, "ExpiredToken", "The security token included in the request is expired"},
		{s3err.New("InvalidToken"), 403, "InvalidClientTokenId", msgInvalidClientToken},
		{s3err.New("InvalidAccessKeyId"), 403, "InvalidClientTokenId", msgInvalidClientToken},
		{s3err.Newf("ServiceUnavailable", "stale"), 503, "ServiceUnavailable", "stale"},
		{s3err.New("EntityTooLarge"), 413, "RequestEntityTooLarge", "65536"},
		{s3err.New("InternalError"), 500, "InternalFailure", "unknown error"},
		{io.ErrUnexpectedEOF, 500, "InternalFailure", "unknown error"},
		{s3err.New("RequestTimeTooSkewed").With(&sigv4.Error{Code: "RequestTimeTooSkewed",
			RequestTime: time.Date(2016, 6, 9, 18, 45, 12, 0, time.UTC), ServerTime: time.Date(2016, 6, 10, 1, 45, 8, 0, time.UTC), MaxSkew: 15 * time.Minute}),
			403, "SignatureDoesNotMatch", "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"},
	} {
		e := fromAuth(r, tc.in)
		if e.Status != tc.status || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%v → %d %s %q", tc.in, e.Status, e.Code, e.Message)
		}
	}
}

func TestAuditIssuance(t *testing.T) {
	s := newStack(t, stackOptions{})
	body := form("Policy", smallPolicy, "DurationSeconds", "1800")
	req := s.signed(http.MethodPost, "", body, s.creds(), time.Now())
	req.Header.Set("User-Agent", "audit-test/1.0")
	st, resp, hdr := s.do(req)
	if st != 200 {
		t.Fatalf("%d %s", st, resp)
	}
	var out struct {
		Result struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal(resp, &out); err != nil {
		t.Fatal(err)
	}
	c := out.Result.Credentials
	lines := strings.Split(strings.TrimSpace(s.audit.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want exactly one audit line, got %d:\n%s", len(lines), s.audit.String())
	}
	var ev audit.Event
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
		t.Fatal(err)
	}
	exp, _ := time.Parse(time.RFC3339, c.Expiration)
	want := audit.Event{Event: audit.CreateTemporaryAccessKey, RequestID: hdr.Get("x-amzn-RequestId"), SourceIP: "127.0.0.1",
		UserAgent: "audit-test/1.0", AccessKeyID: s.key.Key.ID, SAID: s.sa.ID, FolderID: s.sa.FolderID,
		SessionName: "wire", RoleArn: testRoleArn, PolicySHA256: sha256hex(smallPolicy), Operation: "AssumeRole", Outcome: "issued"}
	if ev.Event != want.Event || ev.RequestID != want.RequestID || ev.SourceIP != want.SourceIP || ev.UserAgent != want.UserAgent ||
		ev.AccessKeyID != want.AccessKeyID || ev.SAID != want.SAID || ev.FolderID != want.FolderID || ev.SessionName != want.SessionName ||
		ev.RoleArn != want.RoleArn || ev.PolicySHA256 != want.PolicySHA256 || ev.Operation != want.Operation || ev.Outcome != want.Outcome {
		t.Errorf("audit event\n got %+v\nwant %+v", ev, want)
	}
	if len(ev.SessionID) != 32 || ev.Expiration == nil || !ev.Expiration.Equal(exp) || ev.RequestID == "" {
		t.Errorf("session %q expiration %v (want %v)", ev.SessionID, ev.Expiration, exp)
	}
	line := lines[0]
	for _, secret := range []string{c.SecretAccessKey, c.SessionToken, c.SessionToken[10:50], s.key.Secret} {
		if secret == "" || strings.Contains(line, secret) {
			t.Fatalf("audit line carries a secret or token: %s", line)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// A failing audit sink fails issuance closed: 503 and no credentials.
func TestAuditFailureFailsClosed(t *testing.T) {
	s := newStack(t, stackOptions{auditSink: failingWriter{}})
	for _, body := range []string{form(), "Action=GetSessionToken&Version=2011-06-15"} {
		st, resp, _ := s.do(s.signed(http.MethodPost, "", body, s.creds(), time.Now()))
		if st != 503 || bytes.Contains(resp, []byte("SecretAccessKey")) || bytes.Contains(resp, []byte("SessionToken")) {
			t.Fatalf("%d %s", st, resp)
		}
		var e stsError
		if err := xml.Unmarshal(resp, &e); err != nil || e.Error.Code != "ServiceUnavailable" || e.Error.Type != "Receiver" {
			t.Fatalf("%v %+v", err, e)
		}
	}
	// Reads need no audit.
	st, resp, _ := s.do(s.signed(http.MethodPost, "", "Action=GetCallerIdentity&Version=2011-06-15", s.creds(), time.Now()))
	if st != 200 {
		t.Fatalf("GetCallerIdentity: %d %s", st, resp)
	}
}

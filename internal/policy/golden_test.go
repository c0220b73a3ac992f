package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// A golden case: one policy, one request, the expected decision. Files live in
// testdata/cases/*.json; "source" says where the policy comes from (AWS or Yandex documentation,
// or "hourglass" for cases written for this package).
type goldenCase struct {
	Description string          `json:"description"`
	Source      string          `json:"source"`
	Kind        string          `json:"kind"`
	Policy      json.RawMessage `json:"policy"`
	Request     caseRequest     `json:"request"`
	Want        caseDecision    `json:"want"`
}

type caseDecision struct {
	Effect    string `json:"effect"`
	Statement int    `json:"statement"`
	Sid       string `json:"sid"`
}

type casePrincipal struct {
	Type      string `json:"type"` // Anonymous, User, AssumedRole
	ARN       string `json:"arn"`
	UserARN   string `json:"userArn"`
	UserID    string `json:"userid"`
	Username  string `json:"username"`
	Account   string `json:"account"`
	Canonical string `json:"canonical"`
}

type caseRequest struct {
	Action             string              `json:"action"`
	Resource           string              `json:"resource"`
	Principal          *casePrincipal      `json:"principal"`
	SourceIP           string              `json:"sourceIp"`
	SecureTransport    bool                `json:"secureTransport"`
	CurrentTime        string              `json:"currentTime"`
	TokenIssueTime     string              `json:"tokenIssueTime"`
	UserAgent          string              `json:"userAgent"`
	Referer            string              `json:"referer"`
	RequestedRegion    string              `json:"requestedRegion"`
	ResourceAccount    string              `json:"resourceAccount"`
	Prefix             *string             `json:"prefix"`
	Delimiter          *string             `json:"delimiter"`
	MaxKeys            *int64              `json:"maxKeys"`
	AuthType           string              `json:"authType"`
	SignatureVersion   string              `json:"signatureVersion"`
	SignatureAge       *int64              `json:"signatureAge"`
	TLSVersion         float64             `json:"tlsVersion"`
	VersionID          string              `json:"versionId"`
	LocationConstraint string              `json:"locationConstraint"`
	Headers            map[string][]string `json:"headers"`
	ExistingObjectTags map[string]string   `json:"existingObjectTags"`
	RequestObjectTags  map[string]string   `json:"requestObjectTags"`
	Other              map[string][]string `json:"other"`
}

func (c *caseRequest) build(t *testing.T) *Request {
	t.Helper()
	a, ok := s3action.Lookup(c.Action)
	if !ok {
		t.Fatalf("request action %q unknown", c.Action)
	}
	r := &Request{
		Action: a, Resource: c.Resource, SecureTransport: c.SecureTransport,
		UserAgent: c.UserAgent, Referer: c.Referer, RequestedRegion: c.RequestedRegion,
		ResourceAccount: c.ResourceAccount, AuthType: c.AuthType, SignatureVersion: c.SignatureVersion,
		TLSVersion: c.TLSVersion, VersionID: c.VersionID, LocationConstraint: c.LocationConstraint,
		ExistingObjectTags: c.ExistingObjectTags, RequestObjectTags: c.RequestObjectTags, Other: c.Other,
	}
	if p := c.Principal; p != nil {
		types := map[string]PrincipalType{"Anonymous": Anonymous, "User": User, "AssumedRole": AssumedRole}
		pt, ok := types[p.Type]
		if !ok {
			t.Fatalf("principal type %q", p.Type)
		}
		r.Principal = Principal{Type: pt, ARN: p.ARN, UserARN: p.UserARN, UserID: p.UserID,
			Username: p.Username, AccountID: p.Account, CanonicalID: p.Canonical}
	}
	if c.SourceIP != "" {
		r.SourceIP = netip.MustParseAddr(c.SourceIP)
	}
	parseTime := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("time %q: %v", s, err)
		}
		return tm
	}
	r.CurrentTime, r.TokenIssueTime = parseTime(c.CurrentTime), parseTime(c.TokenIssueTime)
	if c.Prefix != nil {
		r.Prefix, r.HasPrefix = *c.Prefix, true
	}
	if c.Delimiter != nil {
		r.Delimiter, r.HasDelimiter = *c.Delimiter, true
	}
	if c.MaxKeys != nil {
		r.MaxKeys, r.HasMaxKeys = *c.MaxKeys, true
	}
	if c.SignatureAge != nil {
		r.SignatureAge, r.HasSignatureAge = *c.SignatureAge, true
	}
	if c.Headers != nil {
		h := http.Header{}
		for k, vs := range c.Headers {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
		r.Header = h
	}
	return r
}

func parseKind(t *testing.T, s string) Kind {
	t.Helper()
	switch s {
	case "session":
		return Session
	case "bucket":
		return Bucket
	}
	t.Fatalf("kind %q", s)
	return 0
}

func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Errorf("only %d golden cases, want at least 150", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c goldenCase
			decodeStrict(t, data, &c)
			if c.Source == "" || c.Description == "" {
				t.Fatal("case needs a description and a source")
			}
			p, err := Parse(c.Policy, parseKind(t, c.Kind), 0)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			d := p.Evaluate(c.Request.build(t))
			got := caseDecision{Effect: d.Effect.String(), Statement: d.Statement, Sid: d.Sid}
			if diff := cmp.Diff(c.Want, got); diff != "" {
				t.Errorf("%s\ndecision (-want +got):\n%s", c.Description, diff)
			}
		})
	}
}

// An invalid-policy golden: the document (as JSON in "policy", or as raw text in "policyText"
// for documents that are not valid JSON) and the element and sentinel error it must be
// rejected with. With "bucket", the document must parse and ValidateForBucket must reject it.
type invalidCase struct {
	Description string          `json:"description"`
	Source      string          `json:"source"`
	Kind        string          `json:"kind"`
	Policy      json.RawMessage `json:"policy"`
	PolicyText  *string         `json:"policyText"`
	MaxSize     int             `json:"maxSize"`
	Bucket      string          `json:"bucket"`
	Element     string          `json:"element"`
	Error       string          `json:"error"`
}

var sentinels = map[string]error{
	"ErrEmpty": ErrEmpty, "ErrTooLarge": ErrTooLarge, "ErrSyntax": ErrSyntax,
	"ErrDuplicateKey": ErrDuplicateKey, "ErrVersion": ErrVersion, "ErrUnknownElement": ErrUnknownElement,
	"ErrMissingElement": ErrMissingElement, "ErrUnknownAction": ErrUnknownAction,
	"ErrUnknownOperator": ErrUnknownOperator, "ErrUnknownKey": ErrUnknownKey,
	"ErrInvalidValue": ErrInvalidValue, "ErrInvalidResource": ErrInvalidResource,
	"ErrInvalidPrincipal": ErrInvalidPrincipal,
}

func TestInvalidPolicies(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no invalid-policy goldens")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c invalidCase
			decodeStrict(t, data, &c)
			want, ok := sentinels[c.Error]
			if !ok {
				t.Fatalf("unknown error name %q", c.Error)
			}
			doc := []byte(c.Policy)
			if c.PolicyText != nil {
				doc = []byte(*c.PolicyText)
			}
			p, err := Parse(doc, parseKind(t, c.Kind), c.MaxSize)
			if c.Bucket != "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				err = ValidateForBucket(p, c.Bucket)
			}
			if err == nil {
				t.Fatalf("%s: accepted", c.Description)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			got := struct{ Element, Error string }{pe.Element, c.Error}
			if !errors.Is(err, want) {
				got.Error = err.Error()
			}
			if diff := cmp.Diff(struct{ Element, Error string }{c.Element, c.Error}, got); diff != "" {
				t.Errorf("%s (%v)\n(-want +got):\n%s", c.Description, err, diff)
			}
		})
	}
}

package policy

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// ServiceResource is the Resource a caller passes for service-level requests (ListBuckets,
// s3:ListAllMyBuckets). "*" and "arn:aws:s3:::*" match it, bucket and object ARNs do not.
const ServiceResource = "arn:aws:s3:::*"

// PrincipalType is the aws:PrincipalType of a request.
type PrincipalType uint8

const (
	Anonymous   PrincipalType = iota // unsigned request
	User                             // a service account's static key
	AssumedRole                      // a temporary key from AssumeRole
)

func (t PrincipalType) String() string {
	switch t {
	case Anonymous:
		return "Anonymous"
	case User:
		return "User"
	case AssumedRole:
		return "AssumedRole"
	}
	return "PrincipalType(" + strconv.Itoa(int(t)) + ")"
}

// Principal is who makes the request (DESIGN.md §10 "Identity and names").
type Principal struct {
	Type PrincipalType
	// ARN: arn:aws:iam::<folder-id>:user/<sa-name> for User,
	// arn:aws:sts::<folder-id>:assumed-role/<sa-name>/<session-name> for AssumedRole, "" for
	// Anonymous. It is aws:PrincipalArn.
	ARN string
	// UserARN is the service account's own user ARN. For AssumedRole it lets a bucket policy
	// that names the SA's user ARN also cover the SA's temporary keys, as an AWS role ARN covers
	// the role's sessions. Optional for User (ARN is used).
	UserARN string
	// UserID is aws:userid: the SA ID for User, "<sa-id>:<session-name>" for AssumedRole. For
	// Anonymous it is ignored and aws:userid is "anonymous", as in AWS.
	UserID string
	// Username is aws:username, the SA name; present only for User, as in AWS.
	Username string
	// AccountID is the folder ID (aws:PrincipalAccount).
	AccountID string
	// CanonicalID is the SA ID, matched by {"CanonicalUser": ...} and by bare IDs in {"AWS": ...}.
	CanonicalID string
}

// HeaderValues gives the request's HTTP headers to the s3:x-amz-* keys. http.Header satisfies
// it; names are passed in canonical form ("X-Amz-Acl"), so the lookup does not allocate.
type HeaderValues interface {
	Values(canonicalName string) []string
}

// Request is the context of one authorization decision. The caller fills it per request; the
// zero value of a field means "the key is not in the request" unless its comment says
// otherwise, and the Has* flags separate an empty value from a missing one where S3 does.
type Request struct {
	Action    s3action.Action
	Resource  string // arn:aws:s3:::bucket, arn:aws:s3:::bucket/key, or ServiceResource
	Principal Principal

	SourceIP        netip.Addr // aws:SourceIp; the zero Addr is missing
	SecureTransport bool       // aws:SecureTransport; always present
	CurrentTime     time.Time  // aws:CurrentTime and aws:EpochTime; the zero Time is missing
	TokenIssueTime  time.Time  // aws:TokenIssueTime; temporary keys only
	UserAgent       string     // aws:UserAgent
	Referer         string     // aws:Referer
	RequestedRegion string     // aws:RequestedRegion
	ResourceAccount string     // aws:ResourceAccount and s3:ResourceAccount: the bucket's folder ID

	Prefix       string // s3:prefix (ListObjects*), present when HasPrefix
	HasPrefix    bool
	Delimiter    string // s3:delimiter, present when HasDelimiter
	HasDelimiter bool
	MaxKeys      int64 // s3:max-keys, present when HasMaxKeys
	HasMaxKeys   bool

	AuthType           string // s3:authType: REST-HEADER, REST-QUERY-STRING or POST
	SignatureVersion   string // s3:signatureversion: AWS4-HMAC-SHA256
	SignatureAge       int64  // s3:signatureAge in milliseconds, present when HasSignatureAge
	HasSignatureAge    bool
	TLSVersion         float64 // s3:TlsVersion (1.2, 1.3); 0 is missing
	VersionID          string  // s3:versionid
	LocationConstraint string  // s3:locationconstraint (CreateBucket)

	// Header holds the request headers for the s3:x-amz-* keys (s3:x-amz-acl reads X-Amz-Acl).
	// Nil means no headers.
	Header HeaderValues

	// ExistingObjectTags are the tags of the object the request addresses
	// (s3:ExistingObjectTag/<key>); RequestObjectTags the tags the request sets
	// (s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys). Nil means none.
	ExistingObjectTags map[string]string
	RequestObjectTags  map[string]string

	// Other holds any other key by its canonical name (s3action.Key.Name(), plus "/<suffix>" for
	// prefix keys: "aws:PrincipalTag/team"). Keys with a field above are never read from here.
	Other map[string][]string
}

// value is one key's value in the request, typed without boxing. A multivalued key holds its
// values in strs (or, for s3:RequestObjectTagKeys, the keys of tagKeys).
type value struct {
	kind    valKind
	s       string
	n       float64
	t       time.Time
	b       bool
	ip      netip.Addr
	strs    []string
	tagKeys map[string]string
}

type valKind uint8

const (
	valMissing valKind = iota
	valString
	valNumber
	valTime
	valEpoch // aws:EpochTime: a time that compares as seconds under Numeric operators
	valBool
	valIP
	valMulti
	valTagKeys
)

func str(s string) value {
	if s == "" {
		return value{}
	}
	return value{kind: valString, s: s}
}

// lookup returns the value of key (with suffix for prefix keys) in the request.
func (r *Request) lookup(k s3action.Key, suffix string) value {
	switch k {
	case s3action.AWSSourceIP:
		if r.SourceIP.IsValid() {
			return value{kind: valIP, ip: r.SourceIP.Unmap()}
		}
		return value{}
	case s3action.AWSSecureTransport:
		return value{kind: valBool, b: r.SecureTransport}
	case s3action.AWSCurrentTime:
		if r.CurrentTime.IsZero() {
			return value{}
		}
		return value{kind: valTime, t: r.CurrentTime}
	case s3action.AWSEpochTime:
		if r.CurrentTime.IsZero() {
			return value{}
		}
		return value{kind: valEpoch, t: r.CurrentTime}
	case s3action.AWSTokenIssueTime:
		if r.TokenIssueTime.IsZero() {
			return value{}
		}
		return value{kind: valTime, t: r.TokenIssueTime}
	case s3action.AWSUserAgent:
		return str(r.UserAgent)
	case s3action.AWSReferer:
		return str(r.Referer)
	case s3action.AWSRequestedRegion:
		return str(r.RequestedRegion)
	case s3action.AWSResourceAccount, s3action.S3ResourceAccount:
		return str(r.ResourceAccount)
	case s3action.AWSUserID:
		if r.Principal.Type == Anonymous {
			return value{kind: valString, s: "anonymous"}
		}
		return str(r.Principal.UserID)
	case s3action.AWSUsername:
		if r.Principal.Type != User {
			return value{}
		}
		return str(r.Principal.Username)
	case s3action.AWSPrincipalType:
		return value{kind: valString, s: principalTypeNames[r.Principal.Type%3]}
	case s3action.AWSPrincipalArn:
		if r.Principal.Type == Anonymous {
			return value{}
		}
		return str(r.Principal.ARN)
	case s3action.AWSPrincipalAccount:
		if r.Principal.Type == Anonymous {
			return value{}
		}
		return str(r.Principal.AccountID)
	case s3action.S3Prefix:
		if !r.HasPrefix {
			return value{}
		}
		return value{kind: valString, s: r.Prefix}
	case s3action.S3Delimiter:
		if !r.HasDelimiter {
			return value{}
		}
		return value{kind: valString, s: r.Delimiter}
	case s3action.S3MaxKeys:
		if !r.HasMaxKeys {
			return value{}
		}
		return value{kind: valNumber, n: float64(r.MaxKeys)}
	case s3action.S3AuthType:
		return str(r.AuthType)
	case s3action.S3SignatureVersion:
		return str(r.SignatureVersion)
	case s3action.S3SignatureAge:
		if !r.HasSignatureAge {
			return value{}
		}
		return value{kind: valNumber, n: float64(r.SignatureAge)}
	case s3action.S3TLSVersion:
		if r.TLSVersion == 0 {
			return value{}
		}
		return value{kind: valNumber, n: r.TLSVersion}
	case s3action.S3VersionID:
		return str(r.VersionID)
	case s3action.S3LocationConstraint:
		return str(r.LocationConstraint)
	case s3action.S3ExistingObjectTag:
		if v, ok := r.ExistingObjectTags[suffix]; ok {
			return value{kind: valString, s: v}
		}
		return value{}
	case s3action.S3RequestObjectTag:
		if v, ok := r.RequestObjectTags[suffix]; ok {
			return value{kind: valString, s: v}
		}
		return value{}
	case s3action.S3RequestObjectTagKeys:
		if len(r.RequestObjectTags) == 0 {
			return value{}
		}
		return value{kind: valTagKeys, tagKeys: r.RequestObjectTags}
	}
	if h := k.Header(); h != "" {
		if r.Header == nil {
			return value{}
		}
		vs := r.Header.Values(h)
		if len(vs) == 0 {
			return value{}
		}
		return value{kind: valString, s: vs[0]}
	}
	if r.Other == nil {
		return value{}
	}
	name := k.Name()
	if suffix != "" {
		name += "/" + suffix
	}
	vs, ok := r.Other[name]
	if !ok || len(vs) == 0 {
		return value{}
	}
	if k.MultiValued() {
		return value{kind: valMulti, strs: vs}
	}
	return value{kind: valString, s: vs[0]}
}

var principalTypeNames = [3]string{"Anonymous", "User", "AssumedRole"}

// count returns the number of values; 0 means missing (or an empty set).
func (v *value) count() int {
	switch v.kind {
	case valMissing:
		return 0
	case valMulti:
		return len(v.strs)
	case valTagKeys:
		return len(v.tagKeys)
	}
	return 1
}

// asString renders a value for the string operators and for policy variables. Only strings and
// booleans are free; the other kinds allocate, which happens only when a policy compares them
// as strings.
func (v *value) asString() string {
	switch v.kind {
	case valString:
		return v.s
	case valBool:
		if v.b {
			return "true"
		}
		return "false"
	case valNumber:
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case valTime:
		return v.t.UTC().Format(time.RFC3339)
	case valEpoch:
		return strconv.FormatInt(v.t.Unix(), 10)
	case valIP:
		return v.ip.String()
	}
	return ""
}

// varValue resolves a policy variable: its value in the request, else its default.
func (r *Request) varValue(t *token) (string, bool) {
	v := r.lookup(t.key, t.suffix)
	if v.kind != valMissing && v.kind != valMulti && v.kind != valTagKeys {
		return v.asString(), true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

package s3action

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVocabulary(t *testing.T) {
	if NumActions < 150 {
		t.Fatalf("NumActions = %d, want the full AWS vocabulary (>= 150)", NumActions)
	}
	seen := map[string]bool{}
	for _, a := range All() {
		n := a.Name()
		if !strings.HasPrefix(n, "s3:") || len(n) < 4 {
			t.Errorf("%d: bad name %q", a, n)
		}
		if seen[strings.ToLower(n)] {
			t.Errorf("duplicate name %q", n)
		}
		seen[strings.ToLower(n)] = true
		if a.Resource() == 0 {
			t.Errorf("%s has no resource kind", n)
		}
		got, ok := Lookup(n)
		if !ok || got != a {
			t.Errorf("Lookup(%q) = %v, %v", n, got, ok)
		}
		for _, v := range []string{strings.ToUpper(n), strings.ToLower(n)} {
			if got, ok := Lookup(v); !ok || got != a {
				t.Errorf("Lookup(%q) = %v, %v; want %v", v, got, ok, a)
			}
		}
	}
	// Names the brief and the Yandex documentation list must exist.
	for _, n := range []string{
		"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
		"s3:ListBucketVersions", "s3:ListAllMyBuckets", "s3:ListBucketMultipartUploads",
		"s3:ListMultipartUploadParts", "s3:AbortMultipartUpload", "s3:GetObjectAcl", "s3:PutObjectAcl",
		"s3:GetBucketAcl", "s3:PutBucketAcl", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
		"s3:DeleteBucketPolicy", "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:GetObjectTagging",
		"s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:GetBucketTagging", "s3:PutBucketTagging",
		"s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:GetBucketLocation", "s3:CreateBucket",
		"s3:DeleteBucket", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
		"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketWebsite",
		"s3:PutBucketWebsite", "s3:DeleteBucketWebsite", "s3:GetObjectAttributes", "s3:RestoreObject",
		"s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:GetObjectRetention",
		"s3:PutObjectLegalHold", "s3:GetObjectLegalHold", "s3:GetBucketObjectLockConfiguration",
		"s3:PutBucketObjectLockConfiguration", "s3:GetBucketPublicAccessBlock",
		"s3:PutBucketPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls",
		"s3:GetBucketNotification", "s3:PutBucketNotification", "s3:GetReplicationConfiguration",
		"s3:PutReplicationConfiguration", "s3:GetBucketLogging", "s3:PutBucketLogging",
		"s3:GetAccelerateConfiguration", "s3:PutAccelerateConfiguration", "s3:GetBucketRequestPayment",
		"s3:PutBucketRequestPayment", "s3:GetAnalyticsConfiguration", "s3:PutAnalyticsConfiguration",
		"s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration", "s3:GetMetricsConfiguration",
		"s3:PutMetricsConfiguration", "s3:GetIntelligentTieringConfiguration",
		"s3:PutIntelligentTieringConfiguration", "s3:GetObjectVersionAcl", "s3:PutObjectVersionAcl",
		"s3:DeleteObjectVersion", "s3:GetObjectVersionTagging", "s3:PutObjectVersionTagging",
		"s3:DeleteObjectVersionTagging", "s3:GetObjectTorrent", "s3:ReplicateObject", "s3:ReplicateDelete",
		"s3:ObjectOwnerOverrideToBucketOwner", "s3:PutBucketAbac", "s3:GetBucketAbac",
	} {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Lookup(%q) failed", n)
		}
	}
	for _, n := range []string{"", "s3:", "GetObject", "s3:GetObjectX", "iam:GetObject", "s3:Get*", "s3 :GetObject", "s3:GetObject "} {
		if a, ok := Lookup(n); ok {
			t.Errorf("Lookup(%q) = %v, want failure", n, a)
		}
	}
	if None.Name() != "" || Action(60000).Name() != "" || Action(60000).Valid() {
		t.Error("invalid actions must have no name")
	}
}

func TestMatchPattern(t *testing.T) {
	names := func(s ActionSet) []string {
		var out []string
		for _, a := range s.Actions() {
			out = append(out, a.Name())
		}
		return out
	}
	tests := []struct {
		pattern string
		want    []string // nil: check only the count
		count   int
		err     error
	}{
		{pattern: "*", count: NumActions},
		{pattern: "s3:*", count: NumActions},
		{pattern: "S3:*", count: NumActions},
		{pattern: "s3:GetObject", want: []string{"s3:GetObject"}},
		{pattern: "s3:getobject", want: []string{"s3:GetObject"}},
		{pattern: "s3:?etObject", want: []string{"s3:GetObject"}},
		{pattern: "s3:GetObjectVersion*", want: []string{
			"s3:GetObjectVersion", "s3:GetObjectVersionAcl", "s3:GetObjectVersionAnnotation",
			"s3:GetObjectVersionAnnotationForReplication", "s3:GetObjectVersionAttributes",
			"s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging", "s3:GetObjectVersionTorrent"}},
		{pattern: "s3:*MultipartUpload*", want: []string{
			"s3:AbortMultipartUpload", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts"}},
		{pattern: "s3:List*Bucket*", want: []string{
			"s3:ListAllMyBuckets", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"}},
		{pattern: "s?:GetObject", want: []string{"s3:GetObject"}},
		{pattern: "s3:GetObjectX", err: ErrUnknownAction},
		{pattern: "s3:Frobnicate*", err: ErrUnknownAction},
		{pattern: "iam:*", err: ErrUnsupportedService},
		{pattern: "sts:AssumeRole", err: ErrUnsupportedService},
		{pattern: "s3-object-lambda:GetObject", err: ErrUnsupportedService},
		{pattern: "GetObject", err: ErrMalformedAction},
		{pattern: "", err: ErrMalformedAction},
		{pattern: "s3:", err: ErrMalformedAction},
		{pattern: ":GetObject", err: ErrMalformedAction},
	}
	for _, tt := range tests {
		s, err := MatchPattern(tt.pattern)
		if !errors.Is(err, tt.err) {
			t.Errorf("MatchPattern(%q) error = %v, want %v", tt.pattern, err, tt.err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), tt.pattern) {
				t.Errorf("error %q does not name the pattern", err)
			}
			continue
		}
		if tt.want != nil {
			if d := cmp.Diff(tt.want, names(s)); d != "" {
				t.Errorf("MatchPattern(%q) (-want +got):\n%s", tt.pattern, d)
			}
		} else if s.Len() != tt.count {
			t.Errorf("MatchPattern(%q) has %d actions, want %d", tt.pattern, s.Len(), tt.count)
		}
		if s.Has(None) {
			t.Errorf("MatchPattern(%q) contains None", tt.pattern)
		}
	}
}

func TestActionSet(t *testing.T) {
	var s ActionSet
	if s.Len() != 0 || s.Has(GetObject) {
		t.Fatal("zero set not empty")
	}
	s.Add(GetObject)
	s.Add(None)
	s.Add(Action(60000))
	if !s.Has(GetObject) || s.Has(PutObject) || s.Len() != 1 || s.Has(Action(60000)) {
		t.Fatalf("after Add: %v", s.Actions())
	}
	var o ActionSet
	o.Add(UpdateStorageLensGroup) // the last action: exercises the last word
	s.Union(o)
	if !s.Has(UpdateStorageLensGroup) || s.Len() != 2 {
		t.Fatalf("after Union: %v", s.Actions())
	}
	all := AllActions()
	if all.Len() != NumActions {
		t.Fatalf("AllActions has %d", all.Len())
	}
	allocs := testing.AllocsPerRun(100, func() {
		_ = s.Has(PutObject)
		_, _ = Lookup("s3:PutObject")
	})
	if allocs != 0 {
		t.Errorf("Has+Lookup allocate %v times", allocs)
	}
}

func TestOperations(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Operations() {
		n := o.Name()
		if n == "" || seen[n] {
			t.Errorf("operation %d: bad or duplicate name %q", o, n)
		}
		seen[n] = true
		if got, ok := Op(n); !ok || got != o {
			t.Errorf("Op(%q) = %v, %v", n, got, ok)
		}
		if len(o.Requires()) == 0 && o != OpOptionsPreflight {
			t.Errorf("%s requires nothing", n)
		}
		for _, r := range o.Requires() {
			if !r.Action.Valid() {
				t.Errorf("%s: invalid action in %+v", n, r)
			}
			if r.Resource != r.Action.Resource() {
				t.Errorf("%s: %s on %s, but the action applies to %s", n, r.Action, r.Resource, r.Action.Resource())
			}
			if r.Versioned != None && r.Versioned.Resource() != ResourceObject {
				t.Errorf("%s: versioned action %s is not an object action", n, r.Versioned)
			}
		}
	}
	for _, n := range []string{"ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket",
		"GetBucketLocation", "GetBucketVersioning", "PutBucketVersioning", "ListObjects", "ListObjectsV2",
		"ListObjectVersions", "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects",
		"CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
		"AbortMultipartUpload", "ListParts", "ListMultipartUploads", "GetBucketAcl", "PutBucketAcl",
		"GetObjectAcl", "PutObjectAcl", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy",
		"GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetBucketTagging",
		"PutBucketTagging", "DeleteBucketTagging", "GetBucketCors", "PutBucketCors", "DeleteBucketCors",
		"PostObject", "OptionsPreflight", "GetObjectAttributes"} {
		if _, ok := Op(n); !ok {
			t.Errorf("Op(%q) missing", n)
		}
	}
	if _, ok := Op("getobject"); ok {
		t.Error("Op must be exact")
	}

	type req struct {
		Action, Versioned string
		Resource, Target  string
		When              string
	}
	flat := func(o Operation) []req {
		var out []req
		for _, r := range o.Requires() {
			out = append(out, req{r.Action.Name(), r.Versioned.Name(), r.Resource.String(), r.Target.String(), r.When.String()})
		}
		return out
	}
	want := map[Operation][]req{
		OpHeadObject:    {{"s3:GetObject", "s3:GetObjectVersion", "object", "request", "always"}},
		OpHeadBucket:    {{"s3:ListBucket", "", "bucket", "request", "always"}},
		OpListObjectsV2: {{"s3:ListBucket", "", "bucket", "request", "always"}},
		OpListBuckets:   {{"s3:ListAllMyBuckets", "", "service", "request", "always"}},
		OpUploadPart:    {{"s3:PutObject", "", "object", "request", "always"}},
		OpUploadPartCopy: {
			{"s3:GetObject", "s3:GetObjectVersion", "object", "copy-source", "always"},
			{"s3:PutObject", "", "object", "request", "always"},
		},
		OpCopyObject: {
			{"s3:GetObject", "s3:GetObjectVersion", "object", "copy-source", "always"},
			{"s3:PutObject", "", "object", "request", "always"},
			{"s3:PutObjectAcl", "", "object", "request", "with-acl"},
			{"s3:PutObjectTagging", "", "object", "request", "with-tagging"},
			{"s3:PutObjectRetention", "", "object", "request", "with-retention"},
			{"s3:PutObjectLegalHold", "", "object", "request", "with-legal-hold"},
			{"s3:BypassGovernanceRetention", "", "object", "request", "with-bypass-governance"},
		},
		OpDeleteObjects: {
			{"s3:DeleteObject", "s3:DeleteObjectVersion", "object", "each-key", "always"},
			{"s3:BypassGovernanceRetention", "", "object", "each-key", "with-bypass-governance"},
		},
		OpDeleteBucketCors:    {{"s3:PutBucketCORS", "", "bucket", "request", "always"}},
		OpDeleteBucketTagging: {{"s3:PutBucketTagging", "", "bucket", "request", "always"}},
	}
	for o, w := range want {
		if d := cmp.Diff(w, flat(o)); d != "" {
			t.Errorf("%s requirements (-want +got):\n%s", o, d)
		}
	}
	r := OpGetObject.Requires()[0]
	if r.ActionFor(false) != GetObject || r.ActionFor(true) != GetObjectVersion {
		t.Error("ActionFor")
	}
	if OpNone.Valid() || OpNone.Name() != "" || OpNone.Requires() != nil || numOperations.Valid() {
		t.Error("OpNone")
	}
}

func TestKeys(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		n := strings.ToLower(k.Name())
		if seen[n] {
			t.Errorf("duplicate key %s", k)
		}
		seen[n] = true
		if k.Type() == 0 {
			t.Errorf("%s has no type", k)
		}
		name := k.Name()
		if k.IsPrefix() {
			name += "/Tag"
		}
		got, suffix, ok := LookupKey(strings.ToUpper(name))
		if !ok || got != k {
			t.Errorf("LookupKey(%q) = %v %v", strings.ToUpper(name), got, ok)
		}
		if k.IsPrefix() && suffix != "TAG" {
			t.Errorf("suffix %q", suffix)
		}
		if h := k.Header(); h != "" {
			if h != http.CanonicalHeaderKey(h) || !strings.EqualFold("s3:"+h, k.Name()) {
				t.Errorf("%s: header %q", k, h)
			}
		} else if strings.HasPrefix(k.Name(), "s3:x-amz-") {
			t.Errorf("%s has no header", k)
		}
	}
	cases := []struct {
		in     string
		key    Key
		suffix string
		ok     bool
	}{
		{"aws:SourceIp", AWSSourceIP, "", true},
		{"aws:sourceip", AWSSourceIP, "", true},
		{"s3:ExistingObjectTag/Project", S3ExistingObjectTag, "Project", true},
		{"s3:existingobjecttag/a/b", S3ExistingObjectTag, "a/b", true},
		{"s3:ExistingObjectTag", KeyNone, "", false},
		{"s3:ExistingObjectTag/", KeyNone, "", false},
		{"aws:SourceIp/x", KeyNone, "", false},
		{"s3:RequestObjectTagKeys", S3RequestObjectTagKeys, "", true},
		{"yc:private-endpoint-id", YCPrivateEndpointID, "", true},
		{"ec2:Vpc", KeyNone, "", false},
		{"aws:Nonexistent", KeyNone, "", false},
	}
	for _, c := range cases {
		k, s, ok := LookupKey(c.in)
		if k != c.key || s != c.suffix || ok != c.ok {
			t.Errorf("LookupKey(%q) = %v %q %v, want %v %q %v", c.in, k, s, ok, c.key, c.suffix, c.ok)
		}
	}
	types := map[Key]KeyType{
		AWSSourceIP: TypeIPAddress, AWSSecureTransport: TypeBool, AWSCurrentTime: TypeDate,
		AWSEpochTime: TypeDate, AWSTokenIssueTime: TypeDate, S3MaxKeys: TypeNumeric,
		S3SignatureAge: TypeNumeric, AWSPrincipalArn: TypeARN, S3Prefix: TypeString,
	}
	for k, ty := range types {
		if k.Type() != ty {
			t.Errorf("%s type %s, want %s", k, k.Type(), ty)
		}
	}
	if !S3RequestObjectTagKeys.MultiValued() || AWSSourceIP.MultiValued() {
		t.Error("MultiValued")
	}
}

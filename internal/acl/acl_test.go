package acl

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var owner = Owner{ID: "folder1", DisplayName: "default"}

// codeOf returns the S3 code of err, "" for nil, and fails for a non-*Error.
func codeOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *acl.Error", err, err)
	}
	return e.Code
}

func TestFromCanned(t *testing.T) {
	ld := Grantee{Type: Group, URI: LogDeliveryURI}
	tests := []struct {
		name string
		want []Grant
		code string
	}{
		{name: "private"},
		{name: "public-read", want: []Grant{{AllUsers(), Read}}},
		{name: "public-read-write", want: []Grant{{AllUsers(), Read}, {AllUsers(), Write}}},
		{name: "authenticated-read", want: []Grant{{AuthenticatedUsers(), Read}}},
		{name: "bucket-owner-read"},
		{name: "bucket-owner-full-control"},
		{name: "log-delivery-write", want: []Grant{{ld, Write}, {ld, ReadACP}}},
		{name: "Private", code: CodeInvalidArgument},
		{name: "aws-exec-read", code: CodeInvalidArgument},
		{name: "", code: CodeInvalidArgument},
		{name: "public-read ", code: CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			got, err := FromCanned(tt.name, owner)
			if c := codeOf(t, err); c != tt.code {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.code, err)
			}
			if tt.code != "" {
				return
			}
			want := ACL{Owner: owner, Grants: tt.want}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("FromCanned(%q) (-want +got):\n%s", tt.name, d)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("canned ACL does not validate: %v", err)
			}
		})
	}
}

func TestCannedOwnerGetsNothing(t *testing.T) {
	// The Yandex model: being the owner grants nothing, under any canned ACL.
	// The owner ID is deliberately a plausible SA ID so that a stray owner
	// grant would show.
	o := Owner{ID: "sa-owner"}
	for _, name := range []string{"private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"} {
		a, err := FromCanned(name, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range a.Grants {
			if g.Grantee.Type == CanonicalUser {
				t.Errorf("%s: canned ACL grants %v to a canonical user", name, g)
			}
		}
		if a.Allows(WriteACP, Subject{Authenticated: true, ID: "sa-owner"}) {
			t.Errorf("%s: owner got WRITE_ACP", name)
		}
	}
}

func TestAllowsTruthTable(t *testing.T) {
	anon := Subject{}
	sa1 := Subject{Authenticated: true, ID: "sa1"}
	sa2 := Subject{Authenticated: true, ID: "sa2"}
	authNoID := Subject{Authenticated: true}
	anonClaimingID := Subject{ID: "sa1"} // not authenticated: the ID must not count
	subjects := []struct {
		name string
		s    Subject
	}{{"anonymous", anon}, {"sa1", sa1}, {"sa2", sa2}, {"auth-without-id", authNoID}, {"anon-claiming-sa1", anonClaimingID}}

	grantees := []struct {
		name string
		g    Grantee
		// matches lists which subjects (by name) the grantee covers.
		matches map[string]bool
	}{
		{"AllUsers", AllUsers(), map[string]bool{"anonymous": true, "sa1": true, "sa2": true, "auth-without-id": true, "anon-claiming-sa1": true}},
		{"AuthenticatedUsers", AuthenticatedUsers(), map[string]bool{"sa1": true, "sa2": true, "auth-without-id": true}},
		{"user sa1", User("sa1"), map[string]bool{"sa1": true}},
		{"LogDelivery", Grantee{Type: Group, URI: LogDeliveryURI}, map[string]bool{}},
		{"empty user", User(""), map[string]bool{}},
	}
	perms := []Permission{Read, Write, ReadACP, WriteACP, FullControl}

	for _, ge := range grantees {
		for _, granted := range perms {
			a := ACL{Grants: []Grant{{ge.g, granted}}}
			for _, asked := range perms {
				for _, sub := range subjects {
					want := ge.matches[sub.name] && (granted == asked || granted == FullControl)
					if got := a.Allows(asked, sub.s); got != want {
						t.Errorf("grant %s %v, ask %v as %s: Allows = %v, want %v", ge.name, granted, asked, sub.name, got, want)
					}
					g, ok := a.Match(asked, sub.s)
					if ok != want || (ok && g != a.Grants[0]) {
						t.Errorf("grant %s %v, ask %v as %s: Match = %v %v", ge.name, granted, asked, sub.name, g, ok)
					}
				}
			}
		}
	}
	// Asking for an invalid permission never matches, even with FULL_CONTROL.
	if (ACL{Grants: []Grant{{AllUsers(), FullControl}}}).Allows(0, sa1) {
		t.Error("permission 0 allowed")
	}
	if (ACL{}).Allows(Read, sa1) {
		t.Error("empty ACL allows")
	}
}

func TestMatchPrefersDirectGrant(t *testing.T) {
	a := ACL{Grants: []Grant{
		{AllUsers(), Read},
		{AuthenticatedUsers(), Read},
		{User("sa1"), FullControl},
	}}
	g, ok := a.Match(Read, Subject{Authenticated: true, ID: "sa1"})
	if !ok || g.Grantee != User("sa1") {
		t.Errorf("Match = %v %v, want the direct grant", g, ok)
	}
	g, ok = a.Match(Read, Subject{Authenticated: true, ID: "sa2"})
	if !ok || g.Grantee != AllUsers() {
		t.Errorf("Match = %v %v, want the first group grant", g, ok)
	}
	if _, ok := a.Match(Write, Subject{Authenticated: true, ID: "sa2"}); ok {
		t.Error("Match(Write) for sa2 matched")
	}
}

func TestPublic(t *testing.T) {
	for _, tt := range []struct {
		a    ACL
		want bool
	}{
		{ACL{}, false},
		{ACL{Grants: []Grant{{User("sa1"), FullControl}}}, false},
		{ACL{Grants: []Grant{{Grantee{Type: Group, URI: LogDeliveryURI}, Write}}}, false},
		{ACL{Grants: []Grant{{User("sa1"), Read}, {AuthenticatedUsers(), Read}}}, true},
		{ACL{Grants: []Grant{{AllUsers(), ReadACP}}}, true},
	} {
		if got := tt.a.Public(); got != tt.want {
			t.Errorf("%v.Public() = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestEvaluationDoesNotAllocate(t *testing.T) {
	a := ACL{Grants: make([]Grant, 0, MaxGrants)}
	for i := 0; i < MaxGrants-1; i++ {
		a.Grants = append(a.Grants, Grant{User(fmt.Sprintf("sa%03d", i)), ReadACP})
	}
	a.Grants = append(a.Grants, Grant{AuthenticatedUsers(), Read})
	who := Subject{Authenticated: true, ID: "sa999"}
	var sink bool
	n := testing.AllocsPerRun(100, func() {
		sink = a.Allows(Read, who)
		_, ok := a.Match(Read, who)
		sink = sink && ok
		p, ok := Required("s3:ListBucketMultipartUploads", false)
		sink = sink && ok && p == Read
		_, ok = InheritedFromBucket("s3:GetObject")
		sink = sink && ok
	})
	if n != 0 {
		t.Errorf("evaluation allocates %v times per run", n)
	}
	if !sink {
		t.Error("evaluation gave the wrong answer")
	}
}

func TestRequired(t *testing.T) {
	type res struct {
		p  Permission
		ok bool
	}
	tests := []struct {
		action string
		bucket res
		object res
	}{
		{"s3:ListBucket", res{Read, true}, res{}},
		{"s3:ListBucketVersions", res{Read, true}, res{}},
		{"s3:ListBucketMultipartUploads", res{Read, true}, res{}},
		{"s3:ListMultipartUploadParts", res{Read, true}, res{}},
		{"s3:PutObject", res{Write, true}, res{}},
		{"s3:DeleteObject", res{Write, true}, res{}},
		{"s3:DeleteObjectVersion", res{Write, true}, res{}},
		{"s3:AbortMultipartUpload", res{Write, true}, res{}},
		{"s3:GetBucketAcl", res{ReadACP, true}, res{}},
		{"s3:PutBucketAcl", res{WriteACP, true}, res{}},
		{"s3:GetObject", res{}, res{Read, true}},
		{"s3:GetObjectVersion", res{}, res{Read, true}},
		{"s3:GetObjectAttributes", res{}, res{Read, true}},
		{"s3:GetObjectVersionAttributes", res{}, res{Read, true}},
		{"s3:GetObjectAcl", res{}, res{ReadACP, true}},
		{"s3:GetObjectVersionAcl", res{}, res{ReadACP, true}},
		{"s3:PutObjectAcl", res{}, res{WriteACP, true}},
		{"s3:PutObjectVersionAcl", res{}, res{WriteACP, true}},
		// Decided by roles and policies only.
		{"s3:PutBucketPolicy", res{}, res{}},
		{"s3:GetBucketPolicy", res{}, res{}},
		{"s3:DeleteBucket", res{}, res{}},
		{"s3:CreateBucket", res{}, res{}},
		{"s3:ListAllMyBuckets", res{}, res{}},
		{"s3:PutObjectTagging", res{}, res{}},
		{"s3:GetObjectTagging", res{}, res{}},
		{"s3:PutBucketPublicAccessBlock", res{}, res{}},
		{"S3:GetObject", res{}, res{}}, // action names are matched exactly
		{"s3:*", res{}, res{}},
		{"", res{}, res{}},
	}
	for _, tt := range tests {
		if p, ok := Required(tt.action, false); (res{p, ok}) != tt.bucket {
			t.Errorf("Required(%q, bucket) = %v %v, want %v", tt.action, p, ok, tt.bucket)
		}
		if p, ok := Required(tt.action, true); (res{p, ok}) != tt.object {
			t.Errorf("Required(%q, object) = %v %v, want %v", tt.action, p, ok, tt.object)
		}
		// Object-ACL WRITE never means anything.
		if p, ok := Required(tt.action, true); ok && p == Write {
			t.Errorf("Required(%q, object) = WRITE", tt.action)
		}
		// Inheritance covers exactly the object reads.
		p, ok := InheritedFromBucket(tt.action)
		if want := tt.object == (res{Read, true}); ok != want || (ok && p != Read) {
			t.Errorf("InheritedFromBucket(%q) = %v %v", tt.action, p, ok)
		}
	}
}

func TestPermission(t *testing.T) {
	for _, p := range []Permission{Read, Write, ReadACP, WriteACP, FullControl} {
		q, ok := ParsePermission(p.String())
		if !ok || q != p {
			t.Errorf("ParsePermission(%q) = %v %v", p.String(), q, ok)
		}
		if !FullControl.Implies(p) || !p.Implies(p) {
			t.Errorf("%v: implication broken", p)
		}
	}
	if Read.Implies(Write) || Write.Implies(FullControl) || ReadACP.Implies(WriteACP) {
		t.Error("a lesser permission implies another")
	}
	for _, s := range []string{"read", "FULLCONTROL", "", "READ ", "WRITE_ACP\x00"} {
		if _, ok := ParsePermission(s); ok {
			t.Errorf("ParsePermission(%q) accepted", s)
		}
	}
	if Permission(0).String() != "" || Permission(9).Valid() {
		t.Error("invalid permission looks valid")
	}
}

func TestParseGroupURI(t *testing.T) {
	tests := map[string]string{
		"http://acs.amazonaws.com/groups/global/AllUsers":           AllUsersURI,
		"http://acs.amazonaws.com/groups/s3/AllUsers":               AllUsersURI,
		"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": AuthenticatedUsersURI,
		"http://acs.amazonaws.com/groups/s3/AuthenticatedUsers":     AuthenticatedUsersURI,
		"http://acs.amazonaws.com/groups/s3/LogDelivery":            LogDeliveryURI,
		"https://acs.amazonaws.com/groups/global/AllUsers":          "",
		"http://acs.amazonaws.com/groups/global/allusers":           "",
		"http://acs.amazonaws.com/groups/global/LogDelivery":        "",
		"http://acs.amazonaws.com/groups/global/AllUsers/":          "",
		"AllUsers": "",
		"":         "",
	}
	for in, want := range tests {
		got, ok := ParseGroupURI(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseGroupURI(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestJSON(t *testing.T) {
	a := ACL{Owner: owner, Grants: []Grant{
		{User("sa1"), FullControl},
		{AllUsers(), Read},
	}}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"owner":{"id":"folder1","displayName":"default"},"grants":[{"grantee":{"type":"CanonicalUser","id":"sa1"},"permission":"FULL_CONTROL"},{"grantee":{"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers"},"permission":"READ"}]}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
	var back ACL
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, back); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}
	var bad ACL
	if err := json.Unmarshal([]byte(`{"grants":[{"grantee":{"type":"Group","uri":"x"},"permission":"READ"}]}`), &bad); err != nil {
		t.Fatal(err)
	}
	if c := codeOf(t, bad.Validate()); c != CodeInvalidArgument {
		t.Errorf("Validate of a bad URI: code %q", c)
	}
	if err := json.Unmarshal([]byte(`{"grants":[{"grantee":{"type":"Group"},"permission":"READ_WRITE"}]}`), new(ACL)); err == nil {
		t.Error("unknown permission decoded from JSON")
	}
}

func TestValidate(t *testing.T) {
	many := make([]Grant, MaxGrants+1)
	for i := range many {
		many[i] = Grant{AllUsers(), Read}
	}
	known := CheckID(func(id string) bool { return id == "sa1" })
	tests := []struct {
		name string
		a    ACL
		opts []Option
		code string
	}{
		{"empty", ACL{}, nil, ""},
		{"good", ACL{Owner: owner, Grants: []Grant{{User("sa1"), Read}, {AllUsers(), Write}}}, []Option{known}, ""},
		{"100", ACL{Grants: many[:MaxGrants]}, nil, ""},
		{"101", ACL{Grants: many}, nil, CodeMalformedACL},
		{"unknown id", ACL{Grants: []Grant{{User("sa2"), Read}}}, []Option{known}, CodeInvalidArgument},
		{"bad id", ACL{Grants: []Grant{{User("sa 1"), Read}}}, nil, CodeInvalidArgument},
		{"empty id", ACL{Grants: []Grant{{User(""), Read}}}, nil, CodeInvalidArgument},
		{"bad owner id", ACL{Owner: Owner{ID: "a<b"}}, nil, CodeInvalidArgument},
		{"non-canonical uri", ACL{Grants: []Grant{{Grantee{Type: Group, URI: "http://acs.amazonaws.com/groups/s3/AllUsers"}, Read}}}, nil, CodeInvalidArgument},
		{"group with id", ACL{Grants: []Grant{{Grantee{Type: Group, URI: AllUsersURI, ID: "x"}, Read}}}, nil, CodeMalformedACL},
		{"user with uri", ACL{Grants: []Grant{{Grantee{Type: CanonicalUser, ID: "x", URI: AllUsersURI}, Read}}}, nil, CodeMalformedACL},
		{"no type", ACL{Grants: []Grant{{Grantee{ID: "x"}, Read}}}, nil, CodeMalformedACL},
		{"no permission", ACL{Grants: []Grant{{User("x"), 0}}}, nil, CodeMalformedACL},
		{"bad display name", ACL{Grants: []Grant{{Grantee{Type: CanonicalUser, ID: "x", DisplayName: "\xff"}, Read}}}, nil, CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := codeOf(t, tt.a.Validate(tt.opts...)); c != tt.code {
				t.Errorf("code = %q, want %q", c, tt.code)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	_, err := FromCanned("nope", owner)
	if !errors.Is(err, &Error{Code: CodeInvalidArgument}) {
		t.Errorf("errors.Is by code failed for %v", err)
	}
	if errors.Is(err, &Error{Code: CodeMalformedACL}) {
		t.Error("errors.Is matched another code")
	}
	if s := err.Error(); s != `acl: InvalidArgument: Invalid canned ACL "nope"` {
		t.Errorf("Error() = %q", s)
	}
}

func TestClone(t *testing.T) {
	a := ACL{Owner: owner, Grants: []Grant{{User("sa1"), Read}}}
	b := a.Clone()
	b.Grants[0].Permission = Write
	if a.Grants[0].Permission != Read {
		t.Error("Clone shares the grant slice")
	}
}

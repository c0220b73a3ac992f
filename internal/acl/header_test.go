package acl

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromHeaders(t *testing.T) {
	ld := Grantee{Type: Group, URI: LogDeliveryURI}
	tests := []struct {
		name    string
		h       map[string][]string // set with Header.Add, so keys may be any case
		opts    []Option
		present bool
		want    []Grant
		code    string
	}{
		{name: "none", h: nil, present: false},
		{name: "unrelated headers", h: map[string][]string{"Content-Type": {"text/plain"}, "X-Amz-Meta-Acl": {"public-read"}}, present: false},

		// Canned.
		{name: "canned private", h: map[string][]string{"x-amz-acl": {"private"}}, present: true},
		{name: "canned public-read", h: map[string][]string{"X-Amz-Acl": {"public-read"}}, present: true, want: []Grant{{AllUsers(), Read}}},
		{name: "canned padded", h: map[string][]string{"x-amz-acl": {" authenticated-read "}}, present: true, want: []Grant{{AuthenticatedUsers(), Read}}},
		{name: "canned log-delivery-write", h: map[string][]string{"x-amz-acl": {"log-delivery-write"}}, present: true, want: []Grant{{ld, Write}, {ld, ReadACP}}},
		{name: "canned unknown", h: map[string][]string{"x-amz-acl": {"public"}}, present: true, code: CodeInvalidArgument},
		{name: "canned empty", h: map[string][]string{"x-amz-acl": {""}}, present: true, code: CodeInvalidArgument},
		{name: "canned twice", h: map[string][]string{"x-amz-acl": {"private", "private"}}, present: true, code: CodeInvalidArgument},
		{name: "canned and grant", h: map[string][]string{"x-amz-acl": {"private"}, "x-amz-grant-read": {`id="sa1"`}}, present: true, code: CodeInvalidRequest},
		{name: "canned and empty grant", h: map[string][]string{"x-amz-acl": {"private"}, "x-amz-grant-full-control": {""}}, present: true, code: CodeInvalidRequest},

		// Grants.
		{name: "read id quoted", h: map[string][]string{"x-amz-grant-read": {`id="sa1"`}}, present: true, want: []Grant{{User("sa1"), Read}}},
		{name: "read id bare", h: map[string][]string{"x-amz-grant-read": {`id=sa1`}}, present: true, want: []Grant{{User("sa1"), Read}}},
		{name: "key case-insensitive", h: map[string][]string{"x-amz-grant-read": {`ID="sa1", Uri="` + AllUsersURI + `"`}}, present: true,
			want: []Grant{{User("sa1"), Read}, {AllUsers(), Read}}},
		{name: "spaces everywhere", h: map[string][]string{"x-amz-grant-write": {`  id = "sa1" ,uri= "http://acs.amazonaws.com/groups/s3/AuthenticatedUsers"  `}}, present: true,
			want: []Grant{{User("sa1"), Write}, {AuthenticatedUsers(), Write}}},
		{name: "aws cli style unquoted uri", h: map[string][]string{"x-amz-grant-read": {`uri=http://acs.amazonaws.com/groups/global/AllUsers,id=sa2`}}, present: true,
			want: []Grant{{AllUsers(), Read}, {User("sa2"), Read}}},
		{name: "s3 spelling normalised", h: map[string][]string{"x-amz-grant-read": {`uri="http://acs.amazonaws.com/groups/s3/AllUsers"`}}, present: true,
			want: []Grant{{AllUsers(), Read}}},
		{name: "all five headers in fixed order", h: map[string][]string{
			"x-amz-grant-full-control": {`id="f"`},
			"x-amz-grant-write-acp":    {`id="wa"`},
			"x-amz-grant-read-acp":     {`id="ra"`},
			"x-amz-grant-write":        {`id="w"`},
			"x-amz-grant-read":         {`id="r"`},
		}, present: true, want: []Grant{{User("r"), Read}, {User("w"), Write}, {User("ra"), ReadACP}, {User("wa"), WriteACP}, {User("f"), FullControl}}},
		{name: "repeated header lines", h: map[string][]string{"x-amz-grant-read": {`id="a"`, `id="b", id="c"`}}, present: true,
			want: []Grant{{User("a"), Read}, {User("b"), Read}, {User("c"), Read}}},
		{name: "duplicates kept", h: map[string][]string{"x-amz-grant-read": {`id="a", id="a"`}}, present: true,
			want: []Grant{{User("a"), Read}, {User("a"), Read}}},
		{name: "known id", h: map[string][]string{"x-amz-grant-read": {`id="sa1"`}}, opts: []Option{CheckID(func(id string) bool { return id == "sa1" })}, present: true,
			want: []Grant{{User("sa1"), Read}}},

		// Bad grants.
		{name: "unknown id", h: map[string][]string{"x-amz-grant-read": {`id="sa2"`}}, opts: []Option{CheckID(func(id string) bool { return id == "sa1" })}, present: true, code: CodeInvalidArgument},
		{name: "empty value", h: map[string][]string{"x-amz-grant-read": {""}}, present: true, code: CodeInvalidArgument},
		{name: "empty id", h: map[string][]string{"x-amz-grant-read": {`id=""`}}, present: true, code: CodeInvalidArgument},
		{name: "id with space", h: map[string][]string{"x-amz-grant-read": {`id="sa 1"`}}, present: true, code: CodeInvalidArgument},
		{name: "id too long", h: map[string][]string{"x-amz-grant-read": {`id="` + strings.Repeat("a", MaxIDLength+1) + `"`}}, present: true, code: CodeInvalidArgument},
		{name: "email", h: map[string][]string{"x-amz-grant-read": {`emailAddress="x@example.com"`}}, present: true, code: CodeNotImplemented},
		{name: "email lower-case", h: map[string][]string{"x-amz-grant-read": {`id="sa1", emailaddress="x@example.com"`}}, present: true, code: CodeNotImplemented},
		{name: "unknown group", h: map[string][]string{"x-amz-grant-read": {`uri="http://acs.amazonaws.com/groups/global/Everyone"`}}, present: true, code: CodeInvalidArgument},
		{name: "unknown key", h: map[string][]string{"x-amz-grant-read": {`user="sa1"`}}, present: true, code: CodeInvalidArgument},
		{name: "no equals", h: map[string][]string{"x-amz-grant-read": {`sa1`}}, present: true, code: CodeInvalidArgument},
		{name: "unterminated quote", h: map[string][]string{"x-amz-grant-read": {`id="sa1`}}, present: true, code: CodeInvalidArgument},
		{name: "junk after quote", h: map[string][]string{"x-amz-grant-read": {`id="sa1"x`}}, present: true, code: CodeInvalidArgument},
		{name: "trailing comma", h: map[string][]string{"x-amz-grant-read": {`id="sa1",`}}, present: true, code: CodeInvalidArgument},
		{name: "double comma", h: map[string][]string{"x-amz-grant-read": {`id="sa1",,id="sa2"`}}, present: true, code: CodeInvalidArgument},
		{name: "semicolon separated", h: map[string][]string{"x-amz-grant-read": {`id=sa1;id=sa2`}}, present: true, code: CodeInvalidArgument},
		{name: "quote inside bare value", h: map[string][]string{"x-amz-grant-read": {`id=sa"1"`}}, present: true, code: CodeInvalidArgument},
		{name: "101 grants", h: map[string][]string{"x-amz-grant-read": {strings.Repeat(`id="a",`, 100) + `id="a"`}}, present: true, code: CodeInvalidArgument},
		{name: "101 grants across headers", h: map[string][]string{"x-amz-grant-read": {strings.TrimSuffix(strings.Repeat(`id="a",`, 60), ",")}, "x-amz-grant-write": {strings.TrimSuffix(strings.Repeat(`id="a",`, 41), ",")}}, present: true, code: CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range tt.h {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			got, present, err := FromHeaders(h, owner, tt.opts...)
			if present != tt.present {
				t.Errorf("present = %v, want %v", present, tt.present)
			}
			if c := codeOf(t, err); c != tt.code {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.code, err)
			}
			if tt.code != "" {
				if d := cmp.Diff(ACL{}, got); d != "" {
					t.Errorf("ACL returned with an error:\n%s", d)
				}
				return
			}
			var want ACL
			if tt.present {
				want = ACL{Owner: owner, Grants: tt.want}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("FromHeaders (-want +got):\n%s", d)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("result does not validate: %v", err)
			}
		})
	}
}

func TestFromHeadersExactly100(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderGrantRead, strings.TrimSuffix(strings.Repeat(`id="a",`, 100), ","))
	a, _, err := FromHeaders(h, owner)
	if err != nil || len(a.Grants) != 100 {
		t.Fatalf("100 grants: %d grants, err %v", len(a.Grants), err)
	}
}

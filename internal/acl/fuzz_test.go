package acl

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseXML checks that ParseXML never panics, refuses only with an
// *Error, and that whatever it accepts is a valid ACL that survives
// render → parse unchanged. The seed corpus is testdata/examples plus
// testdata/fuzz/FuzzParseXML (inputs kept from earlier fuzzing runs).
func FuzzParseXML(f *testing.F) {
	files, _ := filepath.Glob("testdata/examples/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(policy(grantee("Group", "<URI>"+AllUsersURI+"</URI>") + "<Permission>READ</Permission>")))
	f.Add(RenderXML(ACL{Owner: owner, Grants: []Grant{{User("sa1"), FullControl}, {AuthenticatedUsers(), Read}}}))

	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := ParseXML(bytes.NewReader(doc))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *acl.Error: %v", err)
			}
			if len(e.Message) > 400 {
				t.Fatalf("error message of %d bytes", len(e.Message))
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted ACL does not validate: %v\n%+v", err, a)
		}
		out := RenderXML(a)
		back, err := ParseXML(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("rendered ACL does not parse: %v\n%s", err, out)
		}
		if d := cmp.Diff(a, back); d != "" {
			t.Fatalf("parse(render(x)) != x (-want +got):\n%s\n%s", d, out)
		}
		if !bytes.Equal(out, RenderXML(back)) {
			t.Fatal("rendering is not stable")
		}
	})
}

// FuzzFromHeaders checks the grant-header parser the same way: no panic,
// *Error only, and an accepted ACL is valid.
func FuzzFromHeaders(f *testing.F) {
	f.Add("", `id="sa1", uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
	f.Add("public-read", "")
	f.Add("", `ID=sa1,emailAddress="a@b"`)
	f.Add("", `uri=http://acs.amazonaws.com/groups/s3/AuthenticatedUsers , id = "x"`)
	f.Fuzz(func(t *testing.T, canned, grant string) {
		h := http.Header{}
		if canned != "" {
			h.Set(HeaderACL, canned)
		}
		if grant != "" {
			h.Set(HeaderGrantReadACP, grant)
		}
		a, present, err := FromHeaders(h, owner)
		if present != (canned != "" || grant != "") {
			t.Fatalf("present = %v", present)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *acl.Error: %v", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted ACL does not validate: %v\n%+v", err, a)
		}
	})
}

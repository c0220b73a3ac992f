package acl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// TestXMLExamples parses every testdata/examples/NAME.xml and compares the
// result, as indented JSON, with NAME.want ("error: CODE" for a refusal).
// Documents modelled on published examples say so in a comment.
func TestXMLExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			wantB, err := os.ReadFile(strings.TrimSuffix(f, ".xml") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSpace(string(wantB))
			got, err := ParseXML(bytes.NewReader(in))
			if code, ok := strings.CutPrefix(want, "error: "); ok {
				code, _, _ = strings.Cut(code, "\n")
				if c := codeOf(t, err); c != code {
					t.Fatalf("code = %q, want %q (err %v)", c, code, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseXML: %v", err)
			}
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			if d := cmp.Diff(want, string(gotJSON)); d != "" {
				t.Errorf("parsed ACL (-want +got):\n%s", d)
			}
			back, err := ParseXML(bytes.NewReader(RenderXML(got)))
			if err != nil {
				t.Fatalf("re-parse of rendered ACL: %v", err)
			}
			if d := cmp.Diff(got, back); d != "" {
				t.Errorf("render/parse round trip (-want +got):\n%s", d)
			}
		})
	}
}

func TestRenderXMLExact(t *testing.T) {
	a := ACL{
		Owner: Owner{ID: "folder1", DisplayName: "default"},
		Grants: []Grant{
			{Grantee{Type: CanonicalUser, ID: "sa1", DisplayName: "a&b <c>"}, FullControl},
			{User("sa2"), Read},
			{AllUsers(), Read},
		},
	}
	const want = `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>folder1</ID><DisplayName>default</DisplayName></Owner><AccessControlList>` +
		`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>sa1</ID><DisplayName>a&amp;b &lt;c&gt;</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
		`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>sa2</ID></Grantee><Permission>READ</Permission></Grant>` +
		`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
		`</AccessControlList></AccessControlPolicy>`
	if d := cmp.Diff(want, string(RenderXML(a))); d != "" {
		t.Errorf("RenderXML (-want +got):\n%s", d)
	}
	const empty = `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList></AccessControlList></AccessControlPolicy>`
	if got := string(RenderXML(ACL{})); got != empty {
		t.Errorf("RenderXML(empty) = %s", got)
	}
	if got := AppendXML([]byte("x"), ACL{}); string(got) != "x"+empty {
		t.Errorf("AppendXML does not append: %s", got)
	}
}

func TestXMLRoundTrip(t *testing.T) {
	many := make([]Grant, MaxGrants)
	for i := range many {
		many[i] = Grant{User(fmt.Sprintf("sa-%d", i)), Permission(i%5 + 1)}
	}
	tests := map[string]ACL{
		"empty":            {},
		"owner only":       {Owner: owner},
		"owner name only":  {Owner: Owner{DisplayName: "x"}},
		"canned-like":      {Owner: owner, Grants: []Grant{{AllUsers(), Read}, {AllUsers(), Write}}},
		"every permission": {Grants: []Grant{{User("a"), Read}, {User("b"), Write}, {User("c"), ReadACP}, {User("d"), WriteACP}, {User("e"), FullControl}}},
		"every group":      {Grants: []Grant{{AllUsers(), Read}, {AuthenticatedUsers(), Read}, {Grantee{Type: Group, URI: LogDeliveryURI}, Write}}},
		"max grants":       {Owner: owner, Grants: many},
		"odd display names": {Owner: Owner{ID: "f", DisplayName: " lead & trail \t\r\n"}, Grants: []Grant{
			{Grantee{Type: CanonicalUser, ID: "a.b_c~d:e@f+g=h-i", DisplayName: `"quoted" 'single' <tag> ]]> ∑ 日本`}, Read},
		}},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			if err := a.Validate(); err != nil {
				t.Fatalf("test ACL invalid: %v", err)
			}
			got, err := ParseXML(bytes.NewReader(RenderXML(a)))
			if err != nil {
				t.Fatalf("ParseXML(RenderXML(x)): %v", err)
			}
			if d := cmp.Diff(a, got); d != "" {
				t.Errorf("parse(render(x)) != x (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseXMLGroupSpellings(t *testing.T) {
	for uri, want := range map[string]string{
		"http://acs.amazonaws.com/groups/global/AllUsers":           AllUsersURI,
		"http://acs.amazonaws.com/groups/s3/AllUsers":               AllUsersURI,
		"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": AuthenticatedUsersURI,
		"http://acs.amazonaws.com/groups/s3/AuthenticatedUsers":     AuthenticatedUsersURI,
		"  http://acs.amazonaws.com/groups/s3/AllUsers\n":           AllUsersURI,
		"http://acs.amazonaws.com/groups/s3/LogDelivery":            LogDeliveryURI,
		"http://acs.amazonaws.com/groups/global/AllUser":            "",
		"http://acs.amazonaws.com/groups/global/allusers":           "",
		"": "",
	} {
		doc := policy(grantee("Group", "<URI>"+uri+"</URI>") + "<Permission>READ</Permission>")
		a, err := ParseXML(strings.NewReader(doc))
		if want == "" {
			if c := codeOf(t, err); c != CodeInvalidArgument {
				t.Errorf("URI %q: code %q, want InvalidArgument", uri, c)
			}
			continue
		}
		if err != nil {
			t.Errorf("URI %q: %v", uri, err)
			continue
		}
		if got := a.Grants[0].Grantee.URI; got != want {
			t.Errorf("URI %q parsed as %q, want %q", uri, got, want)
		}
	}
}

// policy wraps grant bodies in a document.
func policy(grants ...string) string {
	var b strings.Builder
	b.WriteString(`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>folder1</ID></Owner><AccessControlList>`)
	for _, g := range grants {
		b.WriteString("<Grant>" + g + "</Grant>")
	}
	b.WriteString(`</AccessControlList></AccessControlPolicy>`)
	return b.String()
}

func grantee(typ, body string) string {
	return `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="` + typ + `">` + body + `</Grantee>`
}

func TestParseXMLErrors(t *testing.T) {
	user := grantee("CanonicalUser", "<ID>sa1</ID>")
	read := "<Permission>READ</Permission>"
	tests := []struct {
		name string
		doc  string
		code string
	}{
		{"ok", policy(user + read), ""},
		{"utf-8 bom", "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8"?>` + policy(user+read), ""},
		{"lower-case encoding name", `<?xml version="1.0" encoding="utf-8"?>` + policy(user+read), ""},
		{"bom twice", "\xef\xbb\xbf\xef\xbb\xbf" + policy(user+read), CodeMalformedACL},
		{"empty", "", CodeMalformedACL},
		{"only space", " \n ", CodeMalformedACL},
		{"not xml", "hello", CodeMalformedACL},
		{"json", `{"grants":[]}`, CodeMalformedACL},
		{"truncated", policy(user + read)[:60], CodeMalformedACL},
		{"unclosed root", `<AccessControlPolicy><AccessControlList>`, CodeMalformedACL},
		{"mismatched tags", `<AccessControlPolicy><Owner></AccessControlPolicy></Owner>`, CodeMalformedACL},
		{"wrong root", `<AccessControlList></AccessControlList>`, CodeMalformedACL},
		{"wrong root namespace", `<AccessControlPolicy xmlns="urn:other"></AccessControlPolicy>`, CodeMalformedACL},
		{"two roots", policy() + policy(), CodeMalformedACL},
		{"text after root", policy() + "x", CodeMalformedACL},
		{"text before root", "x" + policy(), CodeMalformedACL},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]>` + policy(), CodeMalformedACL},
		{"entity", strings.Replace(policy(user+read), "sa1", "&a;", 1), CodeMalformedACL},
		{"non-utf8 encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + policy(), CodeMalformedACL},
		{"invalid utf8", strings.Replace(policy(grantee("CanonicalUser", "<ID>sa1</ID><DisplayName>x</DisplayName>")+read), ">x<", ">\xff<", 1), CodeMalformedACL},
		{"unknown element in root", strings.Replace(policy(), "<AccessControlList>", "<Foo/><AccessControlList>", 1), CodeMalformedACL},
		{"text in root", strings.Replace(policy(), "<AccessControlList>", "oops<AccessControlList>", 1), CodeMalformedACL},
		{"two owners", strings.Replace(policy(), "<AccessControlList>", "<Owner/><AccessControlList>", 1), CodeMalformedACL},
		{"two lists", strings.Replace(policy(), "</AccessControlPolicy>", "<AccessControlList/></AccessControlPolicy>", 1), CodeMalformedACL},
		{"unknown owner child", strings.Replace(policy(), "<ID>folder1</ID>", "<ID>folder1</ID><Email>x</Email>", 1), CodeMalformedACL},
		{"two owner ids", strings.Replace(policy(), "<ID>folder1</ID>", "<ID>folder1</ID><ID>f2</ID>", 1), CodeMalformedACL},
		{"bad owner id", strings.Replace(policy(), "folder1", "folder 1", 1), CodeInvalidArgument},
		{"element in leaf", policy(grantee("CanonicalUser", "<ID>sa<b/>1</ID>") + read), CodeMalformedACL},
		{"unknown list child", strings.Replace(policy(), "</AccessControlList>", "<Grants/></AccessControlList>", 1), CodeMalformedACL},
		{"grant without grantee", policy(read), CodeMalformedACL},
		{"grant without permission", policy(user), CodeMalformedACL},
		{"two grantees", policy(user + user + read), CodeMalformedACL},
		{"two permissions", policy(user + read + read), CodeMalformedACL},
		{"unknown grant child", policy(user + read + "<Extra/>"), CodeMalformedACL},
		{"unknown permission", policy(user + "<Permission>READ_WRITE</Permission>"), CodeMalformedACL},
		{"lower-case permission", policy(user + "<Permission>read</Permission>"), CodeMalformedACL},
		{"empty permission", policy(user + "<Permission></Permission>"), CodeMalformedACL},
		{"unknown xsi:type", policy(grantee("User", "<ID>sa1</ID>") + read), CodeMalformedACL},
		{"xsi:type wrong case", policy(grantee("canonicaluser", "<ID>sa1</ID>") + read), CodeMalformedACL},
		{"type in other namespace", policy(`<Grantee xmlns:x="urn:x" x:type="CanonicalUser"><ID>sa1</ID></Grantee>` + read), ""}, // inferred from ID
		{"type in other namespace, ambiguous", policy(`<Grantee xmlns:x="urn:x" x:type="CanonicalUser"><ID>sa1</ID><URI>` + AllUsersURI + `</URI></Grantee>` + read), CodeMalformedACL},
		{"two xsi:type", policy(`<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:y="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group" y:type="CanonicalUser"><ID>sa1</ID></Grantee>` + read), CodeMalformedACL},
		{"other prefix bound to xsi", policy(`<Grantee xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="CanonicalUser"><ID>sa1</ID></Grantee>` + read), ""},
		{"canonical user without id", policy(grantee("CanonicalUser", "<DisplayName>x</DisplayName>") + read), CodeMalformedACL},
		{"canonical user with uri", policy(grantee("CanonicalUser", "<ID>sa1</ID><URI>"+AllUsersURI+"</URI>") + read), CodeMalformedACL},
		{"canonical user empty id", policy(grantee("CanonicalUser", "<ID></ID>") + read), CodeInvalidArgument},
		{"canonical user bad id", policy(grantee("CanonicalUser", "<ID>sa,1</ID>") + read), CodeInvalidArgument},
		{"canonical user long id", policy(grantee("CanonicalUser", "<ID>"+strings.Repeat("a", MaxIDLength+1)+"</ID>") + read), CodeInvalidArgument},
		{"long display name", policy(grantee("CanonicalUser", "<ID>a</ID><DisplayName>"+strings.Repeat("n", MaxDisplayNameLength+1)+"</DisplayName>") + read), CodeInvalidArgument},
		{"group without uri", policy(grantee("Group", "") + read), CodeMalformedACL},
		{"group with id", policy(grantee("Group", "<ID>sa1</ID><URI>"+AllUsersURI+"</URI>") + read), CodeMalformedACL},
		{"two ids", policy(grantee("CanonicalUser", "<ID>a</ID><ID>b</ID>") + read), CodeMalformedACL},
		{"unknown grantee child", policy(grantee("CanonicalUser", "<ID>a</ID><Type>x</Type>") + read), CodeMalformedACL},
		{"email by type", policy(grantee("AmazonCustomerByEmail", "<EmailAddress>a@b.c</EmailAddress>") + read), CodeNotImplemented},
		{"email inferred", policy(`<Grantee><EmailAddress>a@b.c</EmailAddress></Grantee>` + read), CodeNotImplemented},
		{"no type, nothing", policy(`<Grantee></Grantee>` + read), CodeMalformedACL},
		{"no type, only display name", policy(`<Grantee><DisplayName>x</DisplayName></Grantee>` + read), CodeMalformedACL},
		{"bad entity-free escape still fine", policy(grantee("CanonicalUser", "<ID>sa1</ID><DisplayName>&lt;&amp;&#65;</DisplayName>") + read), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseXML(strings.NewReader(tt.doc))
			if c := codeOf(t, err); c != tt.code {
				t.Fatalf("code = %q, want %q (err %v)", c, tt.code, err)
			}
			if err != nil {
				if d := cmp.Diff(ACL{}, a); d != "" {
					t.Errorf("ACL returned with an error:\n%s", d)
				}
				if len(err.Error()) > 300 {
					t.Errorf("error message is %d bytes long", len(err.Error()))
				}
			}
		})
	}
}

func TestParseXMLGrantLimit(t *testing.T) {
	g := grantee("CanonicalUser", "<ID>sa1</ID>") + "<Permission>READ</Permission>"
	grants := make([]string, MaxGrants+1)
	for i := range grants {
		grants[i] = g
	}
	a, err := ParseXML(strings.NewReader(policy(grants[:MaxGrants]...)))
	if err != nil || len(a.Grants) != MaxGrants {
		t.Fatalf("100 grants: %d, %v", len(a.Grants), err)
	}
	_, err = ParseXML(strings.NewReader(policy(grants...)))
	if c := codeOf(t, err); c != CodeMalformedACL {
		t.Fatalf("101 grants: code %q (%v), want MalformedACLError as S3 answers", c, err)
	}
}

func TestParseXMLSizeLimit(t *testing.T) {
	doc := policy()
	pad := strings.Repeat(" ", MaxXMLSize-len(doc))
	if _, err := ParseXML(strings.NewReader(doc + pad)); err != nil {
		t.Fatalf("document of exactly MaxXMLSize: %v", err)
	}
	_, err := ParseXML(strings.NewReader(doc + pad + " "))
	if c := codeOf(t, err); c != CodeMaxMessageLengthExceeded {
		t.Fatalf("oversized document: code %q (%v)", c, err)
	}
	// An endless body is cut at the limit, not read to the end.
	_, err = ParseXML(endless{})
	if c := codeOf(t, err); c != CodeMaxMessageLengthExceeded {
		t.Fatalf("endless body: code %q (%v)", c, err)
	}
	// A failing reader is not a client error.
	boom := errors.New("connection reset")
	_, err = ParseXML(iotest.ErrReader(boom))
	var ae *Error
	if !errors.Is(err, boom) || errors.As(err, &ae) {
		t.Fatalf("read error: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestParseXMLOptions(t *testing.T) {
	doc := policy(grantee("CanonicalUser", "<ID>sa1</ID>")+"<Permission>READ</Permission>",
		grantee("CanonicalUser", "<ID>sa2</ID>")+"<Permission>WRITE</Permission>")
	var asked []string
	known := CheckID(func(id string) bool { asked = append(asked, id); return id == "sa1" || id == "sa2" })
	a, err := ParseXML(strings.NewReader(doc), known)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"sa1", "sa2"}, asked); d != "" {
		t.Errorf("CheckID calls (-want +got):\n%s", d)
	}
	if a.Owner.ID != "folder1" {
		t.Errorf("owner = %v", a.Owner)
	}

	_, err = ParseXML(strings.NewReader(doc), CheckID(func(id string) bool { return id == "sa1" }))
	if c := codeOf(t, err); c != CodeInvalidArgument || !strings.Contains(err.Error(), "Invalid id") {
		t.Errorf("unknown id: %v", err)
	}

	// The callback is not consulted for a malformed document.
	asked = nil
	_, err = ParseXML(strings.NewReader(doc+"<x/>"), known)
	if codeOf(t, err) != CodeMalformedACL || len(asked) != 0 {
		t.Errorf("malformed document: err %v, callback asked %v", err, asked)
	}

	real := Owner{ID: "folder1", DisplayName: "the real name"}
	a, err = ParseXML(strings.NewReader(doc), ExpectOwner(real))
	if err != nil || a.Owner != real {
		t.Errorf("ExpectOwner match: %v %v", a.Owner, err)
	}
	_, err = ParseXML(strings.NewReader(doc), ExpectOwner(Owner{ID: "folder2"}))
	if c := codeOf(t, err); c != CodeAccessDenied {
		t.Errorf("ExpectOwner mismatch: %v", err)
	}
	noOwner := strings.Replace(doc, "<Owner><ID>folder1</ID></Owner>", "", 1)
	a, err = ParseXML(strings.NewReader(noOwner), ExpectOwner(Owner{ID: "folder2"}))
	if err != nil || a.Owner.ID != "folder2" {
		t.Errorf("ExpectOwner without Owner element: %v %v", a.Owner, err)
	}
}

package acl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxXMLSize caps an AccessControlPolicy document. A maximal real ACL (100
// grants with 64-character IDs and display names) is about 30 KB; a larger
// body is refused with MaxMessageLengthExceeded before it is parsed.
const MaxXMLSize = 64 << 10

// Namespaces of the AccessControlPolicy document.
const (
	S3Namespace  = "http://s3.amazonaws.com/doc/2006-03-01/"
	XSINamespace = "http://www.w3.org/2001/XMLSchema-instance"
)

// ParseXML reads an AccessControlPolicy document (the body of PutBucketAcl
// and PutObjectAcl) of at most MaxXMLSize bytes.
//
// Input rules, S3's unless said otherwise:
//   - The root is AccessControlPolicy, in S3's namespace or none. Child
//     elements are matched by local name (clients differ in how they repeat
//     or reset the default namespace). Unknown or repeated elements, text
//     where an element belongs, DTDs and anything after the root element are
//     MalformedACLError.
//   - Grantee's type is the xsi:type attribute, with xsi bound to the
//     XMLSchema-instance namespace, or the literal prefix "xsi" left unbound
//     (documents copied from S3 docs often omit the declaration).
//     CanonicalUser needs ID; Group needs URI; AmazonCustomerByEmail is
//     NotImplemented; any other type is MalformedACLError.
//   - Deviation: a Grantee without xsi:type is accepted when its children
//     name exactly one kind (ID, URI or EmailAddress). Several SDKs have lost
//     Type when reading an ACL (aws-sdk-go-v2 before its smithy-go fix,
//     aws/aws-sdk-go-v2#1013; aws-sdk-cpp#1088; rusoto#1703), and their
//     Get-then-Put of an ACL would otherwise fail.
//   - At most MaxGrants grants (MalformedACLError, as S3 answers); an unknown
//     Permission is MalformedACLError; an unknown group URI or a badly formed
//     ID, or one CheckID rejects, is InvalidArgument "Invalid id".
//   - With ExpectOwner, a present Owner/ID must match (else AccessDenied) and
//     the result carries the expected owner.
//
// ID, URI, Permission and EmailAddress values are trimmed of surrounding
// white space; DisplayName is kept exactly.
func ParseXML(r io.Reader, opts ...Option) (ACL, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxXMLSize+1))
	if err != nil {
		return ACL{}, fmt.Errorf("acl: reading ACL document: %w", err)
	}
	if len(data) > MaxXMLSize {
		return ACL{}, errorf(CodeMaxMessageLengthExceeded, fmt.Sprintf("The ACL document exceeds the maximum of %d bytes", MaxXMLSize))
	}
	// A UTF-8 byte order mark, as some Windows editors write, is not text
	// before the root element.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	o := collect(opts)
	p := parser{dec: xml.NewDecoder(bytes.NewReader(data))}
	a, err := p.document()
	if err != nil {
		return ACL{}, err
	}
	// Checks that may cost the caller a look-up run only on a well-formed
	// document.
	if o.checkOwner {
		if a.Owner.ID != "" && a.Owner.ID != o.owner.ID {
			return ACL{}, errorf(CodeAccessDenied, "Access Denied")
		}
		a.Owner = o.owner
	}
	if o.known != nil {
		for _, g := range a.Grants {
			if g.Grantee.Type == CanonicalUser && !o.known(g.Grantee.ID) {
				return ACL{}, errorf(CodeInvalidArgument, "Invalid id")
			}
		}
	}
	return a, nil
}

type parser struct {
	dec *xml.Decoder
}

// next returns the next start, end or character-data token, skipping
// comments and processing instructions. Syntax errors become
// MalformedACLError; the decoder's text is not passed on because it may
// quote the client's input at length.
func (p *parser) next() (xml.Token, error) {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, malformed("not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement, xml.CharData:
			return t, nil
		case xml.Directive:
			return nil, malformed("DTDs and directives are not allowed")
		}
	}
}

func (p *parser) document() (ACL, error) {
	var a ACL
	for {
		tok, err := p.next()
		if err == io.EOF {
			return ACL{}, malformed("no AccessControlPolicy element")
		}
		if err != nil {
			return ACL{}, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return ACL{}, malformed("text outside the root element")
			}
			continue
		case xml.StartElement:
			if t.Name.Local != "AccessControlPolicy" || (t.Name.Space != "" && t.Name.Space != S3Namespace) {
				return ACL{}, malformed("the root element must be AccessControlPolicy")
			}
			if err := p.policy(&a); err != nil {
				return ACL{}, err
			}
		default: // an end element; the decoder refuses it first
			return ACL{}, malformed("no AccessControlPolicy element")
		}
		break
	}
	// Only white space, comments and processing instructions may follow.
	for {
		tok, err := p.next()
		if err == io.EOF {
			return a, nil
		}
		if err != nil {
			return ACL{}, err
		}
		if cd, ok := tok.(xml.CharData); !ok || !isSpace(cd) {
			return ACL{}, malformed("content after the AccessControlPolicy element")
		}
	}
}

// children calls f for each child element of the element just opened and
// returns at its end. f must consume the child up to its end element.
func (p *parser) children(parent string, f func(xml.StartElement) error) error {
	for {
		tok, err := p.next()
		if err == io.EOF {
			return malformed("unexpected end of document in " + parent)
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !isSpace(t) {
				return malformed("unexpected text in " + parent)
			}
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// text reads the character content of a leaf element and its end.
func (p *parser) text(name string) (string, error) {
	var sb strings.Builder
	for {
		tok, err := p.next()
		if err == io.EOF {
			return "", malformed("unexpected end of document in " + name)
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if sb.Len()+len(t) > MaxXMLSize { // cannot happen with a capped input; belt and braces
				return "", malformed(name + " is too long")
			}
			sb.Write(t)
		case xml.StartElement:
			return "", malformed("unexpected element inside " + name)
		case xml.EndElement:
			return sb.String(), nil
		}
	}
}

func (p *parser) policy(a *ACL) error {
	var seenOwner, seenList bool
	return p.children("AccessControlPolicy", func(el xml.StartElement) error {
		switch el.Name.Local {
		case "Owner":
			if seenOwner {
				return malformed("more than one Owner")
			}
			seenOwner = true
			return p.owner(&a.Owner)
		case "AccessControlList":
			if seenList {
				return malformed("more than one AccessControlList")
			}
			seenList = true
			return p.list(a)
		}
		return malformed("unexpected element " + quoteForMessage(el.Name.Local) + " in AccessControlPolicy")
	})
}

func (p *parser) owner(o *Owner) error {
	var seenID, seenName bool
	return p.children("Owner", func(el xml.StartElement) error {
		switch el.Name.Local {
		case "ID":
			if seenID {
				return malformed("more than one ID in Owner")
			}
			seenID = true
			s, err := p.text("ID")
			if err != nil {
				return err
			}
			o.ID = strings.TrimSpace(s)
			if o.ID != "" && !validID(o.ID) {
				return errorf(CodeInvalidArgument, "Invalid id")
			}
			return nil
		case "DisplayName":
			if seenName {
				return malformed("more than one DisplayName in Owner")
			}
			seenName = true
			s, err := p.text("DisplayName")
			if err != nil {
				return err
			}
			if !validDisplayName(s) {
				return errorf(CodeInvalidArgument, "Invalid display name")
			}
			o.DisplayName = s
			return nil
		}
		return malformed("unexpected element " + quoteForMessage(el.Name.Local) + " in Owner")
	})
}

func (p *parser) list(a *ACL) error {
	return p.children("AccessControlList", func(el xml.StartElement) error {
		if el.Name.Local != "Grant" {
			return malformed("unexpected element " + quoteForMessage(el.Name.Local) + " in AccessControlList")
		}
		if len(a.Grants) == MaxGrants {
			return errTooManyGrants(CodeMalformedACL)
		}
		g, err := p.grant()
		if err != nil {
			return err
		}
		a.Grants = append(a.Grants, g)
		return nil
	})
}

func (p *parser) grant() (Grant, error) {
	var g Grant
	var seenGrantee, seenPerm bool
	err := p.children("Grant", func(el xml.StartElement) error {
		switch el.Name.Local {
		case "Grantee":
			if seenGrantee {
				return malformed("more than one Grantee in Grant")
			}
			seenGrantee = true
			var err error
			g.Grantee, err = p.grantee(el)
			return err
		case "Permission":
			if seenPerm {
				return malformed("more than one Permission in Grant")
			}
			seenPerm = true
			s, err := p.text("Permission")
			if err != nil {
				return err
			}
			perm, ok := ParsePermission(strings.TrimSpace(s))
			if !ok {
				return malformed("unknown permission " + quoteForMessage(strings.TrimSpace(s)))
			}
			g.Permission = perm
			return nil
		}
		return malformed("unexpected element " + quoteForMessage(el.Name.Local) + " in Grant")
	})
	if err != nil {
		return Grant{}, err
	}
	if !seenGrantee || !seenPerm {
		return Grant{}, malformed("a Grant needs a Grantee and a Permission")
	}
	return g, nil
}

func (p *parser) grantee(el xml.StartElement) (Grantee, error) {
	typ, hasType := "", false
	for _, at := range el.Attr {
		// encoding/xml resolves a bound prefix to its namespace URI and
		// leaves an unbound one as written.
		if at.Name.Local == "type" && (at.Name.Space == XSINamespace || at.Name.Space == "xsi") {
			if hasType {
				return Grantee{}, malformed("more than one xsi:type on Grantee")
			}
			typ, hasType = strings.TrimSpace(at.Value), true
		}
	}

	var id, name, uri, email string
	var seenID, seenName, seenURI, seenEmail bool
	leaf := func(seen *bool, dst *string, elName string, trim bool) error {
		if *seen {
			return malformed("more than one " + elName + " in Grantee")
		}
		*seen = true
		s, err := p.text(elName)
		if err != nil {
			return err
		}
		if trim {
			s = strings.TrimSpace(s)
		}
		*dst = s
		return nil
	}
	err := p.children("Grantee", func(c xml.StartElement) error {
		switch c.Name.Local {
		case "ID":
			return leaf(&seenID, &id, "ID", true)
		case "DisplayName":
			return leaf(&seenName, &name, "DisplayName", false)
		case "URI":
			return leaf(&seenURI, &uri, "URI", true)
		case "EmailAddress":
			return leaf(&seenEmail, &email, "EmailAddress", true)
		}
		return malformed("unexpected element " + quoteForMessage(c.Name.Local) + " in Grantee")
	})
	if err != nil {
		return Grantee{}, err
	}

	if !hasType {
		switch {
		case seenID && !seenURI && !seenEmail:
			typ = "CanonicalUser"
		case seenURI && !seenID && !seenName && !seenEmail:
			typ = "Group"
		case seenEmail && !seenID && !seenURI:
			typ = "AmazonCustomerByEmail"
		default:
			return Grantee{}, malformed("Grantee has no xsi:type")
		}
	}
	switch typ {
	case "CanonicalUser":
		if !seenID || seenURI || seenEmail {
			return Grantee{}, malformed("a CanonicalUser grantee has an ID and no URI or EmailAddress")
		}
		if !validID(id) {
			return Grantee{}, errorf(CodeInvalidArgument, "Invalid id")
		}
		if !validDisplayName(name) {
			return Grantee{}, errorf(CodeInvalidArgument, "Invalid display name")
		}
		return Grantee{Type: CanonicalUser, ID: id, DisplayName: name}, nil
	case "Group":
		if !seenURI || seenID || seenName || seenEmail {
			return Grantee{}, malformed("a Group grantee has a URI and nothing else")
		}
		c, ok := ParseGroupURI(uri)
		if !ok {
			return Grantee{}, errorf(CodeInvalidArgument, "Invalid group uri")
		}
		return Grantee{Type: Group, URI: c}, nil
	case "AmazonCustomerByEmail":
		return Grantee{}, errEmail()
	}
	return Grantee{}, malformed("unknown grantee type " + quoteForMessage(typ))
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// RenderXML returns a as S3 renders GetBucketAcl and GetObjectAcl bodies:
// the XML declaration, then the document on one line, every Grantee carrying
// its own xmlns:xsi declaration and xsi:type. The declaration must stay on
// Grantee: aws-sdk-go-v2 recovers the "xsi:" prefix only from declarations
// on the element itself, and would report an empty Type otherwise. An Owner with neither ID nor
// DisplayName is left out; an empty DisplayName is left out. a should be
// valid (see Validate); RenderXML does not check it.
func RenderXML(a ACL) []byte {
	return AppendXML(make([]byte, 0, 256+160*len(a.Grants)), a)
}

// AppendXML appends RenderXML(a) to dst.
func AppendXML(dst []byte, a ACL) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<AccessControlPolicy xmlns="`+S3Namespace+`">`...)
	if a.Owner.ID != "" || a.Owner.DisplayName != "" {
		dst = append(dst, "<Owner>"...)
		if a.Owner.ID != "" {
			dst = appendElement(dst, "ID", a.Owner.ID)
		}
		if a.Owner.DisplayName != "" {
			dst = appendElement(dst, "DisplayName", a.Owner.DisplayName)
		}
		dst = append(dst, "</Owner>"...)
	}
	dst = append(dst, "<AccessControlList>"...)
	for _, g := range a.Grants {
		dst = append(dst, `<Grant><Grantee xmlns:xsi="`+XSINamespace+`" xsi:type="`...)
		dst = append(dst, g.Grantee.Type.String()...)
		dst = append(dst, `">`...)
		switch g.Grantee.Type {
		case CanonicalUser:
			dst = appendElement(dst, "ID", g.Grantee.ID)
			if g.Grantee.DisplayName != "" {
				dst = appendElement(dst, "DisplayName", g.Grantee.DisplayName)
			}
		case Group:
			dst = appendElement(dst, "URI", g.Grantee.URI)
		}
		dst = append(dst, "</Grantee>"...)
		dst = appendElement(dst, "Permission", g.Permission.String())
		dst = append(dst, "</Grant>"...)
	}
	return append(dst, "</AccessControlList></AccessControlPolicy>"...)
}

func appendElement(dst []byte, name, text string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = appendEscaped(dst, text)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// appendEscaped escapes s as encoding/xml.EscapeText does, so that every
// string survives a parse: markup characters and the white space that XML
// would normalise become references; characters XML cannot carry become
// U+FFFD.
func appendEscaped(dst []byte, s string) []byte {
	if plainASCII(s) { // IDs, URIs and permissions always are
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			dst = append(dst, "&#34;"...)
		case r == '\'':
			dst = append(dst, "&#39;"...)
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == '\t':
			dst = append(dst, "&#x9;"...)
		case r == '\n':
			dst = append(dst, "&#xA;"...)
		case r == '\r':
			dst = append(dst, "&#xD;"...)
		case !inXMLCharRange(r) || (r == utf8.RuneError && w == 1):
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, s[i:i+w]...)
		}
		i += w
	}
	return dst
}

// plainASCII reports whether s is printable ASCII that needs no escaping.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

func inXMLCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

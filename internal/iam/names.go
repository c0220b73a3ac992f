package iam

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Storage roles, with Yandex Object Storage's meanings. Their action sets live in authz.
const (
	RoleViewer       = "storage.viewer"
	RoleConfigViewer = "storage.configViewer"
	RoleUploader     = "storage.uploader"
	RoleConfigurer   = "storage.configurer"
	RoleEditor       = "storage.editor"
	RoleAdmin        = "storage.admin"
)

// Roles lists every role in ascending power (for help texts and validation).
var Roles = []string{RoleViewer, RoleConfigViewer, RoleUploader, RoleConfigurer, RoleEditor, RoleAdmin}

// KeyIDPrefix starts every static access key ID.
const KeyIDPrefix = "HGK"

var (
	lowerB32 = base32.StdEncoding.WithPadding(base32.NoPadding)
	nameRE   = regexp.MustCompile(`^[a-z]([-a-z0-9]{1,61}[a-z0-9])$`)
	keyIDRE  = regexp.MustCompile(`^[A-Z0-9]{16,32}$`)
)

func randomID(prefix string) string {
	b := make([]byte, 11)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	s := lowerB32.EncodeToString(b) // 18 chars
	return prefix + strings.ToLower(s[:17])
}

// NewFolderID returns a random folder ID (20 characters).
func NewFolderID() string { return randomID("fld") }

// NewSAID returns a random service-account ID (20 characters).
func NewSAID() string { return randomID("sva") }

// NewKeyID returns a random static key ID: "HGK" + 17 of [A-Z2-7] (20 characters, never / + =).
func NewKeyID() string { return strings.ToUpper(randomID(KeyIDPrefix)) }

// NewSecret returns a random 40-character secret of [A-Za-z0-9+/] (30 random bytes).
func NewSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ValidKeyID reports whether s has the shape of an access key ID.
func ValidKeyID(s string) bool { return keyIDRE.MatchString(s) }

// ValidateName checks folder and service-account names: 3–63 characters of lowercase letters,
// digits and hyphens, starting with a letter and not ending with a hyphen (Yandex Cloud's rule).
func ValidateName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s name %q must be 3-63 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen", ErrInvalid, kind, name)
	}
	return nil
}

// ValidateBucketName applies S3's bucket naming rules.
func ValidateBucketName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: bucket name %q %s", ErrInvalidBucketName, name, why)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3-63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("may contain only lowercase letters, digits, dots and hyphens")
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return bad("must not contain '..', '.-' or '-.'")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("must not be formatted as an IP address")
	}
	if strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") {
		return bad("must not start with 'xn--' or 'sthree-'")
	}
	if strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") {
		return bad("must not end with '-s3alias' or '--ol-s3'")
	}
	return nil
}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

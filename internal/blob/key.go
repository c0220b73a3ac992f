package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidateKey checks the rules every backend applies to object keys: not empty,
// valid UTF-8, at most MaxKeyLength bytes. Nothing else is forbidden: "//",
// "..", "../../etc/passwd" and control characters are ordinary keys.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLength:
		return fmt.Errorf("%w (%d bytes)", ErrKeyTooLong, len(key))
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidKey)
	}
	return nil
}

// NormalizeETag strips the quotes and a weak prefix a client may send around an
// ETag ("\"abc\"", "W/\"abc\"") and lower-cases it.
func NormalizeETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	etag = strings.Trim(etag, "\"")
	return strings.ToLower(etag)
}

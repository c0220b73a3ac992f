package s3action

// Key is a condition key of the policy language (aws:SourceIp, s3:prefix, ...). Like Action, its
// numeric value is stable within one build only; store Name().
type Key uint16

// KeyType is the type AWS documents for a condition key. It decides how values compare when a
// policy uses the operator family of the same type, and how the key is shown in explanations.
type KeyType uint8

const (
	TypeString KeyType = iota + 1
	TypeNumeric
	TypeDate
	TypeBool
	TypeIPAddress
	TypeARN
	TypeBinary
)

func (t KeyType) String() string {
	switch t {
	case TypeString:
		return "String"
	case TypeNumeric:
		return "Numeric"
	case TypeDate:
		return "Date"
	case TypeBool:
		return "Bool"
	case TypeIPAddress:
		return "IPAddress"
	case TypeARN:
		return "ARN"
	case TypeBinary:
		return "Binary"
	}
	return "unknown"
}

type keyInfo struct {
	name   string // canonical spelling
	typ    KeyType
	multi  bool   // the context may hold a set of values (ArrayOfString)
	prefix bool   // used as name + "/" + tag key
	header string // for s3:x-amz-* keys, the canonical HTTP header name carrying the value
}

// Valid reports whether k is a key of the vocabulary.
func (k Key) Valid() bool { return k > KeyNone && k < numKeys }

// Name returns the key's canonical spelling ("aws:SourceIp"); for prefix keys the part before
// the "/" ("s3:ExistingObjectTag").
func (k Key) Name() string {
	if !k.Valid() {
		return ""
	}
	return keyTable[k].name
}

func (k Key) String() string {
	if !k.Valid() {
		return "s3action.Key(" + itoa(int(k)) + ")"
	}
	return keyTable[k].name
}

// Type returns the key's documented type.
func (k Key) Type() KeyType {
	if !k.Valid() {
		return 0
	}
	return keyTable[k].typ
}

// MultiValued reports whether the request context can hold several values for the key (AWS's
// ArrayOfString keys such as s3:RequestObjectTagKeys and aws:TagKeys).
func (k Key) MultiValued() bool { return k.Valid() && keyTable[k].multi }

// IsPrefix reports whether the key takes a "/<tag-key>" suffix (s3:ExistingObjectTag/<key>).
func (k Key) IsPrefix() bool { return k.Valid() && keyTable[k].prefix }

// Header returns, for the s3:x-amz-* keys, the canonical name of the HTTP request header whose
// value the key holds ("X-Amz-Acl" for s3:x-amz-acl), and "" for every other key.
func (k Key) Header() string {
	if !k.Valid() {
		return ""
	}
	return keyTable[k].header
}

// Keys returns every key of the vocabulary in table order.
func Keys() []Key {
	out := make([]Key, 0, numKeys-1)
	for k := KeyNone + 1; k < numKeys; k++ {
		out = append(out, k)
	}
	return out
}

// LookupKey finds a condition key by name, ignoring case as IAM does ("AWS:sourceip" is
// aws:SourceIp). For prefix keys the name is "<key>/<suffix>" with a non-empty suffix, which is
// returned as written (tag keys are case-sensitive); for other keys suffix is "".
func LookupKey(name string) (k Key, suffix string, ok bool) {
	base := name
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			base, suffix = name[:i], name[i+1:]
			break
		}
	}
	for k := KeyNone + 1; k < numKeys; k++ {
		if !equalFold(keyTable[k].name, base) {
			continue
		}
		if keyTable[k].prefix != (base != name) || (keyTable[k].prefix && suffix == "") {
			return KeyNone, "", false
		}
		return k, suffix, true
	}
	return KeyNone, "", false
}

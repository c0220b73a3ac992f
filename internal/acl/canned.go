package acl

// Canned ACL names, as sent in x-amz-acl.
const (
	CannedPrivate                = "private"
	CannedPublicRead             = "public-read"
	CannedPublicReadWrite        = "public-read-write"
	CannedAuthenticatedRead      = "authenticated-read"
	CannedBucketOwnerRead        = "bucket-owner-read"
	CannedBucketOwnerFullControl = "bucket-owner-full-control"
	CannedLogDeliveryWrite       = "log-delivery-write"
)

// FromCanned expands a canned ACL under the Yandex model: no canned ACL
// grants anything to the owner (the folder), whose rights come from roles.
//
//	private                    no grants
//	public-read                AllUsers READ
//	public-read-write          AllUsers READ, AllUsers WRITE
//	authenticated-read         AuthenticatedUsers READ
//	bucket-owner-read          no grants (the bucket owner is the folder)
//	bucket-owner-full-control  no grants (likewise)
//	log-delivery-write         LogDelivery WRITE, LogDelivery READ_ACP (as S3;
//	                           no request ever belongs to LogDelivery)
//
// Names are case-sensitive, as in S3. Any other name is InvalidArgument.
func FromCanned(name string, owner Owner) (ACL, error) {
	a := ACL{Owner: owner}
	switch name {
	case CannedPrivate, CannedBucketOwnerRead, CannedBucketOwnerFullControl:
	case CannedPublicRead:
		a.Grants = []Grant{{AllUsers(), Read}}
	case CannedPublicReadWrite:
		a.Grants = []Grant{{AllUsers(), Read}, {AllUsers(), Write}}
	case CannedAuthenticatedRead:
		a.Grants = []Grant{{AuthenticatedUsers(), Read}}
	case CannedLogDeliveryWrite:
		ld := Grantee{Type: Group, URI: LogDeliveryURI}
		a.Grants = []Grant{{ld, Write}, {ld, ReadACP}}
	default:
		return ACL{}, errorf(CodeInvalidArgument, "Invalid canned ACL "+quoteForMessage(name))
	}
	return a, nil
}

// quoteForMessage quotes client input for an error message, cut short and
// with anything outside printable ASCII replaced, so that a message stays one
// readable line whatever the client sent.
func quoteForMessage(s string) string {
	const max = 64
	b := make([]byte, 0, min(len(s), max)+5)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if i == max {
			b = append(b, "..."...)
			break
		}
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			c = '?'
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}

// Package acl provides S3 access control lists: the ACL value, canned ACLs,
// the x-amz-acl and x-amz-grant-* request headers, the AccessControlPolicy
// XML codec, and the two questions authorization asks of an ACL — which
// permission does this action need here (Required, InheritedFromBucket), and
// does this ACL give it to this subject (ACL.Allows, ACL.Match). It imports
// no other Hourglass package.
//
// # Semantics (the Yandex Object Storage model)
//
// Owner. The owner of a bucket or an object is its folder. Ownership grants
// nothing by itself: rights come from roles, policies and explicit grants
// (DESIGN.md §10, "Owners and default ACLs"). A new bucket or object
// therefore gets an ACL with no grants, and no canned ACL adds an owner
// grant, unlike AWS, where every canned ACL starts with the owner's
// FULL_CONTROL:
//
//	private                     no grants
//	public-read                 AllUsers READ
//	public-read-write           AllUsers READ and WRITE
//	authenticated-read          AuthenticatedUsers READ
//	bucket-owner-read           no grants: the bucket owner is the folder,
//	bucket-owner-full-control   whose rights come from roles
//	log-delivery-write          LogDelivery WRITE and READ_ACP (accepted for
//	                            compatibility; it matches no request)
//
// Grantees. A CanonicalUser grantee is a service-account ID (short ASCII;
// see validID for the accepted syntax). Groups are AllUsers, AuthenticatedUsers
// and LogDelivery; AllUsers and AuthenticatedUsers are accepted under both the
// "groups/global/" spelling (AWS's) and the "groups/s3/" spelling (seen in
// Yandex's documentation), and always stored and rendered as "groups/global/".
// E-mail grantees (AmazonCustomerByEmail, emailAddress=) are refused with
// NotImplemented: this service has no e-mail identities.
//
// Who matches. A Subject is anonymous or authenticated. AllUsers matches
// every request, anonymous ones included. AuthenticatedUsers matches every
// request signed with a valid key, static or temporary, of any folder — the
// analogue of Yandex's "all authenticated Yandex Cloud users", so granting to
// it opens the resource to every tenant of this installation, not only to
// the owner's folder. A CanonicalUser grant matches the service account
// whose ID it names, whether it signs with its static key or with a
// temporary key issued from it. LogDelivery matches nothing.
//
// Permissions. FULL_CONTROL implies READ, WRITE, READ_ACP and WRITE_ACP.
// Required maps actions to permissions as S3 does (bucket READ lists, bucket
// WRITE creates, overwrites and deletes objects, READ_ACP/WRITE_ACP read and
// write the ACL; object READ reads the object). InheritedFromBucket adds the
// Yandex rule that a bucket grant also covers reading the bucket's objects.
//
// Limits. At most MaxGrants (100) grants per ACL; an XML document of at most
// MaxXMLSize (64 KiB); IDs of at most MaxIDLength bytes. Errors are *Error
// values carrying S3's codes (MalformedACLError, InvalidArgument,
// InvalidRequest, NotImplemented, AccessDenied, MaxMessageLengthExceeded).
//
// Values. An ACL returned by this package shares no memory with its input
// and is never modified afterwards; evaluation (Allows, Match, Required)
// does not allocate, so compiled ACLs can be cached and shared between
// requests.
package acl

package acl

// Required returns the ACL permission that allows action (an "s3:" action
// name) when checked against a bucket ACL (onObject false) or an object ACL
// (onObject true), following S3's mapping of ACL permissions to actions. ok
// is false when no ACL permission covers the action there: such actions are
// decided by roles and policies alone.
//
//	bucket ACL  READ       s3:ListBucket, s3:ListBucketVersions,
//	                       s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts
//	            WRITE      s3:PutObject, s3:DeleteObject, s3:DeleteObjectVersion,
//	                       s3:AbortMultipartUpload
//	            READ_ACP   s3:GetBucketAcl
//	            WRITE_ACP  s3:PutBucketAcl
//	object ACL  READ       s3:GetObject, s3:GetObjectVersion,
//	                       s3:GetObjectAttributes, s3:GetObjectVersionAttributes
//	            READ_ACP   s3:GetObjectAcl, s3:GetObjectVersionAcl
//	            WRITE_ACP  s3:PutObjectAcl, s3:PutObjectVersionAcl
//
// WRITE means nothing on an object ACL, as in S3. HeadBucket and HeadObject
// are authorised as s3:ListBucket and s3:GetObject by the action table.
// Listing the parts of an upload is READ (like listing uploads); aborting
// one is WRITE (like deleting an object). Both are choices where S3's table
// is silent.
//
// Required is a string switch: no allocation, a few comparisons.
func Required(action string, onObject bool) (Permission, bool) {
	if onObject {
		switch action {
		case "s3:GetObject", "s3:GetObjectVersion",
			"s3:GetObjectAttributes", "s3:GetObjectVersionAttributes":
			return Read, true
		case "s3:GetObjectAcl", "s3:GetObjectVersionAcl":
			return ReadACP, true
		case "s3:PutObjectAcl", "s3:PutObjectVersionAcl":
			return WriteACP, true
		}
		return 0, false
	}
	switch action {
	case "s3:ListBucket", "s3:ListBucketVersions",
		"s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts":
		return Read, true
	case "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
		"s3:AbortMultipartUpload":
		return Write, true
	case "s3:GetBucketAcl":
		return ReadACP, true
	case "s3:PutBucketAcl":
		return WriteACP, true
	}
	return 0, false
}

// InheritedFromBucket returns the bucket-ACL permission that, in the Yandex
// model, also covers an object action: "permissions granted to a bucket apply
// to all objects it contains", so a bucket READ grant (public-read on a
// bucket, say) lets the grantee read every object in it. S3 itself has no
// such inheritance; access_model "aws" must not call this.
//
// Only object reads are inherited. Object writes are already bucket
// permissions (Required(…, false)), and an object's ACL is governed by the
// object's ACL alone.
func InheritedFromBucket(action string) (Permission, bool) {
	switch action {
	case "s3:GetObject", "s3:GetObjectVersion",
		"s3:GetObjectAttributes", "s3:GetObjectVersionAttributes":
		return Read, true
	}
	return 0, false
}

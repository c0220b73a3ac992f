package authz

import (
	"github.com/hourglass-sts/hourglass/internal/iam"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// The role table: the one place that says what each storage role may do. Each role is a fixed
// set of s3: actions; the sets, and the Yandex documentation they come from, are listed in the
// package documentation (doc.go) and README.md.

// viewerActions: "read access to the list of buckets, settings, and data" (storage.viewer).
var viewerActions = []s3.Action{
	s3.ListAllMyBuckets,
	s3.ListBucket, s3.ListBucketVersions, s3.ListBucketMultipartUploads, s3.ListMultipartUploadParts,
	s3.GetObject, s3.GetObjectVersion, s3.GetObjectAttributes, s3.GetObjectVersionAttributes,
	s3.GetBucketAcl, s3.GetObjectAcl, s3.GetObjectVersionAcl,
	s3.GetBucketCORS, s3.GetBucketWebsite, s3.GetBucketLogging, s3.GetBucketVersioning,
	s3.GetEncryptionConfiguration, s3.GetBucketTagging, s3.GetBucketLocation, s3.GetLifecycleConfiguration,
	s3.GetBucketObjectLockConfiguration, s3.GetObjectRetention, s3.GetObjectLegalHold,
	s3.GetObjectTagging, s3.GetObjectVersionTagging,
}

// configViewerActions: "view the settings of buckets and objects inside them but not the data"
// (storage.configViewer): lists without object content, ACLs, the bucket policy and every
// bucket setting.
var configViewerActions = []s3.Action{
	s3.ListAllMyBuckets,
	s3.ListBucket, s3.ListBucketVersions, s3.ListBucketMultipartUploads, s3.ListMultipartUploadParts,
	s3.GetBucketAcl, s3.GetObjectAcl, s3.GetObjectVersionAcl,
	s3.GetBucketPolicy, s3.GetBucketPolicyStatus, s3.GetBucketPublicAccessBlock,
	s3.GetBucketCORS, s3.GetBucketWebsite, s3.GetBucketLogging, s3.GetBucketVersioning,
	s3.GetEncryptionConfiguration, s3.GetBucketTagging, s3.GetBucketLocation, s3.GetLifecycleConfiguration,
	s3.GetBucketObjectLockConfiguration, s3.GetObjectRetention, s3.GetObjectLegalHold,
}

// uploaderExtra: storage.uploader is storage.viewer plus "upload objects to a bucket and
// overwrite previously uploaded ones"; "does not allow you to delete objects or configure
// buckets". s3:PutObject covers PutObject, CopyObject (target), multipart creation, parts and
// completion. AbortMultipartUpload is included so that SDK transfer managers can clean up a
// failed upload of their own; it removes no object.
var uploaderExtra = []s3.Action{s3.PutObject, s3.AbortMultipartUpload}

// configurerActions: "manage the settings of object lifecycles, static website hosting, access
// policy, and CORS"; "does not permit the user to manage ACL or public access settings" and
// "does not grant access to bucket data". Reading those settings is part of managing them.
var configurerActions = []s3.Action{
	s3.ListAllMyBuckets, s3.GetBucketLocation,
	s3.GetLifecycleConfiguration, s3.PutLifecycleConfiguration,
	s3.GetBucketWebsite, s3.PutBucketWebsite, s3.DeleteBucketWebsite,
	s3.GetBucketPolicy, s3.GetBucketPolicyStatus, s3.PutBucketPolicy, s3.DeleteBucketPolicy,
	s3.GetBucketCORS, s3.PutBucketCORS,
}

// editorExcluded: storage.editor may "perform any operation with buckets and objects" but "does
// not allow you to manage access control list (ACL) settings or create publicly accessible
// buckets". Managing the bucket policy belongs to storage.configurer and storage.admin, and
// bypassing governance retention to storage.admin ("Bypass governance-mode retention").
var editorExcluded = []s3.Action{
	s3.PutBucketAcl, s3.PutObjectAcl, s3.PutObjectVersionAcl,
	s3.PutBucketPolicy, s3.DeleteBucketPolicy,
	s3.PutBucketPublicAccessBlock, s3.PutBucketOwnershipControls,
	s3.BypassGovernanceRetention,
}

// roleSets maps each role to its action set. Built once; never modified.
var roleSets = buildRoleSets()

func setOf(lists ...[]s3.Action) s3.ActionSet {
	var s s3.ActionSet
	for _, l := range lists {
		for _, a := range l {
			s.Add(a)
		}
	}
	return s
}

func buildRoleSets() map[string]s3.ActionSet {
	viewer := setOf(viewerActions)
	uploader := setOf(viewerActions, uploaderExtra)
	var editor s3.ActionSet
	excluded := setOf(editorExcluded)
	for _, a := range s3.All() {
		switch a.Resource() {
		case s3.ResourceService, s3.ResourceBucket, s3.ResourceObject:
			if !excluded.Has(a) {
				editor.Add(a)
			}
		}
	}
	return map[string]s3.ActionSet{
		iam.RoleViewer:       viewer,
		iam.RoleConfigViewer: setOf(configViewerActions),
		iam.RoleUploader:     uploader,
		iam.RoleConfigurer:   setOf(configurerActions),
		iam.RoleEditor:       editor,
		iam.RoleAdmin:        s3.AllActions(),
	}
}

// RoleActions returns the actions a role grants, and false for an unknown role. The set is a
// copy: changing it changes nothing here.
func RoleActions(role string) (s3.ActionSet, bool) {
	s, ok := roleSets[role]
	return s, ok
}

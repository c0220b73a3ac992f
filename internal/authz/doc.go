// Package authz is Hourglass's one authorization decision: it combines role bindings, bucket
// policies, session policies and ACLs into Allow or Deny with the rule that decided
// (DESIGN.md §5 and §10).
//
// An Engine keeps a compiled snapshot of every role binding (indexed by folder or bucket scope,
// then subject, as s3action.ActionSet bitsets), every bucket policy (compiled once by the policy
// package) and every bucket ACL, rebuilt on each change the iam.Directory reports and swapped
// atomically. Decide reads that snapshot and its Input only: no I/O, and no allocation for an
// allowed request unless an explanation is asked for.
//
// # Roles
//
// The six storage roles are fixed action sets (roles.go, the one table), after Yandex Object
// Storage's role reference ("Access management in Object Storage", the storage.* role pages
// and the role inheritance chart: viewer ⊂ uploader ⊂ editor ⊂ admin; configViewer ⊂ admin;
// configurer ⊂ admin):
//
//   - storage.viewer: list buckets, list objects, versions, multipart uploads and parts; read
//     objects and versions and their attributes; read ACLs, CORS, website, logging,
//     versioning, encryption, tags, location, lifecycle, object-lock settings, retention, legal
//     hold and object tags. Not the bucket policy.
//   - storage.configViewer: the same lists and settings without object content, plus the bucket
//     policy, its status and the public-access block.
//   - storage.uploader: storage.viewer plus s3:PutObject (uploads, overwrites, copies, multipart)
//     and s3:AbortMultipartUpload (cleaning up a failed upload); no delete, no configuration.
//   - storage.configurer: read and change lifecycle, website, bucket policy and CORS (and list
//     buckets, read a bucket's location); no data, no ACLs, no public-access settings.
//   - storage.editor: every bucket, object and service action except writing ACLs
//     (s3:PutBucketAcl, s3:PutObjectAcl, s3:PutObjectVersionAcl), the bucket policy
//     (s3:PutBucketPolicy, s3:DeleteBucketPolicy), public-access and ownership settings and
//     s3:BypassGovernanceRetention.
//   - storage.admin: every action.
//
// Every role includes s3:ListAllMyBuckets. Roles are granted on a folder (all its buckets) or
// one bucket, to a service account or to the groups allUsers / allAuthenticatedUsers. A
// temporary key carries the roles of its service account. Owning a bucket (the folder does)
// grants nothing by itself.
//
// # access_model: yandex (default)
//
// An explicit Deny in the bucket policy or in the session policy is evaluated first and is final.
// Then, from Yandex's documented algorithm:
//
//  1. a role of the service account (folder or bucket scope) or a bucket ACL grant to it allows
//     the action → 3; otherwise → 2;
//  2. public access (roles or bucket ACL grants to allUsers / allAuthenticatedUsers) → 3;
//     otherwise → 5;
//  3. if the bucket has a policy: an Allow applies → 4; nothing applies → 5;
//  4. a temporary key with a session policy: an Allow applies → allowed, nothing → 5;
//     otherwise → allowed;
//  5. the object ACL grants the action → allowed; otherwise denied.
//
// Bucket ACL grants cover reading the bucket's objects (acl.InheritedFromBucket). A session
// policy with no statements allows nothing; no session policy means the service account's full
// permissions. Because step 5 comes after the session policy, an object ACL grant to the
// service account opens that object to all its temporary keys, whatever their session policy
// says — unless a Deny says otherwise (Yandex documents this).
//
// # access_model: aws
//
// As AWS within one account: an explicit Deny anywhere wins; otherwise the identity side (roles)
// or the resource side (a bucket policy Allow, a bucket or object ACL grant, without bucket→object
// inheritance) allows. A session policy intersects: for a temporary key with a session policy,
// the session policy must allow as well — except when a bucket policy Allow names the session's
// own ARN (arn:aws:sts::<folder>:assumed-role/<sa>/<session>), which AWS applies after the session
// is created and does not limit ("a resource-based policy can specify the ARN of the session as a
// principal … not limited by the session policy"). A grant naming the service account's user
// ARN, its ID, its folder, "*" or a group is a grant to the underlying identity and is limited
// by the session policy (the safe reading where AWS's documentation is silent about "*").
//
// # Listing buckets
//
// Under yandex any role of the service account, on any folder or bucket, allows
// s3:ListAllMyBuckets with static and temporary keys alike (the session policy can only Deny
// it), and VisibleBuckets lists every bucket on which, or on whose folder, the account has a
// role. Under aws the session policy must allow s3:ListAllMyBuckets too, and the account's
// folder's buckets are listed, as AWS lists an account's buckets.
package authz

package s3action

// Operation is one S3 REST operation as the dispatcher recognises it (GetObject, PutBucketAcl,
// ...). Its table entry says which actions a request for it needs, on which resource.
type Operation uint8

// The S3 REST operations. Op prefixes them so they do not collide with the actions of the same
// name (OpGetObject needs GetObject).
const (
	OpNone Operation = iota

	// Service.
	OpListBuckets

	// Buckets.
	OpCreateBucket
	OpDeleteBucket
	OpHeadBucket
	OpGetBucketLocation
	OpListObjects
	OpListObjectsV2
	OpListObjectVersions
	OpListMultipartUploads
	OpGetBucketVersioning
	OpPutBucketVersioning
	OpGetBucketAcl
	OpPutBucketAcl
	OpGetBucketPolicy
	OpPutBucketPolicy
	OpDeleteBucketPolicy
	OpGetBucketPolicyStatus
	OpGetBucketCors
	OpPutBucketCors
	OpDeleteBucketCors
	OpGetBucketTagging
	OpPutBucketTagging
	OpDeleteBucketTagging
	OpGetBucketLifecycleConfiguration
	OpPutBucketLifecycleConfiguration
	OpDeleteBucketLifecycle
	OpGetBucketEncryption
	OpPutBucketEncryption
	OpDeleteBucketEncryption
	OpGetBucketWebsite
	OpPutBucketWebsite
	OpDeleteBucketWebsite
	OpGetBucketLogging
	OpPutBucketLogging
	OpGetBucketNotificationConfiguration
	OpPutBucketNotificationConfiguration
	OpGetBucketReplication
	OpPutBucketReplication
	OpDeleteBucketReplication
	OpGetBucketRequestPayment
	OpPutBucketRequestPayment
	OpGetBucketAccelerateConfiguration
	OpPutBucketAccelerateConfiguration
	OpGetObjectLockConfiguration
	OpPutObjectLockConfiguration
	OpGetPublicAccessBlock
	OpPutPublicAccessBlock
	OpDeletePublicAccessBlock
	OpGetBucketOwnershipControls
	OpPutBucketOwnershipControls
	OpDeleteBucketOwnershipControls
	OpGetBucketAnalyticsConfiguration
	OpPutBucketAnalyticsConfiguration
	OpDeleteBucketAnalyticsConfiguration
	OpListBucketAnalyticsConfigurations
	OpGetBucketInventoryConfiguration
	OpPutBucketInventoryConfiguration
	OpDeleteBucketInventoryConfiguration
	OpListBucketInventoryConfigurations
	OpGetBucketMetricsConfiguration
	OpPutBucketMetricsConfiguration
	OpDeleteBucketMetricsConfiguration
	OpListBucketMetricsConfigurations
	OpGetBucketIntelligentTieringConfiguration
	OpPutBucketIntelligentTieringConfiguration
	OpDeleteBucketIntelligentTieringConfiguration
	OpListBucketIntelligentTieringConfigurations
	OpGetBucketAbac
	OpPutBucketAbac
	OpCreateBucketMetadataConfiguration
	OpGetBucketMetadataConfiguration
	OpDeleteBucketMetadataConfiguration
	OpCreateBucketMetadataTableConfiguration
	OpGetBucketMetadataTableConfiguration
	OpDeleteBucketMetadataTableConfiguration
	OpUpdateBucketMetadataInventoryTableConfiguration
	OpUpdateBucketMetadataJournalTableConfiguration

	// Objects.
	OpGetObject
	OpHeadObject
	OpPutObject
	OpPostObject
	OpCopyObject
	OpDeleteObject
	OpDeleteObjects
	OpGetObjectAttributes
	OpGetObjectAcl
	OpPutObjectAcl
	OpGetObjectTagging
	OpPutObjectTagging
	OpDeleteObjectTagging
	OpGetObjectRetention
	OpPutObjectRetention
	OpGetObjectLegalHold
	OpPutObjectLegalHold
	OpGetObjectTorrent
	OpRestoreObject
	OpSelectObjectContent
	OpUpdateObjectEncryption
	OpCreateMultipartUpload
	OpUploadPart
	OpUploadPartCopy
	OpCompleteMultipartUpload
	OpAbortMultipartUpload
	OpListParts

	// OpOptionsPreflight is a CORS preflight (OPTIONS on a bucket or object). It is answered from
	// the bucket's CORS configuration and needs no action.
	OpOptionsPreflight

	numOperations // keep last
)

// Target says which resource of a request a Requirement applies to.
type Target uint8

const (
	// TargetRequest: the bucket or object the request addresses (or "*" for service requests).
	TargetRequest Target = iota
	// TargetCopySource: the object named by x-amz-copy-source (CopyObject, UploadPartCopy).
	TargetCopySource
	// TargetEachKey: each object named in the request body (DeleteObjects), checked one by one.
	TargetEachKey
)

func (t Target) String() string {
	switch t {
	case TargetRequest:
		return "request"
	case TargetCopySource:
		return "copy-source"
	case TargetEachKey:
		return "each-key"
	}
	return "unknown"
}

// When says under which circumstance of the request a Requirement applies.
type When uint8

const (
	// Always: every request of the operation.
	Always When = iota
	// WithACL: the request sets an ACL (x-amz-acl, any x-amz-grant-* header, or the acl form
	// field of a POST upload).
	WithACL
	// WithTagging: the request sets tags (x-amz-tagging header or tagging form field; for copies,
	// x-amz-tagging-directive REPLACE).
	WithTagging
	// WithRetention: the request sets object-lock retention (x-amz-object-lock-mode or
	// x-amz-object-lock-retain-until-date).
	WithRetention
	// WithLegalHold: the request sets x-amz-object-lock-legal-hold.
	WithLegalHold
	// WithBypassGovernance: the request sends x-amz-bypass-governance-retention: true.
	WithBypassGovernance
	// WithObjectLock: CreateBucket with x-amz-bucket-object-lock-enabled: true.
	WithObjectLock
	// WithObjectOwnership: CreateBucket with x-amz-object-ownership.
	WithObjectOwnership
)

func (w When) String() string {
	switch w {
	case Always:
		return "always"
	case WithACL:
		return "with-acl"
	case WithTagging:
		return "with-tagging"
	case WithRetention:
		return "with-retention"
	case WithLegalHold:
		return "with-legal-hold"
	case WithBypassGovernance:
		return "with-bypass-governance"
	case WithObjectLock:
		return "with-object-lock"
	case WithObjectOwnership:
		return "with-object-ownership"
	}
	return "unknown"
}

// Requirement is one permission a request needs: Action on the resource chosen by Target, of
// kind Resource, when When holds. If the request names an object version (versionId, or a
// versionId in x-amz-copy-source for TargetCopySource) and Versioned is not None, Versioned is
// required instead of Action, as S3 does (GetObject?versionId= needs s3:GetObjectVersion).
type Requirement struct {
	Action    Action
	Versioned Action
	Resource  ResourceKind
	Target    Target
	When      When
}

// ActionFor returns the action needed for a request that does or does not name a version.
func (r Requirement) ActionFor(hasVersion bool) Action {
	if hasVersion && r.Versioned != None {
		return r.Versioned
	}
	return r.Action
}

type operationInfo struct {
	name     string
	requires []Requirement
	// implemented marks operations Hourglass serves; the dispatcher answers NotImplemented for
	// the rest. Filled in as handlers land.
	implemented bool
}

// Valid reports whether o is an operation of the table.
func (o Operation) Valid() bool { return o > OpNone && o < numOperations }

// Name returns the operation's name as in the S3 API reference ("GetObject"), or "" if invalid.
func (o Operation) Name() string {
	if !o.Valid() {
		return ""
	}
	return operationTable[o].name
}

func (o Operation) String() string {
	if !o.Valid() {
		return "s3action.Operation(" + itoa(int(o)) + ")"
	}
	return operationTable[o].name
}

// Requires returns what a request of the operation needs, in the order to check them. The
// slice is shared: do not modify it. OpOptionsPreflight requires nothing.
func (o Operation) Requires() []Requirement {
	if !o.Valid() {
		return nil
	}
	return operationTable[o].requires
}

// Implemented reports whether Hourglass serves the operation.
func (o Operation) Implemented() bool { return o.Valid() && operationTable[o].implemented }

// Op finds an operation by its exact S3 API name ("ListObjectsV2").
func Op(name string) (Operation, bool) {
	for o := OpNone + 1; o < numOperations; o++ {
		if operationTable[o].name == name {
			return o, true
		}
	}
	return OpNone, false
}

// Operations returns every operation in table order.
func Operations() []Operation {
	out := make([]Operation, 0, numOperations-1)
	for o := OpNone + 1; o < numOperations; o++ {
		out = append(out, o)
	}
	return out
}

func svc(a Action) Requirement { return Requirement{Action: a, Resource: ResourceService} }
func bkt(a Action) Requirement { return Requirement{Action: a, Resource: ResourceBucket} }
func obj(a Action) Requirement { return Requirement{Action: a, Resource: ResourceObject} }
func objV(a, v Action) Requirement {
	return Requirement{Action: a, Versioned: v, Resource: ResourceObject}
}
func (r Requirement) on(t Target) Requirement { r.Target = t; return r }
func (r Requirement) when(w When) Requirement { r.When = w; return r }

func reqs(r ...Requirement) []Requirement { return r }

// writeExtras are the permissions that object-creating requests need on top of s3:PutObject
// when they also set an ACL, tags or object-lock settings (AWS S3 User Guide, "Required
// permissions for Amazon S3 API operations").
var writeExtras = []Requirement{
	obj(PutObjectAcl).when(WithACL),
	obj(PutObjectTagging).when(WithTagging),
	obj(PutObjectRetention).when(WithRetention),
	obj(PutObjectLegalHold).when(WithLegalHold),
	obj(BypassGovernanceRetention).when(WithBypassGovernance),
}

func withWriteExtras(r ...Requirement) []Requirement {
	return append(r, writeExtras...)
}

var operationTable = [numOperations]operationInfo{
	OpListBuckets: {name: "ListBuckets", implemented: true, requires: reqs(svc(ListAllMyBuckets))},

	OpCreateBucket: {name: "CreateBucket", implemented: true, requires: reqs(
		bkt(CreateBucket),
		bkt(PutBucketAcl).when(WithACL),
		bkt(PutBucketObjectLockConfiguration).when(WithObjectLock),
		bkt(PutBucketVersioning).when(WithObjectLock),
		bkt(PutBucketOwnershipControls).when(WithObjectOwnership),
	)},
	OpDeleteBucket:          {name: "DeleteBucket", implemented: true, requires: reqs(bkt(DeleteBucket))},
	OpHeadBucket:            {name: "HeadBucket", implemented: true, requires: reqs(bkt(ListBucket))},
	OpGetBucketLocation:     {name: "GetBucketLocation", implemented: true, requires: reqs(bkt(GetBucketLocation))},
	OpListObjects:           {name: "ListObjects", implemented: true, requires: reqs(bkt(ListBucket))},
	OpListObjectsV2:         {name: "ListObjectsV2", implemented: true, requires: reqs(bkt(ListBucket))},
	OpListObjectVersions:    {name: "ListObjectVersions", implemented: true, requires: reqs(bkt(ListBucketVersions))},
	OpListMultipartUploads:  {name: "ListMultipartUploads", implemented: true, requires: reqs(bkt(ListBucketMultipartUploads))},
	OpGetBucketVersioning:   {name: "GetBucketVersioning", implemented: true, requires: reqs(bkt(GetBucketVersioning))},
	OpPutBucketVersioning:   {name: "PutBucketVersioning", requires: reqs(bkt(PutBucketVersioning))},
	OpGetBucketAcl:          {name: "GetBucketAcl", implemented: true, requires: reqs(bkt(GetBucketAcl))},
	OpPutBucketAcl:          {name: "PutBucketAcl", implemented: true, requires: reqs(bkt(PutBucketAcl))},
	OpGetBucketPolicy:       {name: "GetBucketPolicy", implemented: true, requires: reqs(bkt(GetBucketPolicy))},
	OpPutBucketPolicy:       {name: "PutBucketPolicy", implemented: true, requires: reqs(bkt(PutBucketPolicy))},
	OpDeleteBucketPolicy:    {name: "DeleteBucketPolicy", implemented: true, requires: reqs(bkt(DeleteBucketPolicy))},
	OpGetBucketPolicyStatus: {name: "GetBucketPolicyStatus", requires: reqs(bkt(GetBucketPolicyStatus))},
	OpGetBucketCors:         {name: "GetBucketCors", implemented: true, requires: reqs(bkt(GetBucketCORS))},
	OpPutBucketCors:         {name: "PutBucketCors", implemented: true, requires: reqs(bkt(PutBucketCORS))},
	OpDeleteBucketCors:      {name: "DeleteBucketCors", implemented: true, requires: reqs(bkt(PutBucketCORS))},
	OpGetBucketTagging:      {name: "GetBucketTagging", implemented: true, requires: reqs(bkt(GetBucketTagging))},
	OpPutBucketTagging:      {name: "PutBucketTagging", implemented: true, requires: reqs(bkt(PutBucketTagging))},
	OpDeleteBucketTagging:   {name: "DeleteBucketTagging", implemented: true, requires: reqs(bkt(PutBucketTagging))},

	OpGetBucketLifecycleConfiguration: {name: "GetBucketLifecycleConfiguration", requires: reqs(bkt(GetLifecycleConfiguration))},
	OpPutBucketLifecycleConfiguration: {name: "PutBucketLifecycleConfiguration", requires: reqs(bkt(PutLifecycleConfiguration))},
	OpDeleteBucketLifecycle:           {name: "DeleteBucketLifecycle", requires: reqs(bkt(PutLifecycleConfiguration))},
	OpGetBucketEncryption:             {name: "GetBucketEncryption", requires: reqs(bkt(GetEncryptionConfiguration))},
	OpPutBucketEncryption:             {name: "PutBucketEncryption", requires: reqs(bkt(PutEncryptionConfiguration))},
	OpDeleteBucketEncryption:          {name: "DeleteBucketEncryption", requires: reqs(bkt(PutEncryptionConfiguration))},
	OpGetBucketWebsite:                {name: "GetBucketWebsite", requires: reqs(bkt(GetBucketWebsite))},
	OpPutBucketWebsite:                {name: "PutBucketWebsite", requires: reqs(bkt(PutBucketWebsite))},
	OpDeleteBucketWebsite:             {name: "DeleteBucketWebsite", requires: reqs(bkt(DeleteBucketWebsite))},
	OpGetBucketLogging:                {name: "GetBucketLogging", requires: reqs(bkt(GetBucketLogging))},
	OpPutBucketLogging:                {name: "PutBucketLogging", requires: reqs(bkt(PutBucketLogging))},

	OpGetBucketNotificationConfiguration: {name: "GetBucketNotificationConfiguration", requires: reqs(bkt(GetBucketNotification))},
	OpPutBucketNotificationConfiguration: {name: "PutBucketNotificationConfiguration", requires: reqs(bkt(PutBucketNotification))},
	OpGetBucketReplication:               {name: "GetBucketReplication", requires: reqs(bkt(GetReplicationConfiguration))},
	OpPutBucketReplication:               {name: "PutBucketReplication", requires: reqs(bkt(PutReplicationConfiguration))},
	OpDeleteBucketReplication:            {name: "DeleteBucketReplication", requires: reqs(bkt(PutReplicationConfiguration))},
	OpGetBucketRequestPayment:            {name: "GetBucketRequestPayment", requires: reqs(bkt(GetBucketRequestPayment))},
	OpPutBucketRequestPayment:            {name: "PutBucketRequestPayment", requires: reqs(bkt(PutBucketRequestPayment))},
	OpGetBucketAccelerateConfiguration:   {name: "GetBucketAccelerateConfiguration", requires: reqs(bkt(GetAccelerateConfiguration))},
	OpPutBucketAccelerateConfiguration:   {name: "PutBucketAccelerateConfiguration", requires: reqs(bkt(PutAccelerateConfiguration))},
	OpGetObjectLockConfiguration:         {name: "GetObjectLockConfiguration", requires: reqs(bkt(GetBucketObjectLockConfiguration))},
	OpPutObjectLockConfiguration:         {name: "PutObjectLockConfiguration", requires: reqs(bkt(PutBucketObjectLockConfiguration))},
	OpGetPublicAccessBlock:               {name: "GetPublicAccessBlock", requires: reqs(bkt(GetBucketPublicAccessBlock))},
	OpPutPublicAccessBlock:               {name: "PutPublicAccessBlock", requires: reqs(bkt(PutBucketPublicAccessBlock))},
	OpDeletePublicAccessBlock:            {name: "DeletePublicAccessBlock", requires: reqs(bkt(PutBucketPublicAccessBlock))},
	OpGetBucketOwnershipControls:         {name: "GetBucketOwnershipControls", requires: reqs(bkt(GetBucketOwnershipControls))},
	OpPutBucketOwnershipControls:         {name: "PutBucketOwnershipControls", requires: reqs(bkt(PutBucketOwnershipControls))},
	OpDeleteBucketOwnershipControls:      {name: "DeleteBucketOwnershipControls", requires: reqs(bkt(PutBucketOwnershipControls))},

	OpGetBucketAnalyticsConfiguration:             {name: "GetBucketAnalyticsConfiguration", requires: reqs(bkt(GetAnalyticsConfiguration))},
	OpPutBucketAnalyticsConfiguration:             {name: "PutBucketAnalyticsConfiguration", requires: reqs(bkt(PutAnalyticsConfiguration))},
	OpDeleteBucketAnalyticsConfiguration:          {name: "DeleteBucketAnalyticsConfiguration", requires: reqs(bkt(PutAnalyticsConfiguration))},
	OpListBucketAnalyticsConfigurations:           {name: "ListBucketAnalyticsConfigurations", requires: reqs(bkt(GetAnalyticsConfiguration))},
	OpGetBucketInventoryConfiguration:             {name: "GetBucketInventoryConfiguration", requires: reqs(bkt(GetInventoryConfiguration))},
	OpPutBucketInventoryConfiguration:             {name: "PutBucketInventoryConfiguration", requires: reqs(bkt(PutInventoryConfiguration))},
	OpDeleteBucketInventoryConfiguration:          {name: "DeleteBucketInventoryConfiguration", requires: reqs(bkt(PutInventoryConfiguration))},
	OpListBucketInventoryConfigurations:           {name: "ListBucketInventoryConfigurations", requires: reqs(bkt(GetInventoryConfiguration))},
	OpGetBucketMetricsConfiguration:               {name: "GetBucketMetricsConfiguration", requires: reqs(bkt(GetMetricsConfiguration))},
	OpPutBucketMetricsConfiguration:               {name: "PutBucketMetricsConfiguration", requires: reqs(bkt(PutMetricsConfiguration))},
	OpDeleteBucketMetricsConfiguration:            {name: "DeleteBucketMetricsConfiguration", requires: reqs(bkt(PutMetricsConfiguration))},
	OpListBucketMetricsConfigurations:             {name: "ListBucketMetricsConfigurations", requires: reqs(bkt(GetMetricsConfiguration))},
	OpGetBucketIntelligentTieringConfiguration:    {name: "GetBucketIntelligentTieringConfiguration", requires: reqs(bkt(GetIntelligentTieringConfiguration))},
	OpPutBucketIntelligentTieringConfiguration:    {name: "PutBucketIntelligentTieringConfiguration", requires: reqs(bkt(PutIntelligentTieringConfiguration))},
	OpDeleteBucketIntelligentTieringConfiguration: {name: "DeleteBucketIntelligentTieringConfiguration", requires: reqs(bkt(PutIntelligentTieringConfiguration))},
	OpListBucketIntelligentTieringConfigurations:  {name: "ListBucketIntelligentTieringConfigurations", requires: reqs(bkt(GetIntelligentTieringConfiguration))},
	OpGetBucketAbac:                               {name: "GetBucketAbac", requires: reqs(bkt(GetBucketAbac))},
	OpPutBucketAbac:                               {name: "PutBucketAbac", requires: reqs(bkt(PutBucketAbac))},

	// The metadata-configuration operations are authorized by the older *TableConfiguration actions.
	OpCreateBucketMetadataConfiguration:               {name: "CreateBucketMetadataConfiguration", requires: reqs(bkt(CreateBucketMetadataTableConfiguration))},
	OpGetBucketMetadataConfiguration:                  {name: "GetBucketMetadataConfiguration", requires: reqs(bkt(GetBucketMetadataTableConfiguration))},
	OpDeleteBucketMetadataConfiguration:               {name: "DeleteBucketMetadataConfiguration", requires: reqs(bkt(DeleteBucketMetadataTableConfiguration))},
	OpCreateBucketMetadataTableConfiguration:          {name: "CreateBucketMetadataTableConfiguration", requires: reqs(bkt(CreateBucketMetadataTableConfiguration))},
	OpGetBucketMetadataTableConfiguration:             {name: "GetBucketMetadataTableConfiguration", requires: reqs(bkt(GetBucketMetadataTableConfiguration))},
	OpDeleteBucketMetadataTableConfiguration:          {name: "DeleteBucketMetadataTableConfiguration", requires: reqs(bkt(DeleteBucketMetadataTableConfiguration))},
	OpUpdateBucketMetadataInventoryTableConfiguration: {name: "UpdateBucketMetadataInventoryTableConfiguration", requires: reqs(bkt(UpdateBucketMetadataInventoryTableConfiguration))},
	OpUpdateBucketMetadataJournalTableConfiguration:   {name: "UpdateBucketMetadataJournalTableConfiguration", requires: reqs(bkt(UpdateBucketMetadataJournalTableConfiguration))},

	OpGetObject:  {name: "GetObject", implemented: true, requires: reqs(objV(GetObject, GetObjectVersion))},
	OpHeadObject: {name: "HeadObject", implemented: true, requires: reqs(objV(GetObject, GetObjectVersion))},
	OpPutObject:  {name: "PutObject", implemented: true, requires: withWriteExtras(obj(PutObject))},
	// A browser-form POST upload is authorized like PutObject, with the ACL and tagging taken
	// from the form fields.
	OpPostObject: {name: "PostObject", implemented: true, requires: withWriteExtras(obj(PutObject))},
	OpCopyObject: {name: "CopyObject", implemented: true, requires: withWriteExtras(
		objV(GetObject, GetObjectVersion).on(TargetCopySource),
		obj(PutObject),
	)},
	OpDeleteObject: {name: "DeleteObject", implemented: true, requires: reqs(
		objV(DeleteObject, DeleteObjectVersion),
		obj(BypassGovernanceRetention).when(WithBypassGovernance),
	)},
	OpDeleteObjects: {name: "DeleteObjects", implemented: true, requires: reqs(
		objV(DeleteObject, DeleteObjectVersion).on(TargetEachKey),
		obj(BypassGovernanceRetention).on(TargetEachKey).when(WithBypassGovernance),
	)},
	OpGetObjectAttributes: {name: "GetObjectAttributes", requires: reqs(objV(GetObjectAttributes, GetObjectVersionAttributes))},
	OpGetObjectAcl:        {name: "GetObjectAcl", implemented: true, requires: reqs(objV(GetObjectAcl, GetObjectVersionAcl))},
	OpPutObjectAcl:        {name: "PutObjectAcl", implemented: true, requires: reqs(objV(PutObjectAcl, PutObjectVersionAcl))},
	OpGetObjectTagging:    {name: "GetObjectTagging", implemented: true, requires: reqs(objV(GetObjectTagging, GetObjectVersionTagging))},
	OpPutObjectTagging:    {name: "PutObjectTagging", implemented: true, requires: reqs(objV(PutObjectTagging, PutObjectVersionTagging))},
	OpDeleteObjectTagging: {name: "DeleteObjectTagging", implemented: true, requires: reqs(objV(DeleteObjectTagging, DeleteObjectVersionTagging))},
	OpGetObjectRetention:  {name: "GetObjectRetention", requires: reqs(obj(GetObjectRetention))},
	OpPutObjectRetention: {name: "PutObjectRetention", requires: reqs(
		obj(PutObjectRetention),
		obj(BypassGovernanceRetention).when(WithBypassGovernance),
	)},
	OpGetObjectLegalHold:     {name: "GetObjectLegalHold", requires: reqs(obj(GetObjectLegalHold))},
	OpPutObjectLegalHold:     {name: "PutObjectLegalHold", requires: reqs(obj(PutObjectLegalHold))},
	OpGetObjectTorrent:       {name: "GetObjectTorrent", requires: reqs(objV(GetObjectTorrent, GetObjectVersionTorrent))},
	OpRestoreObject:          {name: "RestoreObject", requires: reqs(obj(RestoreObject))},
	OpSelectObjectContent:    {name: "SelectObjectContent", requires: reqs(obj(GetObject))},
	OpUpdateObjectEncryption: {name: "UpdateObjectEncryption", requires: reqs(obj(UpdateObjectEncryption))},

	// Multipart uploads: every step that writes is s3:PutObject on the target key; the ACL, tags
	// and object-lock settings are given (and checked) when the upload is created.
	OpCreateMultipartUpload:   {name: "CreateMultipartUpload", implemented: true, requires: withWriteExtras(obj(PutObject))},
	OpUploadPart:              {name: "UploadPart", implemented: true, requires: reqs(obj(PutObject))},
	OpUploadPartCopy:          {name: "UploadPartCopy", implemented: true, requires: reqs(objV(GetObject, GetObjectVersion).on(TargetCopySource), obj(PutObject))},
	OpCompleteMultipartUpload: {name: "CompleteMultipartUpload", implemented: true, requires: reqs(obj(PutObject))},
	OpAbortMultipartUpload:    {name: "AbortMultipartUpload", implemented: true, requires: reqs(obj(AbortMultipartUpload))},
	OpListParts:               {name: "ListParts", implemented: true, requires: reqs(obj(ListMultipartUploadParts))},

	OpOptionsPreflight: {name: "OptionsPreflight", implemented: true},
}

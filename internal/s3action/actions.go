// Code in this file is the S3 action vocabulary: every action of the "s3" service prefix in
// AWS's Service Authorization Reference ("Actions, resources, and condition keys for Amazon S3"),
// checked against the reference as of early 2026. Hourglass serves only some of them; the rest are
// here so that policies pasted from AWS validate.

package s3action

// The actions, in case-insensitive alphabetical order of their names. The order is part of no
// contract: store names (Action.Name), never numbers.
const (
	// None is the zero Action; it names no action and is in no ActionSet built by MatchPattern.
	None Action = iota
	AbortMultipartUpload
	AllowVendedLogDeliveryForResource
	AssociateAccessGrantsIdentityCenter
	BypassGovernanceRetention
	CreateAccessGrant
	CreateAccessGrantsInstance
	CreateAccessGrantsLocation
	CreateAccessPoint
	CreateAccessPointForObjectLambda
	CreateBucket
	CreateBucketMetadataTableConfiguration
	CreateJob
	CreateMultiRegionAccessPoint
	CreateStorageLensGroup
	DeleteAccessGrant
	DeleteAccessGrantsInstance
	DeleteAccessGrantsInstanceResourcePolicy
	DeleteAccessGrantsLocation
	DeleteAccessPoint
	DeleteAccessPointForObjectLambda
	DeleteAccessPointPolicy
	DeleteAccessPointPolicyForObjectLambda
	DeleteBucket
	DeleteBucketMetadataTableConfiguration
	DeleteBucketPolicy
	DeleteBucketWebsite
	DeleteJobTagging
	DeleteMultiRegionAccessPoint
	DeleteObject
	DeleteObjectAnnotation
	DeleteObjectTagging
	DeleteObjectVersion
	DeleteObjectVersionAnnotation
	DeleteObjectVersionTagging
	DeleteStorageLensConfiguration
	DeleteStorageLensConfigurationTagging
	DeleteStorageLensGroup
	DescribeJob
	DescribeMultiRegionAccessPointOperation
	DissociateAccessGrantsIdentityCenter
	GetAccelerateConfiguration
	GetAccessGrant
	GetAccessGrantsInstance
	GetAccessGrantsInstanceForPrefix
	GetAccessGrantsInstanceResourcePolicy
	GetAccessGrantsLocation
	GetAccessPoint
	GetAccessPointConfigurationForObjectLambda
	GetAccessPointForObjectLambda
	GetAccessPointPolicy
	GetAccessPointPolicyForObjectLambda
	GetAccessPointPolicyStatus
	GetAccessPointPolicyStatusForObjectLambda
	GetAccountPublicAccessBlock
	GetAnalyticsConfiguration
	GetBucketAbac
	GetBucketAcl
	GetBucketCORS
	GetBucketLocation
	GetBucketLogging
	GetBucketMetadataTableConfiguration
	GetBucketNotification
	GetBucketObjectLockConfiguration
	GetBucketOwnershipControls
	GetBucketPolicy
	GetBucketPolicyStatus
	GetBucketPublicAccessBlock
	GetBucketRequestPayment
	GetBucketTagging
	GetBucketVersioning
	GetBucketWebsite
	GetDataAccess
	GetEncryptionConfiguration
	GetIntelligentTieringConfiguration
	GetInventoryConfiguration
	GetJobTagging
	GetLifecycleConfiguration
	GetMetricsConfiguration
	GetMultiRegionAccessPoint
	GetMultiRegionAccessPointPolicy
	GetMultiRegionAccessPointPolicyStatus
	GetMultiRegionAccessPointRoutes
	GetObject
	GetObjectAcl
	GetObjectAnnotation
	GetObjectAttributes
	GetObjectLegalHold
	GetObjectRetention
	GetObjectTagging
	GetObjectTorrent
	GetObjectVersion
	GetObjectVersionAcl
	GetObjectVersionAnnotation
	GetObjectVersionAnnotationForReplication
	GetObjectVersionAttributes
	GetObjectVersionForReplication
	GetObjectVersionTagging
	GetObjectVersionTorrent
	GetReplicationConfiguration
	GetStorageLensConfiguration
	GetStorageLensConfigurationTagging
	GetStorageLensDashboard
	GetStorageLensGroup
	InitiateReplication
	ListAccessGrants
	ListAccessGrantsInstances
	ListAccessGrantsLocations
	ListAccessPoints
	ListAccessPointsForObjectLambda
	ListAllMyBuckets
	ListBucket
	ListBucketMultipartUploads
	ListBucketVersions
	ListCallerAccessGrants
	ListJobs
	ListMultipartUploadParts
	ListMultiRegionAccessPoints
	ListObjectAnnotations
	ListObjectVersionAnnotations
	ListStorageLensConfigurations
	ListStorageLensGroups
	ListTagsForResource
	ObjectOwnerOverrideToBucketOwner
	PauseReplication
	PutAccelerateConfiguration
	PutAccessGrantsInstanceResourcePolicy
	PutAccessPointConfigurationForObjectLambda
	PutAccessPointPolicy
	PutAccessPointPolicyForObjectLambda
	PutAccessPointPublicAccessBlock
	PutAccountPublicAccessBlock
	PutAnalyticsConfiguration
	PutBucketAbac
	PutBucketAcl
	PutBucketCORS
	PutBucketLogging
	PutBucketNotification
	PutBucketObjectLockConfiguration
	PutBucketOwnershipControls
	PutBucketPolicy
	PutBucketPublicAccessBlock
	PutBucketRequestPayment
	PutBucketTagging
	PutBucketVersioning
	PutBucketWebsite
	PutEncryptionConfiguration
	PutIntelligentTieringConfiguration
	PutInventoryConfiguration
	PutJobTagging
	PutLifecycleConfiguration
	PutMetricsConfiguration
	PutMultiRegionAccessPointPolicy
	PutObject
	PutObjectAcl
	PutObjectAnnotation
	PutObjectLegalHold
	PutObjectRetention
	PutObjectTagging
	PutObjectVersionAcl
	PutObjectVersionAnnotation
	PutObjectVersionTagging
	PutReplicationConfiguration
	PutStorageLensConfiguration
	PutStorageLensConfigurationTagging
	ReplicateDelete
	ReplicateObject
	ReplicateObjectAnnotation
	ReplicateTags
	RestoreObject
	SubmitMultiRegionAccessPointRoutes
	TagResource
	UntagResource
	UpdateAccessGrantsLocation
	UpdateBucketMetadataAnnotationTableConfiguration
	UpdateBucketMetadataInventoryTableConfiguration
	UpdateBucketMetadataJournalTableConfiguration
	UpdateJobPriority
	UpdateJobStatus
	UpdateObjectEncryption
	UpdateStorageLensGroup

	numActions // number of Action values including None; keep last
)

var actionTable = [numActions]actionInfo{
	AbortMultipartUpload:                             {"AbortMultipartUpload", ResourceObject},
	AllowVendedLogDeliveryForResource:                {"AllowVendedLogDeliveryForResource", ResourceBucket},
	AssociateAccessGrantsIdentityCenter:              {"AssociateAccessGrantsIdentityCenter", ResourceOther},
	BypassGovernanceRetention:                        {"BypassGovernanceRetention", ResourceObject},
	CreateAccessGrant:                                {"CreateAccessGrant", ResourceOther},
	CreateAccessGrantsInstance:                       {"CreateAccessGrantsInstance", ResourceOther},
	CreateAccessGrantsLocation:                       {"CreateAccessGrantsLocation", ResourceOther},
	CreateAccessPoint:                                {"CreateAccessPoint", ResourceOther},
	CreateAccessPointForObjectLambda:                 {"CreateAccessPointForObjectLambda", ResourceOther},
	CreateBucket:                                     {"CreateBucket", ResourceBucket},
	CreateBucketMetadataTableConfiguration:           {"CreateBucketMetadataTableConfiguration", ResourceBucket},
	CreateJob:                                        {"CreateJob", ResourceOther},
	CreateMultiRegionAccessPoint:                     {"CreateMultiRegionAccessPoint", ResourceOther},
	CreateStorageLensGroup:                           {"CreateStorageLensGroup", ResourceOther},
	DeleteAccessGrant:                                {"DeleteAccessGrant", ResourceOther},
	DeleteAccessGrantsInstance:                       {"DeleteAccessGrantsInstance", ResourceOther},
	DeleteAccessGrantsInstanceResourcePolicy:         {"DeleteAccessGrantsInstanceResourcePolicy", ResourceOther},
	DeleteAccessGrantsLocation:                       {"DeleteAccessGrantsLocation", ResourceOther},
	DeleteAccessPoint:                                {"DeleteAccessPoint", ResourceOther},
	DeleteAccessPointForObjectLambda:                 {"DeleteAccessPointForObjectLambda", ResourceOther},
	DeleteAccessPointPolicy:                          {"DeleteAccessPointPolicy", ResourceOther},
	DeleteAccessPointPolicyForObjectLambda:           {"DeleteAccessPointPolicyForObjectLambda", ResourceOther},
	DeleteBucket:                                     {"DeleteBucket", ResourceBucket},
	DeleteBucketMetadataTableConfiguration:           {"DeleteBucketMetadataTableConfiguration", ResourceBucket},
	DeleteBucketPolicy:                               {"DeleteBucketPolicy", ResourceBucket},
	DeleteBucketWebsite:                              {"DeleteBucketWebsite", ResourceBucket},
	DeleteJobTagging:                                 {"DeleteJobTagging", ResourceOther},
	DeleteMultiRegionAccessPoint:                     {"DeleteMultiRegionAccessPoint", ResourceOther},
	DeleteObject:                                     {"DeleteObject", ResourceObject},
	DeleteObjectAnnotation:                           {"DeleteObjectAnnotation", ResourceObject},
	DeleteObjectTagging:                              {"DeleteObjectTagging", ResourceObject},
	DeleteObjectVersion:                              {"DeleteObjectVersion", ResourceObject},
	DeleteObjectVersionAnnotation:                    {"DeleteObjectVersionAnnotation", ResourceObject},
	DeleteObjectVersionTagging:                       {"DeleteObjectVersionTagging", ResourceObject},
	DeleteStorageLensConfiguration:                   {"DeleteStorageLensConfiguration", ResourceOther},
	DeleteStorageLensConfigurationTagging:            {"DeleteStorageLensConfigurationTagging", ResourceOther},
	DeleteStorageLensGroup:                           {"DeleteStorageLensGroup", ResourceOther},
	DescribeJob:                                      {"DescribeJob", ResourceOther},
	DescribeMultiRegionAccessPointOperation:          {"DescribeMultiRegionAccessPointOperation", ResourceOther},
	DissociateAccessGrantsIdentityCenter:             {"DissociateAccessGrantsIdentityCenter", ResourceOther},
	GetAccelerateConfiguration:                       {"GetAccelerateConfiguration", ResourceBucket},
	GetAccessGrant:                                   {"GetAccessGrant", ResourceOther},
	GetAccessGrantsInstance:                          {"GetAccessGrantsInstance", ResourceOther},
	GetAccessGrantsInstanceForPrefix:                 {"GetAccessGrantsInstanceForPrefix", ResourceOther},
	GetAccessGrantsInstanceResourcePolicy:            {"GetAccessGrantsInstanceResourcePolicy", ResourceOther},
	GetAccessGrantsLocation:                          {"GetAccessGrantsLocation", ResourceOther},
	GetAccessPoint:                                   {"GetAccessPoint", ResourceOther},
	GetAccessPointConfigurationForObjectLambda:       {"GetAccessPointConfigurationForObjectLambda", ResourceOther},
	GetAccessPointForObjectLambda:                    {"GetAccessPointForObjectLambda", ResourceOther},
	GetAccessPointPolicy:                             {"GetAccessPointPolicy", ResourceOther},
	GetAccessPointPolicyForObjectLambda:              {"GetAccessPointPolicyForObjectLambda", ResourceOther},
	GetAccessPointPolicyStatus:                       {"GetAccessPointPolicyStatus", ResourceOther},
	GetAccessPointPolicyStatusForObjectLambda:        {"GetAccessPointPolicyStatusForObjectLambda", ResourceOther},
	GetAccountPublicAccessBlock:                      {"GetAccountPublicAccessBlock", ResourceOther},
	GetAnalyticsConfiguration:                        {"GetAnalyticsConfiguration", ResourceBucket},
	GetBucketAbac:                                    {"GetBucketAbac", ResourceBucket},
	GetBucketAcl:                                     {"GetBucketAcl", ResourceBucket},
	GetBucketCORS:                                    {"GetBucketCORS", ResourceBucket},
	GetBucketLocation:                                {"GetBucketLocation", ResourceBucket},
	GetBucketLogging:                                 {"GetBucketLogging", ResourceBucket},
	GetBucketMetadataTableConfiguration:              {"GetBucketMetadataTableConfiguration", ResourceBucket},
	GetBucketNotification:                            {"GetBucketNotification", ResourceBucket},
	GetBucketObjectLockConfiguration:                 {"GetBucketObjectLockConfiguration", ResourceBucket},
	GetBucketOwnershipControls:                       {"GetBucketOwnershipControls", ResourceBucket},
	GetBucketPolicy:                                  {"GetBucketPolicy", ResourceBucket},
	GetBucketPolicyStatus:                            {"GetBucketPolicyStatus", ResourceBucket},
	GetBucketPublicAccessBlock:                       {"GetBucketPublicAccessBlock", ResourceBucket},
	GetBucketRequestPayment:                          {"GetBucketRequestPayment", ResourceBucket},
	GetBucketTagging:                                 {"GetBucketTagging", ResourceBucket},
	GetBucketVersioning:                              {"GetBucketVersioning", ResourceBucket},
	GetBucketWebsite:                                 {"GetBucketWebsite", ResourceBucket},
	GetDataAccess:                                    {"GetDataAccess", ResourceOther},
	GetEncryptionConfiguration:                       {"GetEncryptionConfiguration", ResourceBucket},
	GetIntelligentTieringConfiguration:               {"GetIntelligentTieringConfiguration", ResourceBucket},
	GetInventoryConfiguration:                        {"GetInventoryConfiguration", ResourceBucket},
	GetJobTagging:                                    {"GetJobTagging", ResourceOther},
	GetLifecycleConfiguration:                        {"GetLifecycleConfiguration", ResourceBucket},
	GetMetricsConfiguration:                          {"GetMetricsConfiguration", ResourceBucket},
	GetMultiRegionAccessPoint:                        {"GetMultiRegionAccessPoint", ResourceOther},
	GetMultiRegionAccessPointPolicy:                  {"GetMultiRegionAccessPointPolicy", ResourceOther},
	GetMultiRegionAccessPointPolicyStatus:            {"GetMultiRegionAccessPointPolicyStatus", ResourceOther},
	GetMultiRegionAccessPointRoutes:                  {"GetMultiRegionAccessPointRoutes", ResourceOther},
	GetObject:                                        {"GetObject", ResourceObject},
	GetObjectAcl:                                     {"GetObjectAcl", ResourceObject},
	GetObjectAnnotation:                              {"GetObjectAnnotation", ResourceObject},
	GetObjectAttributes:                              {"GetObjectAttributes", ResourceObject},
	GetObjectLegalHold:                               {"GetObjectLegalHold", ResourceObject},
	GetObjectRetention:                               {"GetObjectRetention", ResourceObject},
	GetObjectTagging:                                 {"GetObjectTagging", ResourceObject},
	GetObjectTorrent:                                 {"GetObjectTorrent", ResourceObject},
	GetObjectVersion:                                 {"GetObjectVersion", ResourceObject},
	GetObjectVersionAcl:                              {"GetObjectVersionAcl", ResourceObject},
	GetObjectVersionAnnotation:                       {"GetObjectVersionAnnotation", ResourceObject},
	GetObjectVersionAnnotationForReplication:         {"GetObjectVersionAnnotationForReplication", ResourceObject},
	GetObjectVersionAttributes:                       {"GetObjectVersionAttributes", ResourceObject},
	GetObjectVersionForReplication:                   {"GetObjectVersionForReplication", ResourceObject},
	GetObjectVersionTagging:                          {"GetObjectVersionTagging", ResourceObject},
	GetObjectVersionTorrent:                          {"GetObjectVersionTorrent", ResourceObject},
	GetReplicationConfiguration:                      {"GetReplicationConfiguration", ResourceBucket},
	GetStorageLensConfiguration:                      {"GetStorageLensConfiguration", ResourceOther},
	GetStorageLensConfigurationTagging:               {"GetStorageLensConfigurationTagging", ResourceOther},
	GetStorageLensDashboard:                          {"GetStorageLensDashboard", ResourceOther},
	GetStorageLensGroup:                              {"GetStorageLensGroup", ResourceOther},
	InitiateReplication:                              {"InitiateReplication", ResourceObject},
	ListAccessGrants:                                 {"ListAccessGrants", ResourceOther},
	ListAccessGrantsInstances:                        {"ListAccessGrantsInstances", ResourceOther},
	ListAccessGrantsLocations:                        {"ListAccessGrantsLocations", ResourceOther},
	ListAccessPoints:                                 {"ListAccessPoints", ResourceOther},
	ListAccessPointsForObjectLambda:                  {"ListAccessPointsForObjectLambda", ResourceOther},
	ListAllMyBuckets:                                 {"ListAllMyBuckets", ResourceService},
	ListBucket:                                       {"ListBucket", ResourceBucket},
	ListBucketMultipartUploads:                       {"ListBucketMultipartUploads", ResourceBucket},
	ListBucketVersions:                               {"ListBucketVersions", ResourceBucket},
	ListCallerAccessGrants:                           {"ListCallerAccessGrants", ResourceOther},
	ListJobs:                                         {"ListJobs", ResourceOther},
	ListMultipartUploadParts:                         {"ListMultipartUploadParts", ResourceObject},
	ListMultiRegionAccessPoints:                      {"ListMultiRegionAccessPoints", ResourceOther},
	ListObjectAnnotations:                            {"ListObjectAnnotations", ResourceObject},
	ListObjectVersionAnnotations:                     {"ListObjectVersionAnnotations", ResourceObject},
	ListStorageLensConfigurations:                    {"ListStorageLensConfigurations", ResourceOther},
	ListStorageLensGroups:                            {"ListStorageLensGroups", ResourceOther},
	ListTagsForResource:                              {"ListTagsForResource", ResourceOther},
	ObjectOwnerOverrideToBucketOwner:                 {"ObjectOwnerOverrideToBucketOwner", ResourceObject},
	PauseReplication:                                 {"PauseReplication", ResourceBucket},
	PutAccelerateConfiguration:                       {"PutAccelerateConfiguration", ResourceBucket},
	PutAccessGrantsInstanceResourcePolicy:            {"PutAccessGrantsInstanceResourcePolicy", ResourceOther},
	PutAccessPointConfigurationForObjectLambda:       {"PutAccessPointConfigurationForObjectLambda", ResourceOther},
	PutAccessPointPolicy:                             {"PutAccessPointPolicy", ResourceOther},
	PutAccessPointPolicyForObjectLambda:              {"PutAccessPointPolicyForObjectLambda", ResourceOther},
	PutAccessPointPublicAccessBlock:                  {"PutAccessPointPublicAccessBlock", ResourceOther},
	PutAccountPublicAccessBlock:                      {"PutAccountPublicAccessBlock", ResourceOther},
	PutAnalyticsConfiguration:                        {"PutAnalyticsConfiguration", ResourceBucket},
	PutBucketAbac:                                    {"PutBucketAbac", ResourceBucket},
	PutBucketAcl:                                     {"PutBucketAcl", ResourceBucket},
	PutBucketCORS:                                    {"PutBucketCORS", ResourceBucket},
	PutBucketLogging:                                 {"PutBucketLogging", ResourceBucket},
	PutBucketNotification:                            {"PutBucketNotification", ResourceBucket},
	PutBucketObjectLockConfiguration:                 {"PutBucketObjectLockConfiguration", ResourceBucket},
	PutBucketOwnershipControls:                       {"PutBucketOwnershipControls", ResourceBucket},
	PutBucketPolicy:                                  {"PutBucketPolicy", ResourceBucket},
	PutBucketPublicAccessBlock:                       {"PutBucketPublicAccessBlock", ResourceBucket},
	PutBucketRequestPayment:                          {"PutBucketRequestPayment", ResourceBucket},
	PutBucketTagging:                                 {"PutBucketTagging", ResourceBucket},
	PutBucketVersioning:                              {"PutBucketVersioning", ResourceBucket},
	PutBucketWebsite:                                 {"PutBucketWebsite", ResourceBucket},
	PutEncryptionConfiguration:                       {"PutEncryptionConfiguration", ResourceBucket},
	PutIntelligentTieringConfiguration:               {"PutIntelligentTieringConfiguration", ResourceBucket},
	PutInventoryConfiguration:                        {"PutInventoryConfiguration", ResourceBucket},
	PutJobTagging:                                    {"PutJobTagging", ResourceOther},
	PutLifecycleConfiguration:                        {"PutLifecycleConfiguration", ResourceBucket},
	PutMetricsConfiguration:                          {"PutMetricsConfiguration", ResourceBucket},
	PutMultiRegionAccessPointPolicy:                  {"PutMultiRegionAccessPointPolicy", ResourceOther},
	PutObject:                                        {"PutObject", ResourceObject},
	PutObjectAcl:                                     {"PutObjectAcl", ResourceObject},
	PutObjectAnnotation:                              {"PutObjectAnnotation", ResourceObject},
	PutObjectLegalHold:                               {"PutObjectLegalHold", ResourceObject},
	PutObjectRetention:                               {"PutObjectRetention", ResourceObject},
	PutObjectTagging:                                 {"PutObjectTagging", ResourceObject},
	PutObjectVersionAcl:                              {"PutObjectVersionAcl", ResourceObject},
	PutObjectVersionAnnotation:                       {"PutObjectVersionAnnotation", ResourceObject},
	PutObjectVersionTagging:                          {"PutObjectVersionTagging", ResourceObject},
	PutReplicationConfiguration:                      {"PutReplicationConfiguration", ResourceBucket},
	PutStorageLensConfiguration:                      {"PutStorageLensConfiguration", ResourceOther},
	PutStorageLensConfigurationTagging:               {"PutStorageLensConfigurationTagging", ResourceOther},
	ReplicateDelete:                                  {"ReplicateDelete", ResourceObject},
	ReplicateObject:                                  {"ReplicateObject", ResourceObject},
	ReplicateObjectAnnotation:                        {"ReplicateObjectAnnotation", ResourceObject},
	ReplicateTags:                                    {"ReplicateTags", ResourceObject},
	RestoreObject:                                    {"RestoreObject", ResourceObject},
	SubmitMultiRegionAccessPointRoutes:               {"SubmitMultiRegionAccessPointRoutes", ResourceOther},
	TagResource:                                      {"TagResource", ResourceOther},
	UntagResource:                                    {"UntagResource", ResourceOther},
	UpdateAccessGrantsLocation:                       {"UpdateAccessGrantsLocation", ResourceOther},
	UpdateBucketMetadataAnnotationTableConfiguration: {"UpdateBucketMetadataAnnotationTableConfiguration", ResourceBucket},
	UpdateBucketMetadataInventoryTableConfiguration:  {"UpdateBucketMetadataInventoryTableConfiguration", ResourceBucket},
	UpdateBucketMetadataJournalTableConfiguration:    {"UpdateBucketMetadataJournalTableConfiguration", ResourceBucket},
	UpdateJobPriority:                                {"UpdateJobPriority", ResourceOther},
	UpdateJobStatus:                                  {"UpdateJobStatus", ResourceOther},
	UpdateObjectEncryption:                           {"UpdateObjectEncryption", ResourceObject},
	UpdateStorageLensGroup:                           {"UpdateStorageLensGroup", ResourceOther},
}

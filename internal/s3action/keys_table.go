// The condition keys that policies may test: AWS's global condition context keys, the keys of
// the s3 service prefix in the Service Authorization Reference (early 2026), and Yandex Object
// Storage's yc:private-endpoint-id. Types are AWS's; multivalued keys are AWS's ArrayOf* keys.

package s3action

// The condition keys.
const (
	KeyNone Key = iota
	AWSAssumedRoot
	AWSCalledVia
	AWSCalledViaFirst
	AWSCalledViaLast
	AWSCurrentTime
	AWSEc2InstanceSourcePrivateIPv4
	AWSEc2InstanceSourceVpc
	AWSEpochTime
	AWSFederatedProvider
	AWSMultiFactorAuthAge
	AWSMultiFactorAuthPresent
	AWSPrincipalAccount
	AWSPrincipalArn
	AWSPrincipalIsAWSService
	AWSPrincipalOrgID
	AWSPrincipalOrgPaths
	AWSPrincipalServiceName
	AWSPrincipalServiceNamesList
	AWSPrincipalTag
	AWSPrincipalType
	AWSReferer
	AWSRequestTag
	AWSRequestedRegion
	AWSResourceAccount
	AWSResourceOrgID
	AWSResourceOrgPaths
	AWSResourceTag
	AWSSecureTransport
	AWSSourceAccount
	AWSSourceArn
	AWSSourceIdentity
	AWSSourceIP
	AWSSourceOrgID
	AWSSourceOrgPaths
	AWSSourceVpc
	AWSSourceVpcArn
	AWSSourceVpce
	AWSTagKeys
	AWSTokenIssueTime
	AWSUserAgent
	AWSUserID
	AWSUsername
	AWSViaAWSService
	AWSVpcSourceIP
	AWSVpceAccount
	AWSVpceOrgID
	AWSVpceOrgPaths
	S3AccessGrantScope
	S3AccessGrantsInstanceArn
	S3AccessGrantsLocationScope
	S3AccessPointNetworkOrigin
	S3AccessPointTag
	S3AnnotationPrefix
	S3AuthType
	S3BucketTag
	S3DataAccessPointAccount
	S3DataAccessPointArn
	S3Delimiter
	S3DeliverySourceArn
	S3DestinationRegion
	S3ExistingJobOperation
	S3ExistingJobPriority
	S3ExistingObjectTag
	S3IfMatch
	S3IfNoneMatch
	S3InventoryAccessibleOptionalFields
	S3IsReplicationPauseRequest
	S3JobSuspendedCause
	S3LocationConstraint
	S3LogType
	S3MaxAnnotationResults
	S3MaxKeys
	S3ObjectCreationOperation
	S3ObjectLockLegalHold
	S3ObjectLockMode
	S3ObjectLockRemainingRetentionDays
	S3ObjectLockRetainUntilDate
	S3Prefix
	S3RequestJobOperation
	S3RequestJobPriority
	S3RequestObjectTag
	S3RequestObjectTagKeys
	S3ResourceAccount
	S3ResourceArnBeingAuthorized
	S3SignatureAge
	S3SignatureVersion
	S3TLSVersion
	S3VersionID
	S3XAmzACL
	S3XAmzBucketNamespace
	S3XAmzContentSHA256
	S3XAmzCopySource
	S3XAmzGrantFullControl
	S3XAmzGrantRead
	S3XAmzGrantReadACP
	S3XAmzGrantWrite
	S3XAmzGrantWriteACP
	S3XAmzMetadataDirective
	S3XAmzObjectAnnotationDirective
	S3XAmzObjectIfMatch
	S3XAmzObjectOwnership
	S3XAmzServerSideEncryption
	S3XAmzServerSideEncryptionAWSKMSKeyID
	S3XAmzServerSideEncryptionCustomerAlgorithm
	S3XAmzStorageClass
	S3XAmzWebsiteRedirectLocation
	YCPrivateEndpointID

	numKeys // keep last
)

var keyTable = [numKeys]keyInfo{
	AWSAssumedRoot:                        {name: "aws:AssumedRoot", typ: TypeBool, multi: false, prefix: false, header: ""},
	AWSCalledVia:                          {name: "aws:CalledVia", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSCalledViaFirst:                     {name: "aws:CalledViaFirst", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSCalledViaLast:                      {name: "aws:CalledViaLast", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSCurrentTime:                        {name: "aws:CurrentTime", typ: TypeDate, multi: false, prefix: false, header: ""},
	AWSEc2InstanceSourcePrivateIPv4:       {name: "aws:Ec2InstanceSourcePrivateIPv4", typ: TypeIPAddress, multi: false, prefix: false, header: ""},
	AWSEc2InstanceSourceVpc:               {name: "aws:Ec2InstanceSourceVpc", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSEpochTime:                          {name: "aws:EpochTime", typ: TypeDate, multi: false, prefix: false, header: ""},
	AWSFederatedProvider:                  {name: "aws:FederatedProvider", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSMultiFactorAuthAge:                 {name: "aws:MultiFactorAuthAge", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	AWSMultiFactorAuthPresent:             {name: "aws:MultiFactorAuthPresent", typ: TypeBool, multi: false, prefix: false, header: ""},
	AWSPrincipalAccount:                   {name: "aws:PrincipalAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSPrincipalArn:                       {name: "aws:PrincipalArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	AWSPrincipalIsAWSService:              {name: "aws:PrincipalIsAWSService", typ: TypeBool, multi: false, prefix: false, header: ""},
	AWSPrincipalOrgID:                     {name: "aws:PrincipalOrgID", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSPrincipalOrgPaths:                  {name: "aws:PrincipalOrgPaths", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSPrincipalServiceName:               {name: "aws:PrincipalServiceName", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSPrincipalServiceNamesList:          {name: "aws:PrincipalServiceNamesList", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSPrincipalTag:                       {name: "aws:PrincipalTag", typ: TypeString, multi: false, prefix: true, header: ""},
	AWSPrincipalType:                      {name: "aws:PrincipalType", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSReferer:                            {name: "aws:Referer", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSRequestTag:                         {name: "aws:RequestTag", typ: TypeString, multi: false, prefix: true, header: ""},
	AWSRequestedRegion:                    {name: "aws:RequestedRegion", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSResourceAccount:                    {name: "aws:ResourceAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSResourceOrgID:                      {name: "aws:ResourceOrgID", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSResourceOrgPaths:                   {name: "aws:ResourceOrgPaths", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSResourceTag:                        {name: "aws:ResourceTag", typ: TypeString, multi: false, prefix: true, header: ""},
	AWSSecureTransport:                    {name: "aws:SecureTransport", typ: TypeBool, multi: false, prefix: false, header: ""},
	AWSSourceAccount:                      {name: "aws:SourceAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSSourceArn:                          {name: "aws:SourceArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	AWSSourceIdentity:                     {name: "aws:SourceIdentity", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSSourceIP:                           {name: "aws:SourceIp", typ: TypeIPAddress, multi: false, prefix: false, header: ""},
	AWSSourceOrgID:                        {name: "aws:SourceOrgID", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSSourceOrgPaths:                     {name: "aws:SourceOrgPaths", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSSourceVpc:                          {name: "aws:SourceVpc", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSSourceVpcArn:                       {name: "aws:SourceVpcArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	AWSSourceVpce:                         {name: "aws:SourceVpce", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSTagKeys:                            {name: "aws:TagKeys", typ: TypeString, multi: true, prefix: false, header: ""},
	AWSTokenIssueTime:                     {name: "aws:TokenIssueTime", typ: TypeDate, multi: false, prefix: false, header: ""},
	AWSUserAgent:                          {name: "aws:UserAgent", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSUserID:                             {name: "aws:userid", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSUsername:                           {name: "aws:username", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSViaAWSService:                      {name: "aws:ViaAWSService", typ: TypeBool, multi: false, prefix: false, header: ""},
	AWSVpcSourceIP:                        {name: "aws:VpcSourceIp", typ: TypeIPAddress, multi: false, prefix: false, header: ""},
	AWSVpceAccount:                        {name: "aws:VpceAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSVpceOrgID:                          {name: "aws:VpceOrgID", typ: TypeString, multi: false, prefix: false, header: ""},
	AWSVpceOrgPaths:                       {name: "aws:VpceOrgPaths", typ: TypeString, multi: true, prefix: false, header: ""},
	S3AccessGrantScope:                    {name: "s3:AccessGrantScope", typ: TypeString, multi: false, prefix: false, header: ""},
	S3AccessGrantsInstanceArn:             {name: "s3:AccessGrantsInstanceArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	S3AccessGrantsLocationScope:           {name: "s3:AccessGrantsLocationScope", typ: TypeString, multi: false, prefix: false, header: ""},
	S3AccessPointNetworkOrigin:            {name: "s3:AccessPointNetworkOrigin", typ: TypeString, multi: false, prefix: false, header: ""},
	S3AccessPointTag:                      {name: "s3:AccessPointTag", typ: TypeString, multi: false, prefix: true, header: ""},
	S3AnnotationPrefix:                    {name: "s3:annotation-prefix", typ: TypeString, multi: false, prefix: false, header: ""},
	S3AuthType:                            {name: "s3:authType", typ: TypeString, multi: false, prefix: false, header: ""},
	S3BucketTag:                           {name: "s3:BucketTag", typ: TypeString, multi: false, prefix: true, header: ""},
	S3DataAccessPointAccount:              {name: "s3:DataAccessPointAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	S3DataAccessPointArn:                  {name: "s3:DataAccessPointArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	S3Delimiter:                           {name: "s3:delimiter", typ: TypeString, multi: false, prefix: false, header: ""},
	S3DeliverySourceArn:                   {name: "s3:deliverySourceArn", typ: TypeARN, multi: false, prefix: false, header: ""},
	S3DestinationRegion:                   {name: "s3:destinationRegion", typ: TypeString, multi: false, prefix: false, header: ""},
	S3ExistingJobOperation:                {name: "s3:ExistingJobOperation", typ: TypeString, multi: false, prefix: false, header: ""},
	S3ExistingJobPriority:                 {name: "s3:ExistingJobPriority", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3ExistingObjectTag:                   {name: "s3:ExistingObjectTag", typ: TypeString, multi: false, prefix: true, header: ""},
	S3IfMatch:                             {name: "s3:if-match", typ: TypeString, multi: false, prefix: false, header: ""},
	S3IfNoneMatch:                         {name: "s3:if-none-match", typ: TypeString, multi: false, prefix: false, header: ""},
	S3InventoryAccessibleOptionalFields:   {name: "s3:InventoryAccessibleOptionalFields", typ: TypeString, multi: true, prefix: false, header: ""},
	S3IsReplicationPauseRequest:           {name: "s3:isReplicationPauseRequest", typ: TypeBool, multi: false, prefix: false, header: ""},
	S3JobSuspendedCause:                   {name: "s3:JobSuspendedCause", typ: TypeString, multi: false, prefix: false, header: ""},
	S3LocationConstraint:                  {name: "s3:locationconstraint", typ: TypeString, multi: false, prefix: false, header: ""},
	S3LogType:                             {name: "s3:logType", typ: TypeString, multi: false, prefix: false, header: ""},
	S3MaxAnnotationResults:                {name: "s3:max-annotation-results", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3MaxKeys:                             {name: "s3:max-keys", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3ObjectCreationOperation:             {name: "s3:ObjectCreationOperation", typ: TypeBool, multi: false, prefix: false, header: ""},
	S3ObjectLockLegalHold:                 {name: "s3:object-lock-legal-hold", typ: TypeString, multi: false, prefix: false, header: ""},
	S3ObjectLockMode:                      {name: "s3:object-lock-mode", typ: TypeString, multi: false, prefix: false, header: ""},
	S3ObjectLockRemainingRetentionDays:    {name: "s3:object-lock-remaining-retention-days", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3ObjectLockRetainUntilDate:           {name: "s3:object-lock-retain-until-date", typ: TypeDate, multi: false, prefix: false, header: ""},
	S3Prefix:                              {name: "s3:prefix", typ: TypeString, multi: false, prefix: false, header: ""},
	S3RequestJobOperation:                 {name: "s3:RequestJobOperation", typ: TypeString, multi: false, prefix: false, header: ""},
	S3RequestJobPriority:                  {name: "s3:RequestJobPriority", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3RequestObjectTag:                    {name: "s3:RequestObjectTag", typ: TypeString, multi: false, prefix: true, header: ""},
	S3RequestObjectTagKeys:                {name: "s3:RequestObjectTagKeys", typ: TypeString, multi: true, prefix: false, header: ""},
	S3ResourceAccount:                     {name: "s3:ResourceAccount", typ: TypeString, multi: false, prefix: false, header: ""},
	S3ResourceArnBeingAuthorized:          {name: "s3:resourceArnBeingAuthorized", typ: TypeARN, multi: false, prefix: false, header: ""},
	S3SignatureAge:                        {name: "s3:signatureAge", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3SignatureVersion:                    {name: "s3:signatureversion", typ: TypeString, multi: false, prefix: false, header: ""},
	S3TLSVersion:                          {name: "s3:TlsVersion", typ: TypeNumeric, multi: false, prefix: false, header: ""},
	S3VersionID:                           {name: "s3:versionid", typ: TypeString, multi: false, prefix: false, header: ""},
	S3XAmzACL:                             {name: "s3:x-amz-acl", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Acl"},
	S3XAmzBucketNamespace:                 {name: "s3:x-amz-bucket-namespace", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Bucket-Namespace"},
	S3XAmzContentSHA256:                   {name: "s3:x-amz-content-sha256", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Content-Sha256"},
	S3XAmzCopySource:                      {name: "s3:x-amz-copy-source", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Copy-Source"},
	S3XAmzGrantFullControl:                {name: "s3:x-amz-grant-full-control", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Grant-Full-Control"},
	S3XAmzGrantRead:                       {name: "s3:x-amz-grant-read", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Grant-Read"},
	S3XAmzGrantReadACP:                    {name: "s3:x-amz-grant-read-acp", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Grant-Read-Acp"},
	S3XAmzGrantWrite:                      {name: "s3:x-amz-grant-write", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Grant-Write"},
	S3XAmzGrantWriteACP:                   {name: "s3:x-amz-grant-write-acp", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Grant-Write-Acp"},
	S3XAmzMetadataDirective:               {name: "s3:x-amz-metadata-directive", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Metadata-Directive"},
	S3XAmzObjectAnnotationDirective:       {name: "s3:x-amz-object-annotation-directive", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Object-Annotation-Directive"},
	S3XAmzObjectIfMatch:                   {name: "s3:x-amz-object-if-match", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Object-If-Match"},
	S3XAmzObjectOwnership:                 {name: "s3:x-amz-object-ownership", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Object-Ownership"},
	S3XAmzServerSideEncryption:            {name: "s3:x-amz-server-side-encryption", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Server-Side-Encryption"},
	S3XAmzServerSideEncryptionAWSKMSKeyID: {name: "s3:x-amz-server-side-encryption-aws-kms-key-id", typ: TypeARN, multi: false, prefix: false, header: "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"},
	S3XAmzServerSideEncryptionCustomerAlgorithm: {name: "s3:x-amz-server-side-encryption-customer-algorithm", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Server-Side-Encryption-Customer-Algorithm"},
	S3XAmzStorageClass:                          {name: "s3:x-amz-storage-class", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Storage-Class"},
	S3XAmzWebsiteRedirectLocation:               {name: "s3:x-amz-website-redirect-location", typ: TypeString, multi: false, prefix: false, header: "X-Amz-Website-Redirect-Location"},
	YCPrivateEndpointID:                         {name: "yc:private-endpoint-id", typ: TypeString, multi: false, prefix: false, header: ""},
}

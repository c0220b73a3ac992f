// Package sts serves the AWS STS Query API of Hourglass (DESIGN.md §2, §3, §9, §10):
// AssumeRole, GetSessionToken, GetCallerIdentity and GetAccessKeyInfo over POST forms and GET
// queries, Version 2011-06-15, SigV4 with the credential-scope service "sts", XML answers in the
// https://sts.amazonaws.com/doc/2011-06-15/ namespace and AWS's error envelope. Handler is the
// http.Handler; IsSTSRequest tells STS requests apart from S3 ones on a shared listener;
// AdminExtension adds the token-key and revocation routes to the admin API.
//
// Temporary keys are issued by the session package from a static key of a service account
// (authn authenticates; a temporary key may not call AssumeRole or GetSessionToken). Issuance is
// refused when the service account or its folder has STS disabled, is rate-limited per static
// key with a token bucket (Throttling), and is audited before the credentials leave: when the
// CreateTemporaryAccessKey event cannot be written the caller gets ServiceUnavailable and no
// credentials.
//
// Decisions where AWS and Yandex leave room (README.md lists them with their reasons):
//
//   - Parameters AWS defines but Hourglass cannot honour are validated with AWS's constraints and
//     then ignored: Tags, TransitiveTagKeys, ExternalId, SerialNumber/TokenCode (no MFA),
//     ProvidedContexts. SourceIdentity is validated and echoed in the answer, as AWS does.
//     PolicyArns is refused (ValidationError): a managed policy narrows a session, and ignoring
//     it would grant more than was asked. Parameters AWS does not define are ignored, as AWS does.
//   - A policy longer than 10,240 characters is a ValidationError on 'policy' (the limit is on
//     the text, not on a packed size); a policy the policy package rejects is
//     MalformedPolicyDocument naming the element.
//   - A parameter given twice is a ValidationError; a missing or wrong Version is InvalidAction
//     "Could not find operation X for version NO_VERSION_SPECIFIED" as AWS answers.
//   - GetCallerIdentity returns the principal authorization sees: UserId is aws:userid
//     (<sa-id> for a static key, <sa-id>:<session-name> for a temporary key, as AWS's
//     AROA…:name) and the session ID travels in an extra SessionId element that SDKs skip.
//   - GetAccessKeyInfo answers the folder of any existing key; an unknown (or deleted) key is
//     NoSuchEntity (404).
//   - Bodies are capped at MaxBodyBytes (64 KiB): larger is RequestEntityTooLarge (413).
package sts

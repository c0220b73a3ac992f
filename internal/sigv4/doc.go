// Package sigv4 authenticates AWS Signature Version 4 requests on the server
// side: it parses the Authorization header or a presigned URL ([Parse]),
// verifies the seed signature against a caller-supplied secret
// ([Verifier.Verify]) with a bounded cache of derived signing keys, and hands
// back the request body as a verifying reader ([Body]) that decodes every
// payload mode S3 clients use: a literal SHA-256, UNSIGNED-PAYLOAD, and the
// aws-chunked streaming modes with per-chunk signatures and trailing
// checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), with or without a
// Content-Length.
//
// A Body reports a failed check (payload hash, chunk signature, checksum,
// Content-MD5, length) as an error from Read before it would return io.EOF,
// so a caller that only commits after a clean io.EOF never stores bytes that
// were not authenticated.
//
// Every failure is an [*Error] carrying the S3 error code and HTTP status.
// The package imports only the standard library; it never logs and never puts
// a secret or a derived key into an error.
package sigv4

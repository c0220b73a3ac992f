// Package s3api is Hourglass's S3 REST surface: a dispatcher that resolves path-style and
// virtual-hosted-style addresses and maps method + subresource to an s3action.Operation (the one
// table of operations, actions and resources), authenticates through authn, authorizes every
// requirement of the operation through an Authorizer, and serves the operations over a
// blob.Store (objects) and the control plane (bucket registry, bucket policies, ACLs, CORS and
// tags; object ACLs and tags bound to object generations). It also answers CORS preflights,
// adds CORS headers to every response of a bucket with a CORS configuration, and accepts
// browser form uploads signed by SigV4 POST policies. Handlers return errors; one adapter
// writes them as S3's XML error envelope with the request ID.
package s3api

// Package s3api is Hourglass's S3 REST surface: a dispatcher that resolves path-style and
// virtual-hosted-style addresses and maps method + subresource to an s3action.Operation (the one
// table of operations, actions and resources), authenticates through authn, authorizes every
// requirement of the operation through an Authorizer, and serves the operations over a
// blob.Store (objects) and the control plane (bucket registry, bucket policies and ACLs, object
// ACLs bound to object generations). Handlers return errors; one adapter writes them as S3's XML
// error envelope with the request ID.
package s3api

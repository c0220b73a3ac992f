// Package blobtest is the conformance suite every blob.Store implementation
// runs: blobtest.Run(t, newStore). It checks the contract documented in
// package blob with black-box calls only, so the local-disk backend and the
// upstream S3 backend are held to the same behaviour.
package blobtest

// Package s3action owns the S3 authorization vocabulary: every s3: action AWS defines (Action,
// ActionSet, Lookup, MatchPattern), the table that maps each S3 REST operation to the actions it
// requires and the resource each applies to (Operation, Op, Operations), and the condition keys
// that policies may test, with their types (Key, LookupKey).
//
// It is a leaf: it imports only the standard library, and nothing else in Hourglass defines an
// action name. The S3 dispatcher and authorization both import it.
package s3action

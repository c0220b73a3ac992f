// Package policy parses, validates, compiles and evaluates the IAM policy language of session
// policies and bucket policies: Version, Id, Statement (object or list), Sid, Effect,
// Principal/NotPrincipal, Action/NotAction, Resource/NotResource with wildcards, escapes and
// policy variables, and Condition with every operator, IfExists and the ForAnyValue/ForAllValues
// qualifiers.
//
// Parse compiles a document once into an immutable *Policy that is safe for concurrent use;
// Policy.Evaluate decides one request (NoMatch, Allow or Deny, and the statement that decided)
// without allocating in the common case. The package is pure: no I/O, no clock, no globals
// that change. It imports only the standard library and s3action. See README.md for the
// grammar and the semantic decisions.
package policy

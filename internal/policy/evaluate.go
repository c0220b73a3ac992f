package policy

import (
	"strconv"
)

// Decision is the outcome of evaluating one policy for one request: the effect, and the
// statement that decided it (its index from 0 and its Sid), or Statement -1 for NoMatch.
type Decision struct {
	Effect    Effect
	Statement int
	Sid       string
}

// Reason explains the decision in one line, e.g. `Deny by statement 2 (Sid "DenyHTTP")`.
func (d Decision) Reason() string {
	if d.Effect == NoMatch {
		return "no statement matched"
	}
	s := d.Effect.String() + " by statement " + strconv.Itoa(d.Statement)
	if d.Sid != "" {
		s += " (Sid " + strconv.Quote(d.Sid) + ")"
	}
	return s
}

func (d Decision) String() string { return d.Reason() }

// Evaluate decides req against the policy. An explicit Deny in any statement that applies wins
// (the first such statement in document order is reported); otherwise the first applying Allow
// statement decides; otherwise NoMatch. A statement applies when its Principal, Action,
// Resource and every Condition match. Evaluate does not allocate unless a policy compares a
// non-string value as a string, uses a numeric or time policy variable, or tests a multivalued
// key kept in Request.Other under a prefix name.
func (p *Policy) Evaluate(req *Request) Decision {
	allow := -1
	for _, i := range p.order {
		st := &p.stmts[i]
		if st.effect == Allow && allow >= 0 {
			break // Deny statements come first in p.order; one Allow is enough
		}
		if !st.applies(req) {
			continue
		}
		if st.effect == Deny {
			return Decision{Effect: Deny, Statement: i, Sid: st.sid}
		}
		allow = i
	}
	if allow >= 0 {
		return Decision{Effect: Allow, Statement: allow, Sid: p.stmts[allow].sid}
	}
	return Decision{Effect: NoMatch, Statement: -1}
}

func (st *statement) applies(req *Request) bool {
	if st.actions.Has(req.Action) == st.notAction {
		return false
	}
	if st.hasPrincipal && st.principal.match(&req.Principal) == st.notPrincipal {
		return false
	}
	matched := false
	for i := range st.resources {
		if st.resources[i].match(req.Resource, false, req) {
			matched = true
			break
		}
	}
	if matched == st.notResource {
		return false
	}
	for i := range st.conds {
		if !st.conds[i].eval(req) {
			return false
		}
	}
	return true
}

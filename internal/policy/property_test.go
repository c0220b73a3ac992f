package policy

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// Random policies and requests drawn from small pools, so that statements often apply.

var (
	propActions   = []string{"s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*", "*", "s3:ListBucket", "s3:DeleteObject", "s3:?utObject"}
	propResources = []string{"*", "arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:s3:::b/a/*", "arn:aws:s3:::b/${aws:username}/*",
		"arn:aws:s3:::b/?", "arn:aws:s3:::c/*", "arn:aws:s3:::b/${aws:userid, 'x'}/*"}
	propPrincipals = []any{"*", map[string]any{"AWS": "arn:aws:iam::f1:user/alice"}, map[string]any{"CanonicalUser": "sa2"},
		map[string]any{"AWS": []string{"sa1", "arn:aws:iam::f1:root"}}, map[string]any{"AWS": "*"}}
	propConds = []map[string]any{
		{"Bool": map[string]any{"aws:SecureTransport": "true"}},
		{"IpAddress": map[string]any{"aws:SourceIp": "10.0.0.0/8"}},
		{"NotIpAddress": map[string]any{"aws:SourceIp": []string{"10.1.0.0/16", "2001:db8::/32"}}},
		{"StringLike": map[string]any{"s3:prefix": "a/*"}},
		{"StringNotEquals": map[string]any{"aws:UserAgent": "bad"}},
		{"StringEqualsIfExists": map[string]any{"s3:x-amz-acl": "private"}},
		{"NumericLessThanEquals": map[string]any{"s3:max-keys": 100}},
		{"DateLessThan": map[string]any{"aws:CurrentTime": "2026-06-01T00:00:00Z"}},
		{"Null": map[string]any{"s3:x-amz-server-side-encryption": "true"}},
		{"ForAllValues:StringEquals": map[string]any{"s3:RequestObjectTagKeys": []string{"k1", "k2"}}},
		{"ForAnyValue:StringLike": map[string]any{"s3:RequestObjectTagKeys": "k*"}},
		{"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::f1:user/*"}},
		{"StringEquals": map[string]any{"aws:PrincipalType": "AssumedRole"}},
	}
	propKeys  = []string{"b/x", "b/a/1", "b/alice/f", "b/sa1/f", "b/x/y", "c/x"}
	propUsers = []Principal{
		{Type: Anonymous},
		{Type: User, ARN: "arn:aws:iam::f1:user/alice", UserID: "sa1", Username: "alice", AccountID: "f1", CanonicalID: "sa1"},
		{Type: AssumedRole, ARN: "arn:aws:sts::f1:assumed-role/alice/s", UserARN: "arn:aws:iam::f1:user/alice", UserID: "sa1:s", AccountID: "f1", CanonicalID: "sa1"},
		{Type: User, ARN: "arn:aws:iam::f2:user/bob", UserID: "sa2", Username: "bob", AccountID: "f2", CanonicalID: "sa2"},
	}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randStatement(r *rand.Rand, kind Kind) map[string]any {
	st := map[string]any{"Effect": pick(r, []string{"Allow", "Deny"})}
	actions := []string{pick(r, propActions)}
	if r.IntN(3) == 0 {
		actions = append(actions, pick(r, propActions))
	}
	if r.IntN(5) == 0 {
		st["NotAction"] = actions
	} else {
		st["Action"] = actions
	}
	res := []string{pick(r, propResources)}
	if r.IntN(3) == 0 {
		res = append(res, pick(r, propResources))
	}
	if r.IntN(6) == 0 {
		st["NotResource"] = res
	} else {
		st["Resource"] = res
	}
	if kind == Bucket {
		if r.IntN(6) == 0 {
			st["NotPrincipal"] = pick(r, propPrincipals[1:4])
		} else {
			st["Principal"] = pick(r, propPrincipals)
		}
	}
	if r.IntN(2) == 0 {
		cond := map[string]any{}
		for i := r.IntN(2) + 1; i > 0; i-- {
			for op, v := range pick(r, propConds) {
				cond[op] = v
			}
		}
		st["Condition"] = cond
	}
	return st
}

func randRequest(r *rand.Rand) *Request {
	req := &Request{
		Action:          pick(r, []s3action.Action{s3action.GetObject, s3action.PutObject, s3action.ListBucket, s3action.DeleteObject, s3action.GetObjectTagging}),
		Resource:        "arn:aws:s3:::" + pick(r, propKeys),
		Principal:       pick(r, propUsers),
		SecureTransport: r.IntN(2) == 0,
		CurrentTime:     time.Date(2026, time.Month(r.IntN(12)+1), 1, 0, 0, 0, 0, time.UTC),
	}
	if r.IntN(4) > 0 {
		req.SourceIP = pick(r, []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")})
	}
	if r.IntN(2) == 0 {
		req.Prefix, req.HasPrefix = pick(r, []string{"", "a/", "b/x"}), true
	}
	if r.IntN(2) == 0 {
		req.MaxKeys, req.HasMaxKeys = int64(r.IntN(200)), true
	}
	if r.IntN(3) == 0 {
		req.UserAgent = pick(r, []string{"bad", "good"})
	}
	if r.IntN(3) == 0 {
		req.Header = http.Header{"X-Amz-Acl": {pick(r, []string{"private", "public-read"})}}
	}
	switch r.IntN(3) {
	case 0:
		req.RequestObjectTags = map[string]string{"k1": "v"}
	case 1:
		req.RequestObjectTags = map[string]string{"k1": "v", "z": "w"}
	}
	return req
}

func mustParseStatements(t *testing.T, kind Kind, stmts []map[string]any) *Policy {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(doc, kind, 1<<20)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// TestEvaluateProperties checks, over random policies and requests:
//   - determinism: the same request gives the same decision, also from a re-parsed policy;
//   - the deciding statement alone gives the same effect;
//   - Deny dominates: if any statement alone denies, the whole policy denies;
//   - monotonicity: a statement list that allows alone still allows or denies inside a larger
//     policy (never NoMatch), and a policy that matches nothing has no statement that matches.
func TestEvaluateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const policies, requests = 400, 25
	var allows, denies, nomatch int
	for i := 0; i < policies; i++ {
		kind := Session
		if i%2 == 1 {
			kind = Bucket
		}
		stmts := make([]map[string]any, r.IntN(6)+1)
		for j := range stmts {
			stmts[j] = randStatement(r, kind)
		}
		full := mustParseStatements(t, kind, stmts)
		again := mustParseStatements(t, kind, stmts)
		cut := r.IntN(len(stmts)) + 1
		sub := mustParseStatements(t, kind, stmts[:cut])
		alone := make([]*Policy, len(stmts))
		for j := range stmts {
			alone[j] = mustParseStatements(t, kind, stmts[j:j+1])
		}
		for k := 0; k < requests; k++ {
			req := randRequest(r)
			d := full.Evaluate(req)
			if d2, d3 := full.Evaluate(req), again.Evaluate(req); d2 != d || d3 != d {
				t.Fatalf("not deterministic: %v, %v, %v", d, d2, d3)
			}
			switch d.Effect {
			case Allow:
				allows++
			case Deny:
				denies++
			default:
				nomatch++
			}
			if d.Effect != NoMatch {
				if a := alone[d.Statement].Evaluate(req); a.Effect != d.Effect {
					t.Fatalf("statement %d decided %v but alone gives %v\n%v", d.Statement, d.Effect, a.Effect, stmts)
				}
			}
			anyDeny, anyMatch := false, false
			for j := range stmts {
				a := alone[j].Evaluate(req)
				anyDeny = anyDeny || a.Effect == Deny
				anyMatch = anyMatch || a.Effect != NoMatch
			}
			if anyDeny != (d.Effect == Deny) {
				t.Fatalf("Deny does not dominate: some statement alone denies = %v, policy gives %v\n%v", anyDeny, d, stmts)
			}
			if anyMatch != (d.Effect != NoMatch) {
				t.Fatalf("match mismatch: alone %v, policy %v\n%v", anyMatch, d, stmts)
			}
			s := sub.Evaluate(req)
			switch {
			case s.Effect == Deny && d.Effect != Deny:
				t.Fatalf("prefix denies but full policy gives %v\n%v", d, stmts)
			case s.Effect == Allow && d.Effect == NoMatch:
				t.Fatalf("prefix allows but full policy matches nothing\n%v", stmts)
			}
		}
	}
	// The pools must exercise every outcome, or the properties prove little.
	if allows == 0 || denies == 0 || nomatch == 0 {
		t.Fatalf("degenerate sample: %d allow, %d deny, %d no-match", allows, denies, nomatch)
	}
	t.Logf("%d allow, %d deny, %d no-match", allows, denies, nomatch)
}

package policy_test

import (
	"testing"

	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

func TestUsesKey(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		key  s3action.Key
		want bool
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"blue"}}}]}`, s3action.S3ExistingObjectTag, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"blue"}}}]}`, s3action.S3Prefix, false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:userid}/*"}]}`, s3action.AWSUserID, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}]}`, s3action.AWSUsername, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, s3action.S3ExistingObjectTag, false},
		{`{"Version":"2012-10-17","Statement":[]}`, s3action.S3ExistingObjectTag, false},
	} {
		p, err := policy.Parse([]byte(tc.doc), policy.Session, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		if got := p.UsesKey(tc.key); got != tc.want {
			t.Errorf("UsesKey(%s) = %v, want %v in %s", tc.key.Name(), got, tc.want, tc.doc)
		}
	}
}

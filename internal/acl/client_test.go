package acl_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/acl"
)

// aclServer is a minimal stand-in for the S3 ACL handlers (GET/PUT ?acl on
// any path), built only from this package's public API: it renders the
// stored ACL with RenderXML and reads a new one from the body with ParseXML
// or from the headers with FromHeaders. The real handlers live in s3api.
type aclServer struct {
	owner acl.Owner

	mu      sync.Mutex
	acls    map[string]acl.ACL
	lastErr error
}

func newACLServer(t *testing.T, owner acl.Owner) (*aclServer, *httptest.Server) {
	s := &aclServer{owner: owner, acls: map[string]acl.ACL{}}
	srv := httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *aclServer) set(path string, a acl.ACL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acls[path] = a
}

func (s *aclServer) get(path string) (acl.ACL, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acls[path], s.lastErr
}

func (s *aclServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := r.URL.Query()["acl"]; !ok {
		http.Error(w, "only ?acl", http.StatusNotImplemented)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		a := s.acls[r.URL.Path]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.Write(acl.RenderXML(a))
	case http.MethodPut:
		a, present, err := acl.FromHeaders(r.Header, s.owner)
		if err == nil && !present {
			a, err = acl.ParseXML(r.Body, acl.ExpectOwner(s.owner))
		}
		s.mu.Lock()
		s.lastErr = err
		if err == nil {
			s.acls[r.URL.Path] = a
		}
		s.mu.Unlock()
		if err != nil {
			var e *acl.Error
			errors.As(err, &e)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + e.Code + `</Code><Message>test server refused the ACL</Message></Error>`))
		}
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

var testOwner = acl.Owner{ID: "folder1", DisplayName: "default"}

// sampleACL has one grant of every grantee kind.
var sampleACL = acl.ACL{Owner: testOwner, Grants: []acl.Grant{
	{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: "sa1", DisplayName: "uploader"}, Permission: acl.FullControl},
	{Grantee: acl.User("sa2"), Permission: acl.ReadACP},
	{Grantee: acl.AllUsers(), Permission: acl.Read},
	{Grantee: acl.AuthenticatedUsers(), Permission: acl.Write},
	{Grantee: acl.Grantee{Type: acl.Group, URI: acl.LogDeliveryURI}, Permission: acl.WriteACP},
}}

func sdkClient(t *testing.T, url string) *s3.Client {
	t.Setenv("AWS_CA_BUNDLE", "")
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST0000000000000", "secretsecretsecretsecretsecretsecret0000", ""),
		RetryMaxAttempts: 1,
	})
}

// TestSDKGetBucketAcl serves RenderXML to aws-sdk-go-v2's GetBucketAcl.
func TestSDKGetBucketAcl(t *testing.T) {
	s, srv := newACLServer(t, testOwner)
	s.set("/bkt", sampleACL)
	out, err := sdkClient(t, srv.URL).GetBucketAcl(context.Background(), &s3.GetBucketAclInput{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	if aws.ToString(out.Owner.ID) != "folder1" || aws.ToString(out.Owner.DisplayName) != "default" {
		t.Errorf("owner = %q %q", aws.ToString(out.Owner.ID), aws.ToString(out.Owner.DisplayName))
	}
	// The SDK reads xsi:type only because every Grantee carries its own
	// xmlns:xsi declaration (smithy-go restores prefixes declared on the
	// element itself); a declaration on the root would lose the type.
	type flat struct{ Type, ID, Name, URI, Perm string }
	var got []flat
	for _, g := range out.Grants {
		got = append(got, flat{string(g.Grantee.Type), aws.ToString(g.Grantee.ID), aws.ToString(g.Grantee.DisplayName), aws.ToString(g.Grantee.URI), string(g.Permission)})
	}
	want := []flat{
		{"CanonicalUser", "sa1", "uploader", "", "FULL_CONTROL"},
		{"CanonicalUser", "sa2", "", "", "READ_ACP"},
		{"Group", "", "", acl.AllUsersURI, "READ"},
		{"Group", "", "", acl.AuthenticatedUsersURI, "WRITE"},
		{"Group", "", "", acl.LogDeliveryURI, "WRITE_ACP"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("grants seen by the SDK (-want +got):\n%s", d)
	}
}

// TestSDKPutAcl parses what aws-sdk-go-v2 sends: an XML body with explicit
// types, an SDK Get-then-Put round trip (types lost), a canned ACL header
// and grant headers.
func TestSDKPutAcl(t *testing.T) {
	ctx := context.Background()
	s, srv := newACLServer(t, testOwner)
	c := sdkClient(t, srv.URL)

	// Explicit body, as a program would build it.
	_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{
		Bucket: aws.String("bkt"),
		AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String("folder1")},
			Grants: []types.Grant{
				{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("sa1"), DisplayName: aws.String("uploader")}, Permission: types.PermissionFullControl},
				{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("sa2")}, Permission: types.PermissionReadAcp},
				{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(acl.AllUsersURI)}, Permission: types.PermissionRead},
				{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/AuthenticatedUsers")}, Permission: types.PermissionWrite},
				{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(acl.LogDeliveryURI)}, Permission: types.PermissionWriteAcp},
			},
		},
	})
	if err != nil {
		t.Fatalf("PutBucketAcl: %v", err)
	}
	got, srvErr := s.get("/bkt")
	if srvErr != nil {
		t.Fatalf("server: %v", srvErr)
	}
	if d := cmp.Diff(sampleACL, got); d != "" {
		t.Errorf("ACL from the SDK's body (-want +got):\n%s", d)
	}

	// Get, then put back unchanged.
	out, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{
		Bucket:              aws.String("copy"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: out.Owner, Grants: out.Grants},
	}); err != nil {
		t.Fatalf("PutBucketAcl of the SDK's own GetBucketAcl output: %v", err)
	}
	got, _ = s.get("/copy")
	if d := cmp.Diff(sampleACL, got); d != "" {
		t.Errorf("Get-then-Put (-want +got):\n%s", d)
	}

	// Canned ACL header.
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("bkt"), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("PutObjectAcl canned: %v", err)
	}
	got, _ = s.get("/bkt/k")
	want := acl.ACL{Owner: testOwner, Grants: []acl.Grant{{Grantee: acl.AllUsers(), Permission: acl.Read}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("canned header (-want +got):\n%s", d)
	}

	// Grant headers.
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{
		Bucket: aws.String("bkt"), Key: aws.String("k2"),
		GrantRead:        aws.String(`id="sa1", uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`),
		GrantFullControl: aws.String(`id=sa2`),
	}); err != nil {
		t.Fatalf("PutObjectAcl grants: %v", err)
	}
	got, _ = s.get("/bkt/k2")
	want = acl.ACL{Owner: testOwner, Grants: []acl.Grant{
		{Grantee: acl.User("sa1"), Permission: acl.Read},
		{Grantee: acl.AuthenticatedUsers(), Permission: acl.Read},
		{Grantee: acl.User("sa2"), Permission: acl.FullControl},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("grant headers (-want +got):\n%s", d)
	}

	// A refusal reaches the SDK as the S3 error code.
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String("bkt"), Key: aws.String("k3"), GrantRead: aws.String(`emailAddress="a@example.com"`)})
	if err == nil || !strings.Contains(err.Error(), "NotImplemented") {
		t.Errorf("e-mail grant: %v", err)
	}
}

// TestBoto3 has boto3 (botocore's parser and serializer) read a rendered ACL
// and send it back. Skipped when python3 with boto3 is not installed.
func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not installed for python3")
	}
	s, srv := newACLServer(t, testOwner)
	s.set("/bkt", sampleACL)

	const script = `
import json, os, sys, boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
    aws_access_key_id="AKIDTEST0000000000000", aws_secret_access_key="secretsecretsecretsecretsecretsecret0000",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
r = c.get_bucket_acl(Bucket="bkt")
r.pop("ResponseMetadata", None)
c.put_bucket_acl(Bucket="copy", AccessControlPolicy=r)
c.put_object_acl(Bucket="bkt", Key="k", ACL="authenticated-read")
json.dump(r, sys.stdout)
`
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "ENDPOINT="+srv.URL, "AWS_CA_BUNDLE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("boto3 script: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}

	var got struct {
		Owner  map[string]string
		Grants []struct {
			Grantee    map[string]string
			Permission string
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	if d := cmp.Diff(map[string]string{"ID": "folder1", "DisplayName": "default"}, got.Owner); d != "" {
		t.Errorf("owner seen by boto3 (-want +got):\n%s", d)
	}
	type flat struct{ Type, ID, Name, URI, Perm string }
	var flatGot []flat
	for _, g := range got.Grants {
		flatGot = append(flatGot, flat{g.Grantee["Type"], g.Grantee["ID"], g.Grantee["DisplayName"], g.Grantee["URI"], g.Permission})
	}
	want := []flat{
		{"CanonicalUser", "sa1", "uploader", "", "FULL_CONTROL"},
		{"CanonicalUser", "sa2", "", "", "READ_ACP"},
		{"Group", "", "", acl.AllUsersURI, "READ"},
		{"Group", "", "", acl.AuthenticatedUsersURI, "WRITE"},
		{"Group", "", "", acl.LogDeliveryURI, "WRITE_ACP"},
	}
	if d := cmp.Diff(want, flatGot); d != "" {
		t.Errorf("grants seen by boto3 (-want +got):\n%s", d)
	}
	copied, srvErr := s.get("/copy")
	if srvErr != nil {
		t.Fatalf("server: %v", srvErr)
	}
	if d := cmp.Diff(sampleACL, copied); d != "" {
		t.Errorf("boto3 get-then-put (-want +got):\n%s", d)
	}
	obj, _ := s.get("/bkt/k")
	if d := cmp.Diff(acl.ACL{Owner: testOwner, Grants: []acl.Grant{{Grantee: acl.AuthenticatedUsers(), Permission: acl.Read}}}, obj); d != "" {
		t.Errorf("boto3 canned ACL (-want +got):\n%s", d)
	}
}

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// temporaryCreds asks the node's STS for a temporary key with the AWS CLI (AssumeRole signed
// with the static key).
func temporaryCreds(t *testing.T, n *node, static creds, awsEnv func(creds) []string) creds {
	t.Helper()
	out, err := runErr(awsEnv(static), "", "aws", "--endpoint-url", n.endpoint(), "--output", "json", "sts", "assume-role",
		"--role-arn", "arn:aws:iam::000000000000:role/e2e-role", "--role-session-name", "e2e-session")
	if err != nil {
		t.Fatalf("aws sts assume-role: %v\n%s", err, out)
	}
	var res struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Credentials.SessionToken == "" {
		t.Fatalf("assume-role output: %v\n%s", err, out)
	}
	return creds{ID: res.Credentials.AccessKeyId, Secret: res.Credentials.SecretAccessKey, Token: res.Credentials.SessionToken}
}

// awsCLIEnv returns the environment for the AWS CLI with the given key: path-style, SigV4,
// no configuration of the developer's.
func awsCLIEnv(t *testing.T) func(creds) []string {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n  signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c creds) []string {
		env := cleanEnv(map[string]string{"AWS_ACCESS_KEY_ID": c.ID, "AWS_SECRET_ACCESS_KEY": c.Secret, "HOME": dir})
		for i, kv := range env {
			if strings.HasPrefix(kv, "AWS_CONFIG_FILE=") {
				env[i] = "AWS_CONFIG_FILE=" + cfg
			}
		}
		if c.Token != "" {
			env = append(env, "AWS_SESSION_TOKEN="+c.Token)
		}
		return env
	}
}

func randomFile(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d uploaded", path, len(got), len(want))
	}
}

// TestAWSCLI drives the node with the AWS CLI: s3 cp/sync/ls/rm/presign and s3api calls.
func TestAWSCLI(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed")
	}
	n := startNode(t, filepath.Join(t.TempDir(), "data"))
	static := n.account("cli-user", "storage.admin")
	awsEnv := awsCLIEnv(t)
	key := temporaryCreds(t, n, static, awsEnv)
	env := awsEnv(key)
	work := t.TempDir()
	aws := func(args ...string) string {
		t.Helper()
		return run(t, env, work, "aws", append([]string{"--endpoint-url", n.endpoint(), "--output", "json"}, args...)...)
	}

	aws("s3", "mb", "s3://cli-bucket")
	files := map[string][]byte{
		"a.txt":         []byte("hello"),
		"dir/b.bin":     randomFile(t, filepath.Join(work, "src", "dir", "b.bin"), 100<<10),
		"big.bin":       randomFile(t, filepath.Join(work, "src", "big.bin"), 9<<20), // multipart (threshold 8 MiB)
		"sp ace+x.txt":  []byte("odd name"),
		"deep/x/y/z.md": []byte("# deep"),
	}
	for name, b := range files {
		p := filepath.Join(work, "src", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	aws("s3", "cp", filepath.Join("src", "a.txt"), "s3://cli-bucket/a.txt")
	aws("s3", "sync", "src", "s3://cli-bucket/sync/")
	ls := aws("s3", "ls", "s3://cli-bucket/sync/", "--recursive")
	for name := range files {
		if !strings.Contains(ls, "sync/"+name) {
			t.Errorf("s3 ls lacks %s:\n%s", name, ls)
		}
	}
	aws("s3", "sync", "s3://cli-bucket/sync/", "dst")
	for name, b := range files {
		sameFile(t, filepath.Join(work, "dst", filepath.FromSlash(name)), b)
	}
	aws("s3", "cp", "s3://cli-bucket/sync/big.bin", "big.out")
	sameFile(t, filepath.Join(work, "big.out"), files["big.bin"])

	// s3api calls.
	aws("s3api", "put-object", "--bucket", "cli-bucket", "--key", "meta.txt", "--body", filepath.Join("src", "a.txt"),
		"--metadata", "color=blue", "--content-type", "text/plain", "--cache-control", "max-age=9")
	var head struct {
		ContentLength int64
		ContentType   string
		CacheControl  string
		ETag          string
		Metadata      map[string]string
	}
	if err := json.Unmarshal([]byte(aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "meta.txt")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ContentLength != 5 || head.ContentType != "text/plain" || head.CacheControl != "max-age=9" || head.Metadata["color"] != "blue" {
		t.Errorf("head-object = %+v", head)
	}
	aws("s3api", "get-object", "--bucket", "cli-bucket", "--key", "meta.txt", "--range", "bytes=1-3", "range.out")
	sameFile(t, filepath.Join(work, "range.out"), []byte("ell"))
	aws("s3api", "copy-object", "--bucket", "cli-bucket", "--key", "meta2.txt", "--copy-source", "cli-bucket/meta.txt")
	var list struct {
		Contents []struct{ Key string }
	}
	if err := json.Unmarshal([]byte(aws("s3api", "list-objects-v2", "--bucket", "cli-bucket", "--prefix", "meta")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 2 {
		t.Errorf("list-objects-v2 = %+v", list)
	}
	var del struct {
		Deleted []struct{ Key string }
		Errors  []any
	}
	if err := json.Unmarshal([]byte(aws("s3api", "delete-objects", "--bucket", "cli-bucket", "--delete", `{"Objects":[{"Key":"meta.txt"},{"Key":"meta2.txt"}]}`)), &del); err != nil {
		t.Fatal(err)
	}
	if len(del.Deleted) != 2 || len(del.Errors) != 0 {
		t.Errorf("delete-objects = %+v", del)
	}
	aws("s3api", "get-bucket-location", "--bucket", "cli-bucket")
	aws("s3api", "put-object-acl", "--bucket", "cli-bucket", "--key", "a.txt", "--acl", "public-read")
	if !strings.Contains(aws("s3api", "get-object-acl", "--bucket", "cli-bucket", "--key", "a.txt"), "AllUsers") {
		t.Error("get-object-acl lacks the AllUsers grant")
	}
	if got := httpGet(t, n.endpoint()+"/cli-bucket/a.txt"); string(got) != "hello" {
		t.Errorf("anonymous read of a public-read object = %q", got)
	}
	up := aws("s3api", "create-multipart-upload", "--bucket", "cli-bucket", "--key", "aborted")
	var cmu struct{ UploadId string }
	json.Unmarshal([]byte(up), &cmu)
	if !strings.Contains(aws("s3api", "list-multipart-uploads", "--bucket", "cli-bucket"), cmu.UploadId) {
		t.Error("list-multipart-uploads lacks the upload")
	}
	aws("s3api", "abort-multipart-upload", "--bucket", "cli-bucket", "--key", "aborted", "--upload-id", cmu.UploadId)

	// A presigned URL (SigV4, with the session token when temporary) works without credentials.
	url := strings.TrimSpace(run(t, env, work, "aws", "--endpoint-url", n.endpoint(), "s3", "presign", "s3://cli-bucket/sync/dir/b.bin", "--expires-in", "300"))
	if !strings.Contains(url, "X-Amz-Signature=") {
		t.Fatalf("presign did not produce a SigV4 URL: %s", url)
	}
	if got := httpGet(t, url); !bytes.Equal(got, files["dir/b.bin"]) {
		t.Error("presigned GET returned other bytes")
	}

	aws("s3", "rm", "s3://cli-bucket/sync/", "--recursive")
	// The CLI exits with 1 when a listing is empty.
	if ls, _ := runErr(env, work, "aws", "--endpoint-url", n.endpoint(), "s3", "ls", "s3://cli-bucket/sync/", "--recursive"); strings.TrimSpace(ls) != "" {
		t.Errorf("after rm --recursive: %s", ls)
	}
	aws("s3", "rb", "s3://cli-bucket", "--force")
	if out, err := runErr(env, work, "aws", "--endpoint-url", n.endpoint(), "s3", "ls", "s3://cli-bucket"); err == nil || !strings.Contains(out, "NoSuchBucket") {
		t.Errorf("bucket still listed after rb: %v %s", err, out)
	}
}

const boto3Script = `
import os, sys, io, hashlib, urllib.request
import boto3
from botocore.config import Config
from boto3.s3.transfer import TransferConfig

ep = os.environ["HG_ENDPOINT"]
s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1",
                  aws_access_key_id=os.environ["HG_KEY"], aws_secret_access_key=os.environ["HG_SECRET"],
                  aws_session_token=os.environ.get("HG_TOKEN") or None,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
b = "boto-bucket"
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key="hello.txt", Body=b"hello boto", Metadata={"who": "boto3"}, ContentType="text/plain")
h = s3.head_object(Bucket=b, Key="hello.txt")
assert h["Metadata"] == {"who": "boto3"}, h["Metadata"]
assert h["ContentType"] == "text/plain", h["ContentType"]
assert s3.get_object(Bucket=b, Key="hello.txt", Range="bytes=6-")["Body"].read() == b"boto"
data = os.urandom(11 * 1024 * 1024)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(data), b, "big.bin", Config=cfg)
out = io.BytesIO()
s3.download_fileobj(b, "big.bin", out, Config=cfg)
assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest(), "multipart round trip differs"
assert s3.head_object(Bucket=b, Key="big.bin")["ETag"].endswith('-3"')
for i in range(7):
    s3.put_object(Bucket=b, Key="page/%02d" % i, Body=b"x")
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="page/", PaginationConfig={"PageSize": 3}):
    keys += [o["Key"] for o in page.get("Contents", [])]
assert keys == ["page/%02d" % i for i in range(7)], keys
# botocore asks for encoding-type=url by itself and decodes; asked for explicitly, it does not
s3.put_object(Bucket=b, Key="we ird+key%.txt", Body=b"w")
lst = s3.list_objects(Bucket=b, Prefix="we")
assert [o["Key"] for o in lst["Contents"]] == ["we ird+key%.txt"], lst["Contents"]
lst = s3.list_objects_v2(Bucket=b, Prefix="we", EncodingType="url")
assert [o["Key"] for o in lst["Contents"]] == ["we%20ird%2Bkey%25.txt"], lst["Contents"]
s3.copy_object(Bucket=b, Key="copy.txt", CopySource={"Bucket": b, "Key": "hello.txt"})
assert s3.get_object(Bucket=b, Key="copy.txt")["Body"].read() == b"hello boto"
url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "hello.txt"}, ExpiresIn=300)
assert urllib.request.urlopen(url).read() == b"hello boto"
try:
    s3.get_object(Bucket=b, Key="missing")
    sys.exit("missing key did not fail")
except s3.exceptions.NoSuchKey:
    pass
objs = [{"Key": k} for k in ["hello.txt", "big.bin", "copy.txt", "we ird+key%.txt"] + ["page/%02d" % i for i in range(7)]]
r = s3.delete_objects(Bucket=b, Delete={"Objects": objs, "Quiet": True})
assert not r.get("Errors"), r.get("Errors")
s3.delete_bucket(Bucket=b)
print("BOTO3 OK")
`

// TestBoto3 runs a boto3 session (temporary key when STS is served) against the binary.
func TestBoto3(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	if out, err := runErr(cleanEnv(nil), "", "python3", "-c", "import boto3"); err != nil {
		t.Skipf("boto3 is not installed: %s", out)
	}
	n := startNode(t, filepath.Join(t.TempDir(), "data"))
	static := n.account("boto-user", "storage.editor")
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is needed to assume a role for the boto3 session")
	}
	key := temporaryCreds(t, n, static, awsCLIEnv(t))
	if key.Token == "" {
		t.Fatal("boto3 must run with a temporary key")
	}
	script := filepath.Join(t.TempDir(), "session.py")
	if err := os.WriteFile(script, []byte(boto3Script), 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, cleanEnv(map[string]string{"HG_ENDPOINT": n.endpoint(), "HG_KEY": key.ID, "HG_SECRET": key.Secret, "HG_TOKEN": key.Token}), "", "python3", script)
	if !strings.Contains(out, "BOTO3 OK") {
		t.Fatalf("boto3 session: %s", out)
	}
}

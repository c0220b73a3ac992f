package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// toolFiles writes the local tree both tools upload: small files, a nested one, a name with
// spaces, and one above the multipart threshold the tests set (5 MiB parts).
func toolFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"a.txt":          []byte("alpha"),
		"nested/b.txt":   []byte("bravo"),
		"with space.txt": []byte("charlie"),
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files["big.bin"] = randomFile(t, filepath.Join(dir, "big.bin"), 12<<20+123)
	return files
}

// toolPolicy is the session policy of a tool's temporary key: everything on its bucket except
// writing under forbidden/, which proves that the tool really signs with the temporary key.
func toolPolicy(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]},
		{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},
		{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::` + bucket + `/forbidden/*"}]}`
}

// listKeys lists a bucket with aws-sdk-go-v2 (the static key), sorted.
func listKeys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

func wantKeys(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: keys %q, want %q", what, got, want)
	}
}

// partsCount is the number of parts of a stored object (0: a single PUT).
func partsCount(t *testing.T, c *s3.Client, bucket, key string) int32 {
	t.Helper()
	out, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatalf("HEAD %s/%s: %v", bucket, key, err)
	}
	return aws.ToInt32(out.PartsCount)
}

// TestRclone runs an rclone session with a temporary key: mkdir, copy (with a multipart
// upload), sync with a deletion, list, check, download, delete and purge.
func TestRclone(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed (apt-get install rclone)")
	}
	n := startNode(t, filepath.Join(t.TempDir(), "data"))
	static := n.account("rclone-user", "storage.admin")
	tmp := assumeRole(t, n, static, "rclone", toolPolicy("rclone-bucket"))
	admin := n.s3(static)
	work := t.TempDir()
	files := toolFiles(t, filepath.Join(work, "src"))
	conf := filepath.Join(work, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The remote lives entirely in the environment; the config file is empty.
	env := cleanEnv(map[string]string{
		"HOME": work, "RCLONE_CONFIG": conf,
		"RCLONE_CONFIG_HG_TYPE": "s3", "RCLONE_CONFIG_HG_PROVIDER": "Other", "RCLONE_CONFIG_HG_ENV_AUTH": "false",
		"RCLONE_CONFIG_HG_ACCESS_KEY_ID": tmp.ID, "RCLONE_CONFIG_HG_SECRET_ACCESS_KEY": tmp.Secret,
		"RCLONE_CONFIG_HG_SESSION_TOKEN": tmp.Token, "RCLONE_CONFIG_HG_ENDPOINT": n.endpoint(),
		"RCLONE_CONFIG_HG_REGION": "us-east-1", "RCLONE_CONFIG_HG_FORCE_PATH_STYLE": "true",
	})
	rclone := func(args ...string) string {
		t.Helper()
		base := []string{"--config", conf, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", "--retries", "1", "--low-level-retries", "1"}
		return run(t, env, work, "rclone", append(base, args...)...)
	}

	rclone("mkdir", "hg:rclone-bucket")
	rclone("copy", "src", "hg:rclone-bucket/copy")
	wantKeys(t, "after copy", listKeys(t, admin, "rclone-bucket", "copy/"), "copy/a.txt", "copy/nested/b.txt", "copy/with space.txt", "copy/big.bin")
	if pc := partsCount(t, admin, "rclone-bucket", "copy/big.bin"); pc < 2 {
		t.Errorf("big.bin was not uploaded in parts (parts count %d)", pc)
	}
	rclone("check", "src", "hg:rclone-bucket/copy")
	if out, err := runErr(env, work, "rclone", "--config", conf, "--retries", "1", "--low-level-retries", "1", "copyto", "src/a.txt", "hg:rclone-bucket/forbidden/a.txt"); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Errorf("rclone wrote where the session policy denies it (%v):\n%s", err, out)
	}

	rclone("sync", "src", "hg:rclone-bucket/sync")
	if err := os.Remove(filepath.Join(work, "src", "a.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "src", "new.txt"), []byte("delta"), 0o644); err != nil {
		t.Fatal(err)
	}
	rclone("sync", "src", "hg:rclone-bucket/sync")
	wantKeys(t, "after the second sync", listKeys(t, admin, "rclone-bucket", "sync/"), "sync/new.txt", "sync/nested/b.txt", "sync/with space.txt", "sync/big.bin")

	var listed []struct {
		Path  string
		Size  int64
		IsDir bool
	}
	if err := json.Unmarshal([]byte(rclone("lsjson", "-R", "--files-only", "hg:rclone-bucket/copy")), &listed); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, e := range listed {
		sizes[e.Path] = e.Size
	}
	for name, b := range files {
		if sizes[name] != int64(len(b)) {
			t.Errorf("lsjson %s: size %d, want %d", name, sizes[name], len(b))
		}
	}

	rclone("copy", "hg:rclone-bucket/copy", "down")
	for name, b := range files {
		sameFile(t, filepath.Join(work, "down", filepath.FromSlash(name)), b)
	}
	rclone("copyto", "hg:rclone-bucket/copy/big.bin", "hg:rclone-bucket/server-side/big.bin") // server-side copy
	rclone("copyto", "hg:rclone-bucket/server-side/big.bin", "big.copy")
	sameFile(t, filepath.Join(work, "big.copy"), files["big.bin"])

	rclone("deletefile", "hg:rclone-bucket/copy/a.txt")
	rclone("delete", "hg:rclone-bucket/sync")
	wantKeys(t, "after deletes", listKeys(t, admin, "rclone-bucket", ""), "copy/big.bin", "copy/nested/b.txt", "copy/with space.txt", "server-side/big.bin")
	rclone("purge", "hg:rclone-bucket")
	if _, err := admin.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("rclone-bucket")}); err == nil {
		t.Error("the bucket survived rclone purge")
	}
}

// TestS3cmd runs an s3cmd session with a temporary key: mb, put (multipart), sync with
// --delete-removed, ls/la, get, cp, del, rb.
func TestS3cmd(t *testing.T) {
	requireE2E(t)
	if _, err := exec.LookPath("s3cmd"); err != nil {
		t.Skip("s3cmd is not installed (apt-get install s3cmd)")
	}
	n := startNode(t, filepath.Join(t.TempDir(), "data"))
	static := n.account("s3cmd-user", "storage.admin")
	tmp := assumeRole(t, n, static, "s3cmd", toolPolicy("s3cmd-bucket"))
	admin := n.s3(static)
	work := t.TempDir()
	files := toolFiles(t, filepath.Join(work, "src"))
	cfg := filepath.Join(work, "s3cfg")
	// host_bucket without %(bucket)s selects path-style addressing.
	conf := strings.Join([]string{"[default]",
		"access_key = " + tmp.ID, "secret_key = " + tmp.Secret, "access_token = " + tmp.Token,
		"host_base = " + n.addr, "host_bucket = " + n.addr, "use_https = False", "signature_v2 = False",
		"bucket_location = us-east-1", "check_ssl_certificate = False", "proxy_host = ", "proxy_port = 0",
		"multipart_chunk_size_mb = 5", "progress_meter = False", ""}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv(map[string]string{"HOME": work})
	s3cmd := func(args ...string) string {
		t.Helper()
		return run(t, env, work, "s3cmd", append([]string{"-c", cfg, "--multipart-chunk-size-mb=5"}, args...)...)
	}

	s3cmd("mb", "s3://s3cmd-bucket")
	s3cmd("put", filepath.Join("src", "big.bin"), "s3://s3cmd-bucket/put/big.bin")
	if pc := partsCount(t, admin, "s3cmd-bucket", "put/big.bin"); pc < 2 {
		t.Errorf("big.bin was not uploaded in parts (parts count %d)", pc)
	}
	s3cmd("put", filepath.Join("src", "a.txt"), "s3://s3cmd-bucket/put/a.txt")
	if out, err := runErr(env, work, "s3cmd", "-c", cfg, "put", filepath.Join("src", "a.txt"), "s3://s3cmd-bucket/forbidden/a.txt"); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Errorf("s3cmd wrote where the session policy denies it (%v):\n%s", err, out)
	}
	s3cmd("sync", "src/", "s3://s3cmd-bucket/sync/")
	wantKeys(t, "after sync", listKeys(t, admin, "s3cmd-bucket", "sync/"), "sync/a.txt", "sync/nested/b.txt", "sync/with space.txt", "sync/big.bin")
	if err := os.Remove(filepath.Join(work, "src", "a.txt")); err != nil {
		t.Fatal(err)
	}
	s3cmd("sync", "--delete-removed", "src/", "s3://s3cmd-bucket/sync/")
	wantKeys(t, "after sync --delete-removed", listKeys(t, admin, "s3cmd-bucket", "sync/"), "sync/nested/b.txt", "sync/with space.txt", "sync/big.bin")

	ls := s3cmd("ls", "--recursive", "s3://s3cmd-bucket")
	for _, k := range []string{"put/big.bin", "put/a.txt", "sync/nested/b.txt", "sync/with space.txt"} {
		if !strings.Contains(ls, "s3://s3cmd-bucket/"+k) {
			t.Errorf("s3cmd ls lacks %s:\n%s", k, ls)
		}
	}
	if la := s3cmd("la"); !strings.Contains(la, "s3://s3cmd-bucket/") {
		t.Errorf("s3cmd la:\n%s", la)
	}
	s3cmd("get", "s3://s3cmd-bucket/put/big.bin", "big.out")
	sameFile(t, filepath.Join(work, "big.out"), files["big.bin"])
	s3cmd("sync", "s3://s3cmd-bucket/sync/", "down/")
	for _, name := range []string{"nested/b.txt", "with space.txt", "big.bin"} {
		sameFile(t, filepath.Join(work, "down", filepath.FromSlash(name)), files[name])
	}
	s3cmd("cp", "s3://s3cmd-bucket/put/a.txt", "s3://s3cmd-bucket/copied/a.txt")
	s3cmd("get", "s3://s3cmd-bucket/copied/a.txt", "a.out")
	sameFile(t, filepath.Join(work, "a.out"), files["a.txt"])
	s3cmd("info", "s3://s3cmd-bucket/put/a.txt")

	s3cmd("del", "s3://s3cmd-bucket/put/a.txt")
	s3cmd("del", "--recursive", "--force", "s3://s3cmd-bucket/sync/")
	wantKeys(t, "after deletes", listKeys(t, admin, "s3cmd-bucket", ""), "copied/a.txt", "put/big.bin")
	s3cmd("del", "--recursive", "--force", "s3://s3cmd-bucket")
	s3cmd("rb", "s3://s3cmd-bucket")
	if _, err := admin.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("s3cmd-bucket")}); err == nil {
		t.Error("the bucket survived s3cmd rb")
	}
}

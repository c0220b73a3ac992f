package sigv4

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS CLI and boto3, run as subprocesses against memS3 over HTTP and
// HTTPS (they switch to aws-chunked uploads with trailing checksums, and to
// HTTP chunked transfer, over HTTPS). Skipped when not installed.

// clientEnv returns the environment for a subprocess client: the test key,
// no shared configuration, and for HTTPS the test server's certificate as
// AWS_CA_BUNDLE.
func clientEnv(t *testing.T, srvURL string, cert []byte, secret string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+testAK,
		"AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/nonexistent/aws-config",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
		"HG_ENDPOINT="+srvURL,
	)
	if cert != nil {
		f := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "AWS_CA_BUNDLE="+f)
	}
	return env
}

func runClient(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %v: timed out:\n%s", name, args, out.String())
		return "", nil
	}
}

// cliDriverScript runs several AWS CLI commands in one Python process with
// the CLI's own entry point (awscli.clidriver, what the aws command runs):
// starting the CLI costs seconds on a busy machine, and a test runs ten
// commands. Steps come as JSON: [{"args": [...], "secret": "", "fail": false}].
const cliDriverScript = `
import json, os, sys
from awscli.clidriver import create_clidriver
steps = json.loads(sys.argv[1])
for i, st in enumerate(steps):
    saved = os.environ["AWS_SECRET_ACCESS_KEY"]
    if st.get("secret"):
        os.environ["AWS_SECRET_ACCESS_KEY"] = st["secret"]
    try:
        rc = create_clidriver().main(["--endpoint-url", os.environ["HG_ENDPOINT"]] + st["args"])
    finally:
        os.environ["AWS_SECRET_ACCESS_KEY"] = saved
    sys.stdout.flush(); sys.stderr.flush()
    if (rc != 0) != bool(st.get("fail")):
        print("STEP FAILED: %s (rc=%d)" % (st["args"], rc))
        sys.exit(1)
    print("STEP OK: %s" % st["args"][:2], flush=True)
`

type cliStep struct {
	Args   []string `json:"args"`
	Secret string   `json:"secret,omitempty"`
	Fail   bool     `json:"fail,omitempty"`
}

// runCLI runs the steps with the in-process driver when the aws command is
// the Python AWS CLI, else one aws process per step.
func runCLI(t *testing.T, env []string, endpoint string, steps []cliStep) (string, error) {
	t.Helper()
	awsBin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH; skipping the AWS CLI client test")
	}
	if py, err := exec.LookPath("python3"); err == nil && exec.Command(py, "-c", "import awscli.clidriver").Run() == nil {
		js, _ := json.Marshal(steps)
		return runClient(t, env, py, "-c", cliDriverScript, string(js))
	}
	var all strings.Builder
	for _, st := range steps {
		stepEnv := env
		if st.Secret != "" {
			stepEnv = append(append([]string(nil), env...), "AWS_SECRET_ACCESS_KEY="+st.Secret)
		}
		out, err := runClient(t, stepEnv, awsBin, append([]string{"--endpoint-url", endpoint}, st.Args...)...)
		all.WriteString(out)
		if (err != nil) != st.Fail {
			return all.String(), fmt.Errorf("aws %v: %v", st.Args, err)
		}
	}
	return all.String(), nil
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH; skipping the AWS CLI client test")
	}
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			srv, ts := startMemS3(t, scheme == "https")
			var cert []byte
			if scheme == "https" {
				cert = ts.Certificate().Raw
			}
			dir := t.TempDir()
			small := randomBytes(t, 300_000+123)
			big := randomBytes(t, 2<<20) // several aws-chunked chunks
			write := func(name string, b []byte) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			smallF, bigF := write("small.bin", small), write("big.bin", big)
			steps := []cliStep{
				{Args: []string{"s3", "mb", "s3://cli"}},
				{Args: []string{"s3", "cp", smallF, "s3://cli/dir/small file ü.bin"}},
				{Args: []string{"s3", "cp", bigF, "s3://cli/big.bin"}},
				{Args: []string{"s3api", "put-object", "--bucket", "cli", "--key", "api.bin", "--body", smallF}},
				{Args: []string{"s3", "cp", "s3://cli/dir/small file ü.bin", filepath.Join(dir, "back.bin")}},
				{Args: []string{"s3", "cp", "s3://cli/big.bin", filepath.Join(dir, "bigback.bin")}},
				{Args: []string{"s3", "ls", "--recursive", "s3://cli/"}},
				{Args: []string{"s3", "cp", smallF, "s3://cli/nope.bin"}, Secret: strings.ToUpper(testSecret), Fail: true},
			}
			out, err := runCLI(t, clientEnv(t, ts.URL, cert, testSecret), ts.URL, steps)
			if err != nil {
				t.Fatalf("aws CLI: %v\n%s\nlast server error: %v", err, out, srv.lastErr)
			}
			for name, want := range map[string][]byte{"back.bin": small, "bigback.bin": big} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: %d bytes, %v", name, len(got), err)
				}
			}
			for key, want := range map[string][]byte{"dir/small file ü.bin": small, "big.bin": big, "api.bin": small} {
				if o, ok := srv.object("cli", key); !ok || !bytes.Equal(o.data, want) {
					t.Fatalf("stored %q: %v, %d bytes", key, ok, len(o.data))
				}
			}
			if !strings.Contains(out, "dir/small file ü.bin") || !strings.Contains(out, "big.bin") {
				t.Fatalf("aws s3 ls did not list the objects:\n%s", out)
			}
			if !strings.Contains(out, "SignatureDoesNotMatch") {
				t.Fatalf("wrong secret: no SignatureDoesNotMatch in\n%s", out)
			}
			if _, ok := srv.object("cli", "nope.bin"); ok {
				t.Fatal("wrong secret stored an object")
			}
			if scheme == "https" && (srv.modes[PayloadStreamingUnsignedTrailer] == 0 || srv.chunkedT == 0) {
				t.Errorf("expected aws-chunked uploads with HTTP chunked transfer over HTTPS: %v, %d", srv.modes, srv.chunkedT)
			}
			t.Logf("payload modes seen: %v; HTTP chunked requests: %d", srv.modes, srv.chunkedT)
		})
	}
}

const boto3Script = `
import io, json, os, sys
import boto3, botocore
from botocore.exceptions import ClientError

url = os.environ["HG_ENDPOINT"]
data = open(sys.argv[1], "rb").read()
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")

if sys.argv[2] == "wrong":
    try:
        s3.put_object(Bucket="py", Key="nope", Body=data)
    except ClientError as e:
        print(e.response["Error"]["Code"])
        sys.exit(0)
    print("no error")
    sys.exit(1)

class Stream(io.RawIOBase):
    """A non-seekable stream of unknown length."""
    def __init__(self, b):
        self.b = io.BytesIO(b)
    def readable(self):
        return True
    def readinto(self, buf):
        chunk = self.b.read(min(len(buf), 100000))
        buf[:len(chunk)] = chunk
        return len(chunk)

s3.create_bucket(Bucket="py")
keys = ["put/ü b//x+y=z", "fileobj.bin", "stream.bin", "crc64.bin"]
s3.put_object(Bucket="py", Key=keys[0], Body=data)
s3.upload_fileobj(io.BytesIO(data), "py", keys[1])
s3.upload_fileobj(Stream(data), "py", keys[2])
try:
    s3.put_object(Bucket="py", Key=keys[3], Body=data, ChecksumAlgorithm="CRC64NVME")
except botocore.exceptions.MissingDependencyException:
    # CRC64NVME needs botocore[crt]; SHA256 needs nothing.
    s3.put_object(Bucket="py", Key=keys[3], Body=data, ChecksumAlgorithm="SHA256")
for k in keys:
    got = s3.get_object(Bucket="py", Key=k, ChecksumMode="ENABLED")["Body"].read()
    assert got == data, (k, len(got))
listed = [o["Key"] for o in s3.list_objects_v2(Bucket="py")["Contents"]]
assert sorted(listed) == sorted(keys), listed
print(json.dumps({"boto3": boto3.__version__, "botocore": botocore.__version__}))
`

func TestBoto3(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH; skipping the boto3 client test")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("boto3 is not installed (%v): %s", err, out)
	}
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			srv, ts := startMemS3(t, scheme == "https")
			var cert []byte
			if scheme == "https" {
				cert = ts.Certificate().Raw
			}
			data := randomBytes(t, 700_000)
			f := filepath.Join(t.TempDir(), "data.bin")
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runClient(t, clientEnv(t, ts.URL, cert, testSecret), py, "-c", boto3Script, f, "ok")
			if err != nil {
				t.Fatalf("boto3: %v\n%s\nlast server error: %v", err, out, srv.lastErr)
			}
			t.Logf("%s", strings.TrimSpace(out))
			for _, key := range []string{"put/ü b//x+y=z", "fileobj.bin", "stream.bin", "crc64.bin"} {
				if o, ok := srv.object("py", key); !ok || !bytes.Equal(o.data, data) {
					t.Fatalf("stored %q: %v, %d bytes", key, ok, len(o.data))
				}
			}
			if o, _ := srv.object("py", "crc64.bin"); len(o.checksums) != 1 ||
				o.checksums[0].Algorithm != ChecksumCRC64NVME && o.checksums[0].Algorithm != ChecksumSHA256 {
				t.Errorf("crc64.bin checksums: %v", o.checksums)
			}
			stores, _ := srv.counts()
			out, err = runClient(t, clientEnv(t, ts.URL, cert, strings.ToUpper(testSecret)), py, "-c", boto3Script, f, "wrong")
			if err != nil || !strings.Contains(out, "SignatureDoesNotMatch") {
				t.Fatalf("wrong secret: %v\n%s", err, out)
			}
			if after, _ := srv.counts(); after != stores {
				t.Fatal("wrong secret stored something")
			}
			t.Logf("payload modes seen: %v; HTTP chunked requests: %d", srv.modes, srv.chunkedT)
		})
	}
}

package sts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
)

// The Yandex Cloud tutorial's STS half with the real AWS CLI: assume-role with a policy file,
// export the three variables, get-caller-identity shows the assumed-role ARN. (The S3 half
// follows with the S3 API.)
func TestAWSCLITutorial(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed; install awscli to run the tutorial test")
	}
	s := newStack(t, stackOptions{})
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.json")
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::tutorial-bucket", "arn:aws:s3:::tutorial-bucket/*"]}
  ]
}`
	if err := os.WriteFile(policyFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runAWS(t, cliEnv(s.key.Key.ID, s.key.Secret, ""), "sts", "assume-role", "--endpoint-url", s.srv.URL,
		"--role-arn", "any description of twenty characters or more", "--role-session-name", "tutorial",
		"--duration-seconds", "3600", "--policy", "file://"+policyFile, "--output", "json")
	var ar struct {
		Credentials      struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser  struct{ Arn, AssumedRoleId string }
		PackedPolicySize int
	}
	if err := json.Unmarshal([]byte(out), &ar); err != nil {
		t.Fatalf("assume-role output: %v\n%s", err, out)
	}
	c := ar.Credentials
	if c.AccessKeyId != s.key.Key.ID || len(c.SecretAccessKey) != 40 || c.SessionToken == "" ||
		ar.AssumedRoleUser.Arn != "any description of twenty characters or more/tutorial" || ar.PackedPolicySize == 0 {
		t.Fatalf("assume-role: %+v", ar)
	}
	if exp, err := time.Parse(time.RFC3339, c.Expiration); err != nil || time.Until(exp) < 59*time.Minute || time.Until(exp) > time.Hour+time.Minute {
		t.Errorf("Expiration %q", c.Expiration)
	}
	out = runAWS(t, cliEnv(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), "sts", "get-caller-identity",
		"--endpoint-url", s.srv.URL, "--output", "json")
	var id struct{ UserId, Account, Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("get-caller-identity output: %v\n%s", err, out)
	}
	if id.Arn != iam.SessionARN(s.sa.FolderID, "alice", "tutorial") || id.UserId != s.sa.ID+":tutorial" || id.Account != s.sa.FolderID {
		t.Errorf("get-caller-identity: %+v", id)
	}
}

// cliEnv is a clean environment for the AWS CLI with the three exported variables.
func cliEnv(ak, sk, token string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	if token != "" {
		env = append(env, "AWS_SESSION_TOKEN="+token)
	}
	return env
}

func runAWS(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("aws", args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("aws %s: %v\n%s%s", strings.Join(args[:2], " "), err, stdout.String(), stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("aws %s timed out", strings.Join(args[:2], " "))
	}
	return stdout.String()
}

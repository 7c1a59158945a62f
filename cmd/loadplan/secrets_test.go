package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A key given through the environment never reaches stdout, stderr or any report, on the
// error paths too: an unreachable target whose URL carries the key, and a plan error about a
// value that came from the environment.
func TestSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	const secret = "sk-secret-123"
	env := func(k string) (string, bool) {
		if k == "KEY" {
			return secret, true
		}
		return "", false
	}
	dir := t.TempDir()
	planPath := filepath.Join(dir, "p.yaml")
	os.WriteFile(planPath, []byte(`version: 1
name: sec
target: "http://u:${KEY}@127.0.0.1:1/?k=${KEY}"
budget: 1
headers: {Authorization: "Bearer ${KEY}", x-api-key: "${KEY}"}
tasks:
  get: {request: {path: "/x?key=${KEY}"}, price: free}
scenarios:
  s: {users: 1, duration: 1s, wait: {constant: 100ms}}
`), 0o644)
	badPath := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badPath, []byte("version: 1\nname: bad\ntarget: mock://\nbudget: \"${KEY}\"\ntasks: {a: {request: {path: /}, price: free}}\nscenarios: {s: {users: 1, duration: 1s}}\n"), 0o644)
	files := map[string]string{"json": filepath.Join(dir, "o.json"), "html": filepath.Join(dir, "o.html"), "history": filepath.Join(dir, "h.jsonl")}
	for _, args := range [][]string{
		{"run", planPath, "--json", files["json"], "--html", files["html"], "--history", files["history"], "--csv", filepath.Join(dir, "res")},
		{"validate", badPath},
		{"estimate", badPath},
		{"run", badPath},
	} {
		var out, errOut bytes.Buffer
		code := MainIO(args, &IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, Env: env})
		if code == 0 {
			t.Errorf("%v: exit 0, want a failure", args[:2])
		}
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("%v printed the secret:\n%s\n%s", args[:2], out.String(), errOut.String())
		}
	}
	entries, _ := os.ReadDir(dir)
	written := 0
	for _, e := range entries {
		if e.Name() == "p.yaml" || e.Name() == "bad.yaml" {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		written++
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", e.Name())
		}
	}
	if written < 5 {
		t.Errorf("only %d report files were written", written)
	}
}

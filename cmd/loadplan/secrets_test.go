package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// TestCanariesGoNowhere sends a canary key (an environment value used in headers, in the
// query and in the body) through every path that leaked one: a redirect to another loopback
// port, a server that echoes the request back into a failing check, and plan errors that
// quote the value; then greps stdout, stderr and every file the run wrote for it, and the
// redirect's target for what it was sent.
func TestCanariesGoNowhere(t *testing.T) {
	t.Parallel()
	const canary = "sk-canary-c0ffee42"
	env := func(k string) (string, bool) {
		if k == "API_KEY" {
			return canary, true
		}
		return "", false
	}
	var mu sync.Mutex
	var landed []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		landed = append(landed, r.Header.Clone())
		mu.Unlock()
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"you_sent": []string{r.Method, r.URL.String(),
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), string(body)}})
	})
	target := httptest.NewServer(mux)
	t.Cleanup(target.Close)

	dir := t.TempDir()
	write := func(name, yaml string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, "TARGET", target.URL)), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	planPath := write("keys.yaml", `version: 1
name: keys
target: TARGET
budget: 1
headers: {Authorization: "Bearer ${API_KEY}", X-Api-Key: "${API_KEY}", X-Custom: "k=${API_KEY}"}
tasks:
  redirect: {request: {path: "/redirect?key=${API_KEY}"}, price: 0.0001}
  echo_header:
    request: {method: POST, path: "/echo?key=${API_KEY}", json: {key: "${API_KEY}"}}
    check: {json: {"$.you_sent[2]": nope}}
    price: 0.0001
  echo_query:
    request: {method: POST, path: "/echo?key=${API_KEY}", json: {key: "${API_KEY}"}}
    check: {json: {"$.you_sent[1]": nope}}
    price: 0.0001
  echo_body:
    request: {method: POST, path: /echo, json: {key: "${API_KEY}"}}
    check: {json: {"$.you_sent[4]": nope}}
    price: 0.0001
scenarios:
  s: {users: 2, duration: 1s, wait: {constant: 20ms}}
`)
	bad := map[string]string{
		"query template": `query: {k: "{{uuid ${API_KEY}"}`,
		"url with CR LF": `url: "http://127.0.0.1:9/x?k=${API_KEY}\r\nX-Injected: 1"`,
		"path template":  `path: "/x/${API_KEY}/{{seq"`,
	}
	var badPaths []string
	for name, req := range bad {
		path := req
		if !strings.HasPrefix(req, "url:") && !strings.HasPrefix(req, "path:") {
			path = "path: /x, " + req
		}
		badPaths = append(badPaths, write(strings.ReplaceAll(name, " ", "_")+".yaml", `version: 1
name: bad
target: TARGET
budget: 1
tasks: {a: {request: {`+path+`}, price: free}}
scenarios: {s: {users: 1, duration: 1s}}
`))
	}

	prefix := filepath.Join(dir, "res")
	runs := [][]string{{"run", planPath, "--json", filepath.Join(dir, "o.json"), "--html", filepath.Join(dir, "o.html"),
		"--history", filepath.Join(dir, "h.jsonl"), "--csv", prefix}}
	for _, p := range badPaths {
		runs = append(runs, []string{"validate", p}, []string{"estimate", p}, []string{"run", p})
	}
	for _, args := range runs {
		var out, errOut bytes.Buffer
		code := MainIO(args, &IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, Env: env})
		if code == 0 && args[1] != planPath {
			t.Errorf("%v: exit 0, want a bad plan", args[:2])
		}
		for _, text := range []string{out.String(), errOut.String()} {
			if strings.Contains(text, "c0ffee42") {
				t.Errorf("%v printed the canary:\n%s\n%s", args[:2], out.String(), errOut.String())
			}
		}
	}
	s := readSummary(t, filepath.Join(dir, "o.json"))
	samples := 0
	for _, f := range s.Failures {
		if strings.Contains(f.Error, "e.g. got") {
			samples++
		}
	}
	if samples < 3 {
		t.Errorf("the echoing checks recorded %d failures with a sample, want 3: %+v", samples, s.Failures)
	}
	entries, _ := os.ReadDir(dir)
	written := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		written++
		if bytes.Contains(b, []byte("c0ffee42")) {
			t.Errorf("%s holds the canary", e.Name())
		}
	}
	if written < 8 {
		t.Errorf("only %d report files were written", written)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(landed) == 0 {
		t.Fatal("the redirect was never followed")
	}
	for _, h := range landed {
		for name, vs := range h {
			if name == "Referer" || strings.Contains(strings.Join(vs, " "), "c0ffee42") {
				t.Errorf("the redirect's other origin got %s: %v", name, vs)
			}
		}
	}
}

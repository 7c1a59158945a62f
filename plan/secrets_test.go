package plan

import (
	"strings"
	"testing"
)

const canary = "sk-canary-4f1c9e"

func canaryEnv(k string) (string, bool) {
	if k == "API_KEY" {
		return canary, true
	}
	return "", false
}

// TestErrorsMaskSecretsByValue: a value taken from the environment is masked in every
// message, wherever the message put it (a template error quoting the whole string, a URL
// that does not parse, another field's error), not only in an error about its own field.
func TestErrorsMaskSecretsByValue(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]string{
		"query template":  `request: {method: POST, path: /chat, query: {k: "{{uuid ${API_KEY}"}, json: {max_tokens: 100}}`,
		"url with CR/LF":  `request: {method: POST, url: "http://127.0.0.1:9/${API_KEY}\r\nX: y", json: {max_tokens: 100}}`,
		"path template":   `request: {method: POST, path: "/chat/${API_KEY}/{{seq", json: {max_tokens: 100}}`,
		"header template": `request: {method: POST, path: /chat, headers: {Authorization: "Bearer ${API_KEY}{{user"}, json: {max_tokens: 100}}`,
		"body template":   `request: {method: POST, path: /chat, body: "{\"key\": \"${API_KEY}\", \"x\": \"{{data.none\"}"}`,
		"json template":   `request: {method: POST, path: /chat, json: {max_tokens: 100, k: "${API_KEY}{{uuid"}}`,
	} {
		src := strings.Replace(minimal, `request: {method: POST, path: /chat, json: {max_tokens: 100}}`, edit, 1)
		_, err := Parse("plan.yaml", []byte(src), Options{Env: canaryEnv})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, canary) || strings.Contains(msg, "sk-canary") || !strings.Contains(msg, "${API_KEY}") {
			t.Errorf("%s: %s", name, msg)
		}
	}
}

// TestSecretHeaders: a header is secret when it is a credential header or its value holds a
// value from the environment; the redactor masks those values and the fixed credentials.
func TestSecretHeaders(t *testing.T) {
	t.Parallel()
	src := strings.Replace(minimal, "name: t", `name: t
headers: {X-Custom: "k=${API_KEY}", Authorization: "Bearer sk-literal-0001", X-Plain: hello, Cookie: "{{vars.c}}"}`, 1)
	src = strings.Replace(src, `json: {max_tokens: 100}}`, `json: {max_tokens: 100}, headers: {X-Step: "${API_KEY}"}, follow_redirects: false}`, 1)
	src = strings.Replace(src, "tasks:", "on_start: [{request: {path: /login}, capture: {c: $.c}, price: free}]\ntasks:", 1)
	p, err := Parse("plan.yaml", []byte(src), Options{Env: canaryEnv})
	if err != nil {
		t.Fatal(err)
	}
	secret := map[string]bool{}
	for _, h := range append(p.Headers, p.Tasks[0].Steps[0].Request.Headers...) {
		secret[h.Name] = h.Secret
	}
	want := map[string]bool{"X-Custom": true, "Authorization": true, "X-Plain": false, "Cookie": true, "X-Step": true}
	for name, w := range want {
		if secret[name] != w {
			t.Errorf("%s: secret %v, want %v", name, secret[name], w)
		}
	}
	if len(p.Secrets) != 1 || p.Secrets[0] != (Secret{"API_KEY", canary}) {
		t.Errorf("secrets %+v", p.Secrets)
	}
	if !p.Tasks[0].Steps[0].Request.NoFollow || p.OnStart[0].Request.NoFollow {
		t.Error("follow_redirects: false not read, or read where not given")
	}
	r := p.Redactor()
	got := r.String("echo: k=" + canary + ", Bearer sk-literal-0001, token sk-literal-0001, hello")
	if want := "echo: [X-Custom], [Authorization], token [Authorization], hello"; got != want {
		t.Errorf("redacted %q, want %q", got, want)
	}
}

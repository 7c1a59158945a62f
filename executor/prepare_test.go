package executor

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/plan"
)

// referencePrepare is prepare as it was before the fixed headers and bodies were built once:
// every header rendered into a new map in plan order, then the user and the defaults.
func referencePrepare(s *step, headers []kv, rc *renderCtx) prepared {
	var pr prepared
	buf := s.url.appendTo(make([]byte, 0, 128), rc)
	for i, q := range s.query {
		if i == 0 {
			buf = append(buf, '?')
		} else {
			buf = append(buf, '&')
		}
		buf = append(buf, url.QueryEscape(q.name)...)
		buf = append(buf, '=')
		buf = append(buf, url.QueryEscape(q.val.render(rc))...)
	}
	pr.url = string(buf)
	pr.header = make(http.Header, len(headers)+3)
	for _, h := range headers {
		pr.header[h.name] = []string{h.val.render(rc)}
	}
	pr.header["X-Loadplan-User"] = []string{rc.u.idText}
	if pr.header.Get("User-Agent") == "" {
		pr.header["User-Agent"] = []string{userAgent}
	}
	switch {
	case s.json != nil:
		pr.body = s.json.encode(make([]byte, 0, 256), rc)
		if pr.header.Get("Content-Type") == "" {
			pr.header["Content-Type"] = []string{"application/json"}
		}
	case s.body != nil:
		pr.body = s.body.appendTo(nil, rc)
	}
	if s.stream && pr.header.Get("Accept") == "" {
		pr.header["Accept"] = []string{"text/event-stream"}
	}
	return pr
}

const preparePlan = `version: 1
name: prepare
target: TARGET
headers:
  Authorization: "Bearer {{vars.token}}"
  X-Run: "run-{{seq}}"
  x-loadplan-user: "not this"
  Accept: application/json
on_start:
  - name: login
    request: {method: POST, path: /login, json: {user: "{{user}}"}}
    capture: {token: $.token, empty: $.empty}
    price: free
tasks:
  plain:
    request: {method: GET, path: /health}
    price: free
  json:
    request:
      method: POST
      path: "/api/{{user}}"
      query: {q: "a b {{seq}}", fixed: "1"}
      headers: {X-Run: "override", User-Agent: "{{vars.empty}}"}
      json: {message: "hi {{user}}", n: 1}
    price: free
  json_static:
    request:
      method: POST
      path: /api/chat
      headers: {Content-Type: "text/plain; charset=utf-8", Authorization: "fixed", X-Seq: "{{seq}}"}
      json: {message: "hi", n: [1, 2]}
    price: free
  stream:
    request:
      method: POST
      path: /api/chat/stream
      headers: {Accept: "{{vars.empty}}", User-Agent: "me"}
      json: {message: "hi"}
      stream: true
    price: free
  body:
    request: {method: POST, path: /x, body: "raw {{seq}}", headers: {Content-Type: ""}}
    price: free
  body_static:
    request: {method: POST, path: /x, body: "raw", headers: {Accept: ""}}
    price: free
scenarios:
  s: {users: 1, duration: 1s}
`

// TestPrepareMatchesReference: the request a step renders (url, headers, body) and the
// templates' side effects ({{seq}}) are what the per-request rendering gave.
func TestPrepareMatchesReference(t *testing.T) {
	t.Parallel()
	p := parsePlan(t, preparePlan, "http://127.0.0.1:1", nil)
	r := testRunner(t, config(t, p, "s", "http://127.0.0.1:1", nil))
	u := testUser(t, r, 3)
	u.vars["token"], u.vars["empty"] = "tok", ""
	for i, pt := range p.Tasks {
		ps := pt.Steps[0]
		s := r.tasks[i].steps[0]
		var headers []kv
		for _, h := range append(append([]plan.Header(nil), p.Headers...), ps.Request.Headers...) {
			tp, err := compileTemplate(h.Value, p.Data)
			if err != nil {
				t.Fatal(err)
			}
			headers = append(headers, kv{http.CanonicalHeaderKey(h.Name), tp})
		}
		for range 2 {
			r.seq.Store(10)
			want := referencePrepare(s, headers, &renderCtx{r: r, u: u})
			wantSeq := r.seq.Load()
			r.seq.Store(10)
			got := r.prepare(s, &renderCtx{r: r, u: u})
			if got.url != want.url || string(got.body) != string(want.body) || (got.body == nil) != (want.body == nil) {
				t.Errorf("%s: url %q body %q, want %q %q", pt.Name, got.url, got.body, want.url, want.body)
			}
			if !reflect.DeepEqual(got.header, want.header) {
				t.Errorf("%s: headers\n%v\nwant\n%v", pt.Name, got.header, want.header)
			}
			if r.seq.Load() != wantSeq {
				t.Errorf("%s: seq %d, want %d", pt.Name, r.seq.Load(), wantSeq)
			}
		}
		if strings.HasPrefix(pt.Name, "json") && s.json.raw == nil && pt.Name == "json_static" {
			t.Errorf("%s: the static body was not built once", pt.Name)
		}
	}
}

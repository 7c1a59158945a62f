package executor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadplan/loadplan/summary"
)

const checkPlan = `version: 1
name: checks
target: TARGET
tasks:
  get: {request: {path: /id}, check: {json: {$.id: ok}}, price: free}
scenarios:
  s: {users: 1, duration: 1s}
`

// TestFailureKeys: a check failure is keyed on the check, not on the value it met (one row
// with a sample value), and a request name's distinct failures are capped.
func TestFailureKeys(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id": "cap-%d"}`, n.Add(1))
	})).URL
	p := parsePlan(t, checkPlan, url, nil)
	r := testRunner(t, config(t, p, "s", url, nil))
	u := testUser(t, r, 1)
	st := r.tasks[0].steps[0]
	for range 50 {
		r.runStep(u, st)
	}
	fs := r.stats.failureList()
	if len(fs) != 1 || fs[0].Occurrences != 50 || fs[0].Error != "check failed: $.id expected ok, e.g. got cap-1" {
		t.Fatalf("failures %+v", fs)
	}
	for i := range maxFailureKeys + 500 {
		r.stats.fail(st.stat, fmt.Sprintf("error %d", i), "")
	}
	fs = r.stats.failureList()
	other := int64(0)
	for _, f := range fs {
		if f.Error == otherErrors {
			other = f.Occurrences
		}
	}
	if len(fs) != maxFailureKeys+1 || other != 501 {
		t.Errorf("%d failure rows, %d other errors; want %d and 501", len(fs), other, maxFailureKeys+1)
	}
}

// TestConfigError: a plan the executor cannot compile is a *ConfigError, before anything is
// sent.
func TestConfigError(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })).URL
	p := parsePlan(t, checkPlan, url, nil)
	p.Tasks[0].Steps[0].Request.Path = "http://evil.example.com/x"
	_, err := Run(context.Background(), config(t, p, "s", url, nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "evil.example.com is not allowed") {
		t.Errorf("error %v (%T)", err, err)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent", hits.Load())
	}
}

// TestUnreachableTaskURL: a task's own URL that refuses connections is named, not the target.
func TestUnreachableTaskURL(t *testing.T) {
	t.Parallel()
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).URL
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	p := parsePlan(t, strings.Replace(checkPlan, "path: /id", "url: "+refused+"/x", 1), url, nil)
	s := run(t, config(t, p, "s", url, nil))
	if s.StopReason != summary.StopError || !strings.Contains(s.StopDetail, refused+" (the url of get) unreachable: connection refused") || strings.Contains(s.StopDetail, url) {
		t.Errorf("stop %s (%s)", s.StopReason, s.StopDetail)
	}
}

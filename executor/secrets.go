package executor

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/loadplan/loadplan/internal/redact"
	"github.com/loadplan/loadplan/plan"
)

// mask returns text, a failure or its sample, with the secrets it may hold masked: the
// plan's (the values taken from the environment, the fixed values of its secret headers)
// and the values that this request's templated secret headers were given (a token captured
// at login), which only the request knows.
func (r *runner) mask(s *step, pr *prepared, text string) string {
	if text == "" {
		return ""
	}
	text = r.secrets.String(text)
	if len(s.secretHeaders) == 0 {
		return text
	}
	var own redact.Set
	for _, name := range s.secretHeaders {
		v := pr.header.Get(name)
		own.Add(v, "["+name+"]")
		if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			own.Add(strings.TrimSpace(cred), "["+name+"]")
		}
	}
	return own.String(text)
}

// secretHeaderNames are the canonical names of the headers that a redirect to another
// origin does not carry: the credential headers, and every header the plan marks secret.
func secretHeaderNames(p *plan.Plan) []string {
	seen := map[string]bool{}
	var names []string
	add := func(name string) {
		name = http.CanonicalHeaderKey(name)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, h := range plan.CredentialHeaders() {
		add(h)
	}
	for _, h := range p.Headers {
		if h.Secret {
			add(h.Name)
		}
	}
	for _, st := range p.Steps() {
		for _, h := range st.Request.Headers {
			if h.Secret {
				add(h.Name)
			}
		}
	}
	return names
}

// noFollowKey marks the context of a request whose step says follow_redirects: false.
type noFollowKey struct{}

// errTooManyRedirects ends a chain of redirects.
var errTooManyRedirects = errors.New("stopped after 10 redirects")

// checkRedirect is the run's redirect rule (http.Client.CheckRedirect): no redirect for a
// step that says follow_redirects: false (the 3xx is its response); at most 10; only to the
// hosts the plan allows; never a Referer (the URL it would name may carry a key in its
// query); and to another origin (scheme, host or port) none of the secret headers, which net/http
// would forward but for Authorization and Cookie (and those only to another host).
func checkRedirect(p *plan.Plan) func(*http.Request, []*http.Request) error {
	secret := secretHeaderNames(p)
	return func(req *http.Request, via []*http.Request) error {
		if req.Context().Value(noFollowKey{}) != nil {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		if err := CheckHost(p, req.URL.Scheme+"://"+req.URL.Host); err != nil {
			return err
		}
		req.Header.Del("Referer")
		if !sameOrigin(req.URL, via[0].URL) {
			for _, name := range secret {
				req.Header.Del(name)
			}
		}
		return nil
	}
}

// sameOrigin reports whether a and b have the same scheme, host and port (a port left out is
// the scheme's).
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// withRedirectRule is ctx for a request of step s.
func withRedirectRule(ctx context.Context, s *step) context.Context {
	if s.p.Request.NoFollow {
		return context.WithValue(ctx, noFollowKey{}, true)
	}
	return ctx
}

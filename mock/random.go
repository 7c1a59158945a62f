package mock

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Reproducibility. Every request gets its own random source, seeded from (Config.Seed, the
// user key, the number of requests that user made before). So a user's n-th request is
// answered the same way whatever the other users do and however their requests interleave,
// and no request waits on a lock around a shared generator. The counters live in a sync.Map
// of atomics: one load and one atomic add per request.

// counters counts the requests of each user key.
type counters struct {
	m sync.Map // string → *atomic.Uint64
}

// next returns how many requests key made before this one.
func (c *counters) next(key string) uint64 {
	v, ok := c.m.Load(key)
	if !ok {
		v, _ = c.m.LoadOrStore(key, new(atomic.Uint64))
	}
	return v.(*atomic.Uint64).Add(1) - 1
}

// requestRand returns the random source of request n of user key under seed.
func requestRand(seed uint64, key string, n uint64) *rand.Rand {
	h := fnv64a(key)
	return rand.New(rand.NewPCG(splitmix64(seed^splitmix64(h)), splitmix64(n+0x632be59bd9b4e019^h)))
}

func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// splitmix64 is a bijective mixer: nearby inputs give unrelated outputs.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draw returns a duration from the log-normal latency l: median·exp(σZ).
func (l Latency) draw(r *rand.Rand) time.Duration {
	s := l.sigma()
	if s == 0 {
		return l.Median
	}
	return time.Duration(float64(l.Median) * math.Exp(s*r.NormFloat64()))
}

// tokenDist is a log-normal token count with a given mean after clipping to a cap.
//
// Why solve for μ: the estimator prices a request at the expected token counts, so the mock
// must serve exactly those means, and clipping (to max_input_tokens, to the body's max_tokens)
// lowers the mean of a log-normal. For X = exp(μ+σZ) and a cap c,
//
//	E[min(X, c)] = exp(μ+σ²/2)·Φ((ln c − μ − σ²)/σ) + c·(1 − Φ((ln c − μ)/σ)),
//
// which grows with μ from 0 to c; bisection finds the μ that makes it the wanted mean. The
// rounding to whole tokens that follows is unbiased to well under a token.
type tokenDist struct {
	mu, sigma float64
	cap       float64 // 0: none
	constant  bool    // every draw is mean (σ = 0) or the cap (mean ≥ cap)
	value     int64
}

// tokenKey identifies a tokenDist for the cache of solved distributions.
type tokenKey struct {
	mean int64
	cv   float64
	cap  int64
}

// distCache memoizes solved distributions: there is one per endpoint and max_tokens value.
type distCache struct {
	m sync.Map // tokenKey → *tokenDist
}

func (c *distCache) get(mean int64, cv float64, cap int64) *tokenDist {
	k := tokenKey{mean, cv, cap}
	if v, ok := c.m.Load(k); ok {
		return v.(*tokenDist)
	}
	d := newTokenDist(mean, cv, cap)
	c.m.Store(k, d)
	return d
}

func newTokenDist(mean int64, cv float64, cap int64) *tokenDist {
	switch {
	case mean <= 0:
		return &tokenDist{constant: true, value: 0}
	case cap > 0 && mean >= cap:
		return &tokenDist{constant: true, value: cap}
	case cv <= 0:
		return &tokenDist{constant: true, value: mean}
	}
	sigma := math.Sqrt(math.Log1p(cv * cv))
	m := float64(mean)
	mu := math.Log(m) - sigma*sigma/2 // the unclipped log-normal with mean m
	if cap <= 0 {
		return &tokenDist{mu: mu, sigma: sigma}
	}
	c := float64(cap)
	clippedMean := func(mu float64) float64 {
		lc := math.Log(c)
		return math.Exp(mu+sigma*sigma/2)*normCDF((lc-mu-sigma*sigma)/sigma) + c*(1-normCDF((lc-mu)/sigma))
	}
	lo, hi := mu, mu+1 // clippedMean(lo) <= m
	for clippedMean(hi) < m {
		hi += 1
	}
	for range 200 {
		mid := (lo + hi) / 2
		if clippedMean(mid) < m {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-12 {
			break
		}
	}
	return &tokenDist{mu: (lo + hi) / 2, sigma: sigma, cap: c}
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func (d *tokenDist) draw(r *rand.Rand) int64 {
	if d.constant {
		return d.value
	}
	x := math.Exp(d.mu + d.sigma*r.NormFloat64())
	if d.cap > 0 && x > d.cap {
		x = d.cap
	}
	return int64(math.Round(x))
}

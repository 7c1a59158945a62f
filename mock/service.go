package mock

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// The endpoints of the AI microservice of examples/ai-service.yaml.

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r, s.eps[PathHealth], flavorAnthropic)
	defer c.finish()
	c.seed(r.Header.Get(UserHeader))
	p := c.drawPlan(-1, 0, false, false)
	if c.preOutputFault(p) {
		return
	}
	if !c.sleep(p.latency) {
		c.gone()
		return
	}
	c.writeBilled(p, []byte(`{"status":"ok"}`))
}

// handleSession opens a session: {"session_id": "..."}. Any body, or none, is accepted. Its
// user key is the header, else the body's session, else its message: a login names its user
// ("open session for user 3"), so session ids are reproducible without the header too.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r, s.eps[PathSession], flavorAnthropic)
	defer c.finish()
	body, ok := c.readBody()
	if !ok {
		return
	}
	key := r.Header.Get(UserHeader)
	if key == "" {
		var req struct {
			Session any `json:"session"`
			Message any `json:"message"`
		}
		if json.Unmarshal(body, &req) == nil {
			key, _ = req.Session.(string)
			if key == "" {
				key, _ = req.Message.(string)
			}
		}
	}
	c.seed(key)
	p := c.drawPlan(-1, 0, false, false)
	id := randomUUID(c.rng)
	if c.preOutputFault(p) {
		return
	}
	if !c.sleep(p.latency) {
		c.gone()
		return
	}
	c.writeBilled(p, []byte(`{"session_id":"`+id+`"}`))
}

// serviceRequest is what the service endpoints read from a body: a message (required), a
// session (optional, a user key) and max_tokens (optional, clips the output).
type serviceRequest struct {
	Message     *string `json:"message"`
	Session     any     `json:"session"`
	MaxTokens   int64   `json:"max_tokens"`
	ServiceTier string  `json:"service_tier"`
}

type chatResponse struct {
	ID         string         `json:"id"`
	Reply      string         `json:"reply"`
	Session    string         `json:"session,omitempty"`
	Model      string         `json:"model"`
	StopReason string         `json:"stop_reason"`
	Usage      anthropicUsage `json:"usage"`
}

type validateResponse struct {
	ID          string         `json:"id"`
	Valid       bool           `json:"valid"`
	Checks      []check        `json:"checks"`
	Explanation string         `json:"explanation"`
	Model       string         `json:"model"`
	Usage       anthropicUsage `json:"usage"`
}

type check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
}

type matchResponse struct {
	ID          string         `json:"id"`
	Matches     []match        `json:"matches"`
	Explanation string         `json:"explanation"`
	Model       string         `json:"model"`
	Usage       anthropicUsage `json:"usage"`
}

type match struct {
	ProjectID string  `json:"project_id"`
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
}

var projectNames = []string{"Atlas data platform", "Billing revamp", "Customer portal",
	"Delivery tracking", "Edge cache rollout", "Fraud scoring", "Invoice OCR", "Partner API"}

var validationChecks = []string{"schema", "rut_check_digit", "totals", "tax_rate", "signature"}

// handleService serves /api/chat/message, /api/chat/stream, /api/dte/validate and
// /api/projects/match: any JSON body with a "message" string.
func (s *Server) handleService(ep *endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.begin(w, r, ep, flavorAnthropic)
		defer c.finish()
		if !c.admit() {
			return
		}
		var req serviceRequest
		if !c.decodeBody(&req) {
			return
		}
		if req.Message == nil {
			c.badRequest(`message: a string field "message" is required`)
			return
		}
		session, _ := req.Session.(string)
		key := r.Header.Get(UserHeader)
		if key == "" {
			key = session
		}
		prompt, ok := c.inputOverride(-1)
		if !ok {
			return
		}
		c.pickTier(req.ServiceTier)
		c.seed(key)
		stream := ep.path == PathChatStream
		p := c.drawPlan(prompt, req.MaxTokens, false, stream)
		id := randomID(c.rng, "msg_01", 22)
		var answer any
		switch ep.path {
		case PathChatMessage:
			answer = &chatResponse{ID: id, Reply: p.reply.text(), Session: session, Model: s.model,
				StopReason: stopReason(p), Usage: anthropicUsageOf(p.usage)}
		case PathDTEValidate:
			v := &validateResponse{ID: id, Valid: true, Explanation: p.reply.text(), Model: s.model,
				Usage: anthropicUsageOf(p.usage)}
			for _, name := range validationChecks {
				v.Checks = append(v.Checks, check{Name: name, Passed: true})
			}
			answer = v
		case PathProjects:
			m := &matchResponse{ID: id, Explanation: p.reply.text(), Model: s.model,
				Usage: anthropicUsageOf(p.usage)}
			score := 0.99
			for range 1 + c.rng.IntN(5) {
				score -= 0.02 + 0.1*c.rng.Float64()
				m.Matches = append(m.Matches, match{
					ProjectID: fmt.Sprintf("prj-%04d", c.rng.IntN(10000)),
					Name:      projectNames[c.rng.IntN(len(projectNames))],
					Score:     math.Round(score*100) / 100,
				})
			}
			answer = m
		}
		if c.preOutputFault(p) {
			return
		}
		c.model = s.model
		if stream {
			c.streamAnthropic(p, id, s.model)
			return
		}
		if !c.sleep(p.latency) {
			c.gone()
			return
		}
		b, _ := json.Marshal(answer)
		c.writeBilled(p, b)
	}
}

func (s *Server) handleLedger(w http.ResponseWriter, _ *http.Request) {
	b, _ := json.MarshalIndent(s.ledger.Snapshot(), "", "  ")
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

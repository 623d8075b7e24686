package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eppokit/eppokit/core"
)

// resetTimeout bounds how long POST /sdk/reset waits for the fresh client's first configuration.
const resetTimeout = 10 * time.Second

// relay serves Eppo's SDK relay protocol on top of a core.Client.
type relay struct {
	cfg    core.Config
	client atomic.Pointer[core.Client]
	mux    *http.ServeMux

	// mu serializes evaluations and resets, so each response carries exactly the events its own call
	// logged into log.
	mu  sync.Mutex
	log eventLog
}

// newRelay builds the relay and starts its client (which fetches in the background: GET / reports
// when it is ready).
func newRelay(cfg core.Config) (*relay, error) {
	r := &relay{cfg: cfg, mux: http.NewServeMux()}
	r.cfg.AssignmentLogger, r.cfg.BanditLogger = &r.log, &r.log
	c, err := core.NewClient(r.cfg)
	if err != nil {
		return nil, err
	}
	r.client.Store(c)
	r.mux.HandleFunc("GET /{$}", r.ready)
	r.mux.HandleFunc("GET /sdk/details", r.details)
	r.mux.HandleFunc("POST /sdk/reset", r.reset)
	r.mux.HandleFunc("POST /flags/v1/assignment", r.assignment)
	r.mux.HandleFunc("POST /bandits/v1/action", r.banditAction)
	return r, nil
}

func (r *relay) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// Close stops the current client.
func (r *relay) Close(ctx context.Context) error { return r.client.Load().Close(ctx) }

func (r *relay) ready(w http.ResponseWriter, _ *http.Request) {
	if r.client.Load().Configuration() == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ready": true})
}

func (r *relay) details(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sdkName": core.SDKName, "sdkVersion": core.SDKVersion,
		"supportsBandits": true, "supportsDynamicTyping": true})
}

// reset replaces the client with a fresh one (a new fetch) and answers once it has a configuration.
func (r *relay) reset(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := core.NewClient(r.cfg)
	if err != nil {
		writeResult(w, http.StatusInternalServerError, nil, logs{}, err)
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), resetTimeout)
	defer cancel()
	err = c.WaitForInitialization(ctx)
	if old := r.client.Swap(c); old != nil {
		_ = old.Close(ctx)
	}
	if err != nil {
		writeResult(w, http.StatusServiceUnavailable, nil, logs{}, err)
		return
	}
	writeResult(w, http.StatusOK, nil, logs{}, nil)
}

type assignmentRequest struct {
	Flag              string          `json:"flag"`
	SubjectKey        string          `json:"subjectKey"`
	SubjectAttributes core.Attributes `json:"subjectAttributes"`
	AssignmentType    string          `json:"assignmentType"`
	DefaultValue      json.RawMessage `json:"defaultValue"`
}

func (r *relay) assignment(w http.ResponseWriter, req *http.Request) {
	var in assignmentRequest
	if !decode(w, req, &in) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	result, err := assign(r.client.Load(), in)
	if err != nil {
		writeResult(w, http.StatusBadRequest, nil, logs{}, err)
		return
	}
	writeResult(w, http.StatusOK, result, r.log.take(), nil)
}

// assign calls the getter for the requested type. Evaluation errors are not request errors: the
// client answered with the default value, which is the expected result.
func assign(c *core.Client, in assignmentRequest) (any, error) {
	f, s, a := in.Flag, in.SubjectKey, in.SubjectAttributes
	var v any
	var err error
	switch in.AssignmentType {
	case "STRING":
		v, err = typed(in.DefaultValue, func(d string) (string, error) { return c.GetStringAssignment(f, s, a, d) })
	case "INTEGER":
		v, err = typed(in.DefaultValue, func(d float64) (int64, error) {
			if d != math.Trunc(d) || math.Abs(d) > 1<<53 {
				return 0, errBadDefault
			}
			return c.GetIntegerAssignment(f, s, a, int64(d))
		})
	case "NUMERIC":
		v, err = typed(in.DefaultValue, func(d float64) (float64, error) { return c.GetNumericAssignment(f, s, a, d) })
	case "BOOLEAN":
		v, err = typed(in.DefaultValue, func(d bool) (bool, error) { return c.GetBooleanAssignment(f, s, a, d) })
	case "JSON":
		v, err = typed(in.DefaultValue, func(d any) (any, error) { return c.GetJSONAssignment(f, s, a, d) })
	default:
		return nil, fmt.Errorf("assignmentType %q is not one of STRING, INTEGER, NUMERIC, BOOLEAN, JSON", in.AssignmentType)
	}
	if err != nil {
		return nil, fmt.Errorf("defaultValue %s is not a valid %s: %w", in.DefaultValue, in.AssignmentType, err)
	}
	return v, nil
}

// errBadDefault rejects a default value that decodes but does not fit the type (1.5 as an INTEGER).
var errBadDefault = errors.New("out of range for the type")

// typed decodes the default value as D and evaluates with it. Only a default that does not decode (or
// that get rejects with errBadDefault) is an error: an evaluation error still yields the default.
func typed[D, V any](rawDefault json.RawMessage, get func(D) (V, error)) (any, error) {
	var d D
	if err := json.Unmarshal(rawDefault, &d); err != nil {
		return nil, err
	}
	v, err := get(d)
	if errors.Is(err, errBadDefault) {
		return nil, err
	}
	return v, nil
}

// looseAttributes are attribute maps as the test runner sends them, values possibly of the
// wrong kind for their map; core.CleanContextAttributes sorts them out.
type looseAttributes struct {
	NumericAttributes     map[string]any `json:"numericAttributes"`
	CategoricalAttributes map[string]any `json:"categoricalAttributes"`
}

func (a looseAttributes) clean() core.ContextAttributes {
	return core.CleanContextAttributes(a.NumericAttributes, a.CategoricalAttributes)
}

type banditRequest struct {
	Flag              string          `json:"flag"`
	SubjectKey        string          `json:"subjectKey"`
	SubjectAttributes looseAttributes `json:"subjectAttributes"`
	Actions           []struct {
		ActionKey string `json:"actionKey"`
		looseAttributes
	} `json:"actions"`
	DefaultValue string `json:"defaultValue"`
}

func (r *relay) banditAction(w http.ResponseWriter, req *http.Request) {
	var in banditRequest
	if !decode(w, req, &in) {
		return
	}
	actions := make(map[string]core.ContextAttributes, len(in.Actions))
	for _, a := range in.Actions {
		if _, dup := actions[a.ActionKey]; dup {
			writeResult(w, http.StatusBadRequest, nil, logs{}, fmt.Errorf("actionKey %q appears twice", a.ActionKey))
			return
		}
		actions[a.ActionKey] = a.clean()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res, _ := r.client.Load().GetBanditAction(in.Flag, in.SubjectKey, in.SubjectAttributes.clean(), actions, in.DefaultValue)
	writeResult(w, http.StatusOK, map[string]any{"variation": res.Variation, "action": res.Action}, r.log.take(), nil)
}

// decode reads a JSON request body (at most 1 MiB), answering 400 itself when it cannot.
func decode(w http.ResponseWriter, req *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<20)).Decode(v); err != nil {
		writeResult(w, http.StatusBadRequest, nil, logs{}, fmt.Errorf("invalid request body: %w", err))
		return false
	}
	return true
}

// logs is the assignmentLog and banditLog of a response.
type logs struct {
	assignments []core.AssignmentEvent
	bandits     []core.BanditEvent
}

// writeResult writes the relay's response envelope.
func writeResult(w http.ResponseWriter, code int, result any, l logs, err error) {
	var msg any
	if err != nil {
		msg = err.Error()
	}
	writeJSON(w, code, map[string]any{"result": result, "assignmentLog": nonNil(l.assignments),
		"banditLog": nonNil(l.bandits), "error": msg})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// eventLog records the events the client logs; relay.mu guards it.
type eventLog struct {
	pending logs
}

// LogAssignment implements core.AssignmentLogger.
func (l *eventLog) LogAssignment(e core.AssignmentEvent) {
	l.pending.assignments = append(l.pending.assignments, e)
}

// LogBanditAction implements core.BanditLogger.
func (l *eventLog) LogBanditAction(e core.BanditEvent) {
	l.pending.bandits = append(l.pending.bandits, e)
}

// take returns and forgets the events logged since the last take.
func (l *eventLog) take() logs {
	out := l.pending
	l.pending = logs{}
	return out
}

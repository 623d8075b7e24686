package core

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
)

func banditClient(t testing.TB) (*Client, *recordingLogger) {
	t.Helper()
	rec := &recordingLogger{}
	c := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c.assignLogger, c.banditLogger = rec, rec
	return c, rec
}

func someActions() map[string]ContextAttributes {
	return map[string]ContextAttributes{
		"nike":   {NumericAttributes: map[string]float64{"brand_affinity": 1.5}, CategoricalAttributes: map[string]string{"loyalty_tier": "silver"}},
		"adidas": {NumericAttributes: map[string]float64{"brand_affinity": -1}, CategoricalAttributes: map[string]string{"loyalty_tier": "bronze"}},
		"reebok": {},
	}
}

func TestBanditEventsAndOrder(t *testing.T) {
	c, rec := banditClient(t)
	subject := ContextAttributes{NumericAttributes: map[string]float64{"age": 30}, CategoricalAttributes: map[string]string{"country": "USA"}}
	actions := someActions()
	var r BanditResult
	var err error
	// Find a subject that lands on the bandit variation.
	for i := 0; i < 100; i++ {
		rec.assignments, rec.bandits = nil, nil
		r, err = c.GetBanditAction("banner_bandit_flag", fmt.Sprint("s", i), subject, actions, "default")
		if r.Action != nil {
			break
		}
	}
	if err != nil || r.Action == nil || r.Variation != "banner_bandit" {
		t.Fatalf("no subject got an action: %+v, %v", r, err)
	}
	if len(rec.bandits) != 1 {
		t.Fatalf("want 1 bandit event, got %d", len(rec.bandits))
	}
	e := rec.bandits[0]
	if e.FlagKey != "banner_bandit_flag" || e.BanditKey != "banner_bandit" || e.Action != *r.Action ||
		e.ModelVersion != "123" || e.ActionProbability <= 0 || e.ActionProbability > 1 || e.OptimalityGap < 0 ||
		e.SubjectCategoricalAttributes["country"] != "USA" || e.MetaData.SDKName != SDKName {
		t.Fatalf("unexpected bandit event %+v", e)
	}
	// The event owns copies: changing the caller's maps afterwards does not change it.
	subject.CategoricalAttributes["country"] = "changed"
	if e.SubjectCategoricalAttributes["country"] != "USA" {
		t.Fatal("bandit event shares the caller's map")
	}
	// The assignment event (flattened attributes) is logged too, before the bandit event.
	if len(rec.assignments) != 1 || rec.assignments[0].SubjectAttributes["age"] != float64(30) {
		t.Fatalf("assignment events: %+v", rec.assignments)
	}
}

func TestBanditDegradedPaths(t *testing.T) {
	c, rec := banditClient(t)
	none := ContextAttributes{}
	// An unknown flag links to no bandit: the default variation, no action, and the flag error.
	r, err := c.GetBanditAction("no-such-flag", "alice", none, someActions(), "banner_bandit")
	if r.Variation != "banner_bandit" || r.Action != nil || !errors.Is(err, ErrFlagNotFound) {
		t.Fatalf("unknown flag with plain default: %+v, %v", r, err)
	}
	// No actions for a bandit variation is a normal case: the variation, no action, no error; the details
	// say why no action was chosen.
	var subject string
	for i := 0; i < 100 && subject == ""; i++ {
		s := fmt.Sprint("n", i)
		if r, _ := c.GetBanditAction("banner_bandit_flag", s, none, someActions(), "default"); r.Action != nil {
			subject = s
		}
	}
	rec.bandits = nil
	for _, actions := range []map[string]ContextAttributes{nil, {}} {
		r, err := c.GetBanditAction("banner_bandit_flag", subject, none, actions, "default")
		if r.Variation != "banner_bandit" || r.Action != nil || err != nil {
			t.Fatalf("no actions (%#v): %+v, %v; want the variation, no action, no error", actions, r, err)
		}
		r, d, err := c.GetBanditActionDetails("banner_bandit_flag", subject, none, actions, "default")
		if r.Variation != "banner_bandit" || r.Action != nil || err != nil ||
			d.FlagEvaluationCode != CodeNoActionsSuppliedForBandit || d.FlagEvaluationDescription != "No actions supplied for bandit banner_bandit: no action chosen" {
			t.Fatalf("no actions, details: %+v, %v, %s %q", r, err, d.FlagEvaluationCode, d.FlagEvaluationDescription)
		}
	}
	if len(rec.bandits) != 0 {
		t.Fatalf("%d bandit events logged without actions", len(rec.bandits))
	}
	// Details name the bandit and the action when one was chosen.
	r, d, err := c.GetBanditActionDetails("banner_bandit_flag", subject, none, someActions(), "default")
	if err != nil || d.BanditKey == nil || *d.BanditKey != "banner_bandit" || d.BanditAction == nil || *d.BanditAction != *r.Action {
		t.Fatalf("details: %+v, %v", d, err)
	}
	// A flag linked to a bandit whose model is missing: the variation, no action, ErrBandit.
	flags := readFile(t, ufcDir(t)+"/bandit-flags-v1.json")
	cfg, err := NewConfiguration(flags, []byte(`{"bandits": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	c.SetConfiguration(cfg)
	r, err = c.GetBanditAction("banner_bandit_flag", subject, none, someActions(), "default")
	if r.Variation != "banner_bandit" || r.Action != nil || !errors.Is(err, ErrBandit) {
		t.Fatalf("missing model: %+v, %v", r, err)
	}
	// A non-STRING flag: type mismatch, the default variation.
	r, err = c.GetBanditAction("integer-flag-not-here", "alice", none, someActions(), "default")
	if r.Variation != "default" || r.Action != nil || err == nil {
		t.Fatalf("unknown flag: %+v, %v", r, err)
	}
}

func TestBanditPanickingLogger(t *testing.T) {
	c := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c.banditLogger = panickingLogger{}
	c.logger = slog.New(slog.DiscardHandler)
	got := 0
	for i := 0; i < 50; i++ {
		if r, _ := c.GetBanditAction("banner_bandit_flag", fmt.Sprint("p", i), ContextAttributes{}, someActions(), "default"); r.Action != nil {
			got++
		}
	}
	if got == 0 || c.LoggerPanics() != uint64(got) {
		t.Fatalf("actions %d, panics counted %d", got, c.LoggerPanics())
	}
}

func TestInferContextAttributes(t *testing.T) {
	got := InferContextAttributes(Attributes{"age": 30, "score": float32(1.5), "big": uint64(7), "country": "UK",
		"premium": true, "none": nil, "odd": struct{}{}, "area_code": 303})
	wantNum := map[string]float64{"age": 30, "score": 1.5, "big": 7, "area_code": 303}
	wantCat := map[string]string{"country": "UK", "premium": "true"}
	if fmt.Sprint(got.NumericAttributes) != fmt.Sprint(wantNum) || fmt.Sprint(got.CategoricalAttributes) != fmt.Sprint(wantCat) {
		t.Fatalf("got %v / %v", got.NumericAttributes, got.CategoricalAttributes)
	}
}

func TestCleanContextAttributes(t *testing.T) {
	got := CleanContextAttributes(
		map[string]any{"age": 25.0, "mistake": "oops", "flag": true, "nothing": nil, "n": 3},
		map[string]any{"area_code": 303.0, "zip": 81427, "ok": true, "country": "USA", "none": nil, "big": 1e21})
	wantNum := map[string]float64{"age": 25, "n": 3}
	wantCat := map[string]string{"area_code": "303", "zip": "81427", "ok": "true", "country": "USA", "big": "1000000000000000000000"}
	if fmt.Sprint(got.NumericAttributes) != fmt.Sprint(wantNum) || fmt.Sprint(got.CategoricalAttributes) != fmt.Sprint(wantCat) {
		t.Fatalf("got %v / %v", got.NumericAttributes, got.CategoricalAttributes)
	}
}

func benchActions(n, attrs int) map[string]ContextAttributes {
	actions := make(map[string]ContextAttributes, n)
	for i := 0; i < n; i++ {
		a := ContextAttributes{NumericAttributes: map[string]float64{}, CategoricalAttributes: map[string]string{}}
		for j := 0; j < attrs; j++ {
			if j%2 == 0 {
				a.NumericAttributes[fmt.Sprint("brand_affinity", j)] = float64(i * j)
			} else {
				a.CategoricalAttributes[fmt.Sprint("loyalty_tier", j)] = "gold"
			}
		}
		actions[fmt.Sprint("action-", i)] = a
	}
	// Actions the model knows, so scoring reads coefficients.
	actions["nike"] = ContextAttributes{NumericAttributes: map[string]float64{"brand_affinity": 1.2}, CategoricalAttributes: map[string]string{"loyalty_tier": "gold"}}
	return actions
}

func benchmarkBandit(b *testing.B, n, attrs int) {
	c := loadClient(b, "bandit-flags-v1.json", "bandit-models-v1.json")
	subject := ContextAttributes{NumericAttributes: map[string]float64{"age": 33}, CategoricalAttributes: map[string]string{"country": "USA", "gender_identity": "female"}}
	actions := benchActions(n-1, attrs)
	var key string
	for i := 0; i < 100 && key == ""; i++ {
		if r, _ := c.GetBanditAction("banner_bandit_flag", fmt.Sprint("b", i), subject, actions, "default"); r.Action != nil {
			key = fmt.Sprint("b", i)
		}
	}
	if key == "" {
		b.Fatal("no subject lands on the bandit")
	}
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := c.GetBanditAction("banner_bandit_flag", key, subject, actions, "default"); r.Action == nil {
			b.Fatal("no action")
		}
	}
}

// BenchmarkGetBanditAction: 10 actions of 3 attributes each, no logger.
func BenchmarkGetBanditAction(b *testing.B) { benchmarkBandit(b, 10, 3) }

func BenchmarkGetBanditAction10Actions30Attributes(b *testing.B) { benchmarkBandit(b, 10, 30) }

func BenchmarkGetBanditAction100Actions(b *testing.B) { benchmarkBandit(b, 100, 3) }

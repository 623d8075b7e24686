package eppotest_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/core/eppotest"
)

func TestBanditFlag(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("banner").
		Bandit("banner-bandit", eppotest.NewBandit().Action("nike", 2).Action("adidas", 1).Gamma(1e6)).
		ForAll("banner-bandit").ForSubject("user-0", "control"))
	var rec eppotest.Recorder
	client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))
	actions := map[string]core.ContextAttributes{"nike": {}, "adidas": {}, "puma": {}}

	// Gamma 1e6: an action one point behind is chosen with probability about 1e-6.
	for i := 1; i <= 50; i++ {
		subject := fmt.Sprintf("user-%d", i)
		r, d, err := client.GetBanditActionDetails("banner", subject, core.ContextAttributes{}, actions, "default")
		if err != nil || r.Variation != "banner-bandit" || r.Action == nil || *r.Action != "nike" {
			t.Fatalf("%s: %+v, %v; want banner-bandit choosing nike", subject, r, err)
		}
		if d.BanditKey == nil || *d.BanditKey != "banner-bandit" || *d.BanditAction != "nike" {
			t.Fatalf("%s details: bandit %v action %v", subject, d.BanditKey, d.BanditAction)
		}
	}
	events := rec.BanditActions()
	if len(events) != 50 || events[0].BanditKey != "banner-bandit" || events[0].Action != "nike" ||
		events[0].ModelVersion != eppotest.ModelVersion || events[0].ActionProbability < 0.99 {
		t.Errorf("%d bandit events, first %+v", len(events), events[0])
	}
	// A subject routed to another variation gets no action.
	if r, err := client.GetBanditAction("banner", "user-0", core.ContextAttributes{}, actions, "default"); err != nil ||
		r.Variation != "control" || r.Action != nil {
		t.Errorf("user-0: %+v, %v; want control without an action", r, err)
	}
	if len(td.BanditModels()) == 0 {
		t.Error("BanditModels is empty for a flag with a bandit")
	}
	if _, err := core.NewConfiguration(td.UFC(), td.BanditModels()); err != nil {
		t.Errorf("UFC and BanditModels do not parse together: %v", err)
	}
	// No bandit: no models.
	plain := eppotest.New()
	plain.Update(plain.Flag("f").ForAll("x"))
	if plain.BanditModels() != nil {
		t.Errorf("BanditModels without bandits = %s", plain.BanditModels())
	}
}

func TestBanditMisuse(t *testing.T) {
	td := eppotest.New()
	for name, b := range map[string]*eppotest.FlagBuilder{
		"INTEGER flag": td.Flag("f").Integer().Bandit("b", eppotest.NewBandit()),
		"nil model":    td.Flag("f").Bandit("b", nil),
		"NaN score":    td.Flag("f").Bandit("b", eppotest.NewBandit().Action("a", nan())),
	} {
		if msg := panicMessage(func() { td.Update(b) }); msg == "no panic" {
			t.Errorf("%s: Update accepted it", name)
		}
	}
	client := eppotest.NewClient(t, td)
	if _, err := client.GetStringAssignment("f", "u", nil, "d"); !errors.Is(err, core.ErrFlagNotFound) {
		t.Errorf("a rejected bandit flag was installed: %v", err)
	}
}

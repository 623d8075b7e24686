package openfeature

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

func TestSubjectAndAttributes(t *testing.T) {
	subject, attrs := subjectAndAttributes(of.FlattenedContext{
		of.TargetingKey: "user-1",
		"country":       "US",
		"beta":          true,
		"age":           int(42),
		"score":         float32(0.5),
		"visits":        uint64(7),
		"ratio":         json.Number("1.25"),
		"device":        map[string]any{"os": "ios", "screen": map[string]any{"width": int64(390)}, "tags": []string{"x"}},
		"tags":          []any{"a", "b"},
		"nothing":       nil,
		"when":          time.Unix(0, 0),
	})
	want := core.Attributes{
		"country":             "US",
		"beta":                true,
		"age":                 float64(42),
		"score":               float64(0.5),
		"visits":              float64(7),
		"ratio":               1.25,
		"device.os":           "ios",
		"device.screen.width": float64(390),
	}
	if subject != "user-1" || !reflect.DeepEqual(attrs, want) {
		t.Errorf("got %q, %v; want user-1, %v", subject, attrs, want)
	}

	if subject, attrs := subjectAndAttributes(of.FlattenedContext{of.TargetingKey: "only"}); subject != "only" || attrs != nil {
		t.Errorf("targeting key alone: %q, %v; want no attributes", subject, attrs)
	}
	if subject, _ := subjectAndAttributes(of.FlattenedContext{of.TargetingKey: 12}); subject != "" {
		t.Errorf("a non-string targeting key became subject %q", subject)
	}
}

type (
	tier  string
	level int
)

func TestNamedTypesAndNilClient(t *testing.T) {
	_, attrs := subjectAndAttributes(of.FlattenedContext{"tier": tier("gold"), "level": level(3)})
	if want := (core.Attributes{"tier": "gold", "level": float64(3)}); !reflect.DeepEqual(attrs, want) {
		t.Errorf("named types: %v, want %v", attrs, want)
	}

	p := NewProvider(nil)
	if err := p.InitWithContext(context.Background(), of.EvaluationContext{}); err == nil {
		t.Error("Init with a nil client returned nil")
	}
	res := p.IntEvaluation(context.Background(), "f", 9, of.FlattenedContext{of.TargetingKey: "u"})
	if res.Value != 9 || res.Reason != of.ErrorReason || res.ResolutionDetail().ErrorCode != of.ProviderFatalCode {
		t.Errorf("nil client evaluation: %+v; want the default and PROVIDER_FATAL", res)
	}
	if err := p.ShutdownWithContext(context.Background()); err != nil {
		t.Error(err)
	}
}

package openfeature_test

import (
	"context"
	"fmt"

	eppoof "github.com/eppokit/eppokit/adapters/openfeature"
	"github.com/eppokit/eppokit/core"
	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
)

const exampleFlags = `{"environment": {"name": "production"}, "flags": {"new-checkout": {
  "key": "new-checkout", "enabled": true, "variationType": "BOOLEAN",
  "variations": {"on": {"key": "on", "value": true}, "off": {"key": "off", "value": false}},
  "allocations": [{"key": "beta-testers", "doLog": true,
    "rules": [{"conditions": [{"attribute": "plan", "operator": "ONE_OF", "value": ["beta"]}]}],
    "splits": [{"variationKey": "on", "shards": []}]}]}}}`

func ExampleNewProvider() {
	cfg, err := core.NewConfiguration([]byte(exampleFlags), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// In production: core.Config{APIKey: ..., AssignmentLogger: a batching pipeline}.
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		fmt.Println(err)
		return
	}

	api := isolated.NewAPI()
	ctx := context.Background()
	// WithOwnedClient: shutting OpenFeature down closes the client (and the pipelines passed to it).
	if err := api.SetProviderAndWait(ctx, eppoof.NewProvider(client, eppoof.WithOwnedClient())); err != nil {
		fmt.Println(err)
		return
	}
	defer api.Shutdown(ctx)

	flags := api.NewClient()
	details, err := flags.BooleanValueDetails(ctx, "new-checkout", false,
		openfeature.NewEvaluationContext("user-1", map[string]any{"plan": "beta"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	setID, _ := details.FlagMetadata.GetString("flagSetId")
	fmt.Println(details.Value, details.Variant, details.Reason, setID)

	details, _ = flags.BooleanValueDetails(ctx, "new-checkout", false,
		openfeature.NewEvaluationContext("user-2", map[string]any{"plan": "free"}))
	fmt.Println(details.Value, details.Reason)
	// Output:
	// true on TARGETING_MATCH production
	// false DEFAULT
}

package core_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/eppokit/eppokit/core"
)

// A client that keeps its configuration fresh from the CDN (here a local stand-in serving one flag).
func ExampleClient_WaitForInitialization() {
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, `{"environment": {"name": "Production"}, "flags": {"greeting": {"key": "greeting",
			"enabled": true, "variationType": "STRING", "totalShards": 10000,
			"variations": {"hello": {"key": "hello", "value": "hello"}},
			"allocations": [{"key": "all", "splits": [{"variationKey": "hello", "shards": []}], "doLog": false}]}}}`)
	}))
	defer cdn.Close()

	client, err := core.NewClient(core.Config{
		APIKey:       "my-sdk-key",
		BaseURL:      cdn.URL + "/api", // default: Eppo's CDN
		PollInterval: time.Minute,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.WaitForInitialization(ctx); err != nil {
		fmt.Println("no configuration yet:", err) // assignments return defaults meanwhile
		return
	}
	// Later changes (every PollInterval, jittered) are announced off the assignment path.
	client.OnConfigurationChange(func(old, new core.ConfigurationInfo) {
		slog.Info("configuration changed", "from", old.ETag, "to", new.ETag)
	})
	greeting, _ := client.GetStringAssignment("greeting", "user-1", nil, "hi")
	info := client.ConfigurationInfo()
	fmt.Println(greeting, info.Source, info.Environment, info.ETag, info.Flags)
	// Output: hello cdn Production "v1" 1
}

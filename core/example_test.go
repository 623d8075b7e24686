package core_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/eppokit/eppokit/core"
)

func ExampleNewConfiguration() {
	flags, err := os.ReadFile("../testdata/sdk-test-data/ufc/flags-v1.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := core.NewConfiguration(flags, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Environment(), len(cfg.FlagKeys()), "flags")
	// Output: Test 22 flags
}

func ExampleNewClient() {
	flags, _ := os.ReadFile("../testdata/sdk-test-data/ufc/flags-v1.json")
	cfg, err := core.NewConfiguration(flags, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// No API key: fully offline, no goroutine, no network.
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := client.GetIntegerAssignment("integer-flag", "alice", core.Attributes{"country": "US"}, 0)
	fmt.Println(n, err)
	// Output: 3 <nil>
}

func ExampleClient_GetStringAssignment() {
	flags, _ := os.ReadFile("../testdata/sdk-test-data/ufc/flags-v1.json")
	cfg, _ := core.NewConfiguration(flags, nil)
	client, _ := core.NewClient(core.Config{InitialConfiguration: cfg})

	variant, err := client.GetStringAssignment("new-user-onboarding", "alice",
		core.Attributes{"email": "alice@mycompany.com", "country": "US"}, "control")
	fmt.Println(variant, err)

	// Unknown flags serve the default, with an error the caller can branch on.
	variant, err = client.GetStringAssignment("no-such-flag", "alice", nil, "control")
	fmt.Println(variant, errors.Is(err, core.ErrFlagNotFound))
	// Output:
	// green <nil>
	// control true
}

// Command quickstart evaluates the bundled configuration for a set of subjects, offline.
package main

import (
	"fmt"
	"os"

	"github.com/eppokit/eppokit/core"
)

func main() {
	flags, err := os.ReadFile("testdata/sdk-test-data/ufc/flags-v1.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	cfg, err := core.NewConfiguration(flags, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	for i := 0; i < 10; i++ {
		subject := fmt.Sprintf("user-%d", i)
		v, _ := client.GetStringAssignment("new-user-onboarding", subject, core.Attributes{"country": "US"}, "default")
		fmt.Printf("%s\t%s\n", subject, v)
	}
}

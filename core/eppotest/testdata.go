package eppotest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/eppokit/eppokit/core"
)

// TestData is a set of flags that tests change with [TestData.Update] and clients from [NewClient]
// serve. It is safe for concurrent use. Give each test its own: a TestData shares nothing with another.
type TestData struct {
	mu      sync.Mutex
	flags   map[string]*FlagBuilder // the builders last given to Update, by flag key
	ufc     []byte
	bandits []byte // bandit models; nil when no flag has a bandit
	config  *core.Configuration
	clients map[*core.Client]struct{}
}

// New returns a TestData with no flags: every flag is unknown until an Update adds it.
func New() *TestData {
	td := &TestData{flags: map[string]*FlagBuilder{}, clients: map[*core.Client]struct{}{}}
	td.rebuild()
	return td
}

// Flag returns a builder for the flag key that starts from the last builder given to Update for that
// key (so td.Flag("f").ForSubject(...) adds to what f already does), or from a new flag: enabled, with
// no variations and no allocations.
func (td *TestData) Flag(key string) *FlagBuilder {
	td.mu.Lock()
	defer td.mu.Unlock()
	if b, ok := td.flags[key]; ok {
		return b.clone()
	}
	b := newFlagBuilder(key)
	if key == "" {
		b.fail("Flag", errors.New("the flag key is empty"))
	}
	return b
}

// Update installs the flag the builder describes, replacing any flag with its key, on every client of
// this TestData at once: each serves the new configuration from its next assignment and calls its
// OnConfigurationChange listeners once. Changing the builder afterwards has no effect until the next
// Update.
//
// Update panics if the builder was used wrongly (see [FlagBuilder]): that is a mistake in the test,
// reported with the call that made it, like regexp.MustCompile does for a bad literal.
func (td *TestData) Update(b *FlagBuilder) {
	if b == nil {
		panic("eppotest: Update(nil): pass a builder from TestData.Flag")
	}
	if b.err != nil {
		panic(b.err.Error())
	}
	td.mu.Lock()
	defer td.mu.Unlock()
	td.flags[b.key] = b.clone()
	td.rebuild()
	for c := range td.clients {
		c.SetConfiguration(td.config)
	}
}

// rebuild encodes the flags and parses them with core, as a client parses a configuration from Eppo.
func (td *TestData) rebuild() {
	ufc, bandits := encodeUFC(td.flags)
	cfg, err := core.NewConfiguration(ufc, bandits)
	if err == nil {
		errs := cfg.FlagErrors()
		for _, key := range slices.Sorted(maps.Keys(errs)) {
			err = errors.Join(err, errs[key])
		}
		if linked := cfg.ReferencedBanditVersions(); len(cfg.BanditKeys()) != len(linked) {
			err = errors.Join(err, fmt.Errorf("bandits %v compiled, flags link %v", cfg.BanditKeys(), linked))
		}
	}
	if err != nil { // the builders only emit what core accepts; TestUFCRoundTrips holds them to it
		panic("eppotest: core rejected the generated configuration: " + err.Error())
	}
	td.ufc, td.bandits, td.config = ufc, bandits, cfg
}

// UFC returns the current flags as Universal Flag Configuration JSON (the body of Eppo's
// /flag-config/v1/config), for tests that want a file or a fake CDN. The same updates give the same bytes.
func (td *TestData) UFC() []byte {
	td.mu.Lock()
	defer td.mu.Unlock()
	return bytes.Clone(td.ufc)
}

// BanditModels returns the bandit models of the current flags, as Eppo's /flag-config/v1/bandits
// response, or nil when no flag has a bandit.
func (td *TestData) BanditModels() []byte {
	td.mu.Lock()
	defer td.mu.Unlock()
	return bytes.Clone(td.bandits)
}

// Configuration returns the current flags parsed by core, for a client built without [NewClient]. Such a
// client does not follow later updates.
func (td *TestData) Configuration() *core.Configuration {
	td.mu.Lock()
	defer td.mu.Unlock()
	return td.config
}

// attach builds a client serving the current configuration and registers it for updates, atomically,
// so no update falls between the two.
func (td *TestData) attach(cfg core.Config) (*core.Client, error) {
	td.mu.Lock()
	defer td.mu.Unlock()
	cfg.InitialConfiguration = td.config
	c, err := core.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	td.clients[c] = struct{}{}
	return c, nil
}

func (td *TestData) detach(c *core.Client) {
	td.mu.Lock()
	defer td.mu.Unlock()
	delete(td.clients, c)
}

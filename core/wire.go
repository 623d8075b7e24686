package core

import "encoding/json"

// The JSON shapes of Eppo's Universal Flag Configuration (UFC), decoded once and then compiled.

type wireConfig struct {
	CreatedAt   string `json:"createdAt"`
	Format      string `json:"format"`
	Environment struct {
		Name string `json:"name"`
	} `json:"environment"`
	Flags map[string]json.RawMessage `json:"flags"`
	// The flag-to-bandit links, decoded entry by entry (see compileBanditLinks) so that one entry of the
	// wrong shape disables only the flags it links.
	Bandits          json.RawMessage `json:"bandits"`
	BanditReferences json.RawMessage `json:"banditReferences"`
}

type wireBanditVariation struct {
	Key            string `json:"key"`
	FlagKey        string `json:"flagKey"`
	VariationKey   string `json:"variationKey"`
	VariationValue string `json:"variationValue"`
}

type wireBanditReference struct {
	ModelVersion   json.RawMessage `json:"modelVersion"`
	FlagVariations json.RawMessage `json:"flagVariations"`
}

type wireFlag struct {
	Key           string                   `json:"key"`
	Enabled       bool                     `json:"enabled"`
	VariationType string                   `json:"variationType"`
	Variations    map[string]wireVariation `json:"variations"`
	Allocations   []wireAllocation         `json:"allocations"`
	TotalShards   *int64                   `json:"totalShards"`
}

type wireVariation struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type wireAllocation struct {
	Key     string      `json:"key"`
	Rules   []wireRule  `json:"rules"`
	StartAt *string     `json:"startAt"`
	EndAt   *string     `json:"endAt"`
	Splits  []wireSplit `json:"splits"`
	DoLog   *bool       `json:"doLog"`
}

type wireRule struct {
	Conditions []wireCondition `json:"conditions"`
}

type wireCondition struct {
	Attribute string          `json:"attribute"`
	Operator  string          `json:"operator"`
	Value     json.RawMessage `json:"value"`
}

type wireSplit struct {
	VariationKey string            `json:"variationKey"`
	Shards       []wireShard       `json:"shards"`
	ExtraLogging map[string]string `json:"extraLogging"`
}

type wireShard struct {
	Salt   string      `json:"salt"`
	Ranges []wireRange `json:"ranges"`
}

type wireRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

package core

import "encoding/json"

// banditModels is a placeholder until the bandit engine is wired in.
type banditModels struct{}

func parseBanditModels(data []byte) (*banditModels, error) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return &banditModels{}, nil
}

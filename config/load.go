package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads a YAML configuration file strictly: an unknown key is an
// error that names it and its line. Defaults are not applied; see SetDefaults.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data)
}

// Parse decodes a YAML configuration strictly, like Load.
func Parse(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &c, nil
}

// ParseHSMSpec parses the value of a --hsm flag (docs/spec/cli.md):
// NAME=HOST:PORT[,pair=P][,cps=N][,conns=N][,header-len=N][,inflight=N][,probes=NC|NC+NO]. The result is
// checked by Validate like any HSM of the file.
func ParseHSMSpec(spec string) (HSM, error) {
	var h HSM
	name, rest, ok := strings.Cut(spec, "=")
	if !ok || name == "" {
		return h, errors.New("config: --hsm: want NAME=HOST:PORT[,pair=P][,cps=N][,conns=N][,header-len=N][,inflight=N][,probes=NC|NC+NO]")
	}
	h.Name = name
	parts := strings.Split(rest, ",")
	h.Addr = parts[0]
	for _, opt := range parts[1:] {
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			return h, fmt.Errorf("config: --hsm %s: option %q: want KEY=VALUE", name, k)
		}
		switch k {
		case "pair":
			h.Pair = v
			continue
		case "probes":
			h.Probes = strings.Split(v, "+")
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return h, fmt.Errorf("config: --hsm %s: %s: not a number", name, k)
		}
		switch k {
		case "cps":
			h.CPS = n
		case "conns":
			h.Conns = n
		case "header-len":
			h.HeaderLen = Int(n)
		case "inflight":
			h.MaxInFlight = n
		default:
			return h, fmt.Errorf("config: --hsm %s: unknown option %q", name, k)
		}
	}
	return h, nil
}

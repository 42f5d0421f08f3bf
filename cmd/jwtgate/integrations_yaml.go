package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/jwtgate/jwtgate/internal/yamlconfig"
)

// policyFileOf writes stored integrations as a policy file, the form
// jwtgate serve --config and jwtgate integrations apply read: one entry
// of integrations each, named TENANT--NAME as the server names it, with
// its tenant; its service settings under service.integrations. Secrets
// stay as the views give them, fingerprint placeholders.
func policyFileOf(views []integrationView) ([]byte, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	settings := &yaml.Node{Kind: yaml.MappingNode}
	for _, v := range views {
		entry, err := jsonNode(v.Policy)
		if err != nil || entry.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("integration %s/%s: the server's policy document is not an object", v.Tenant, v.Name)
		}
		entry.Content = append([]*yaml.Node{scalar("name"), scalar(v.Integration), scalar("tenant"), scalar(v.Tenant)}, entry.Content...)
		list.Content = append(list.Content, entry)
		if len(v.Service) == 0 || string(v.Service) == "null" {
			continue
		}
		svc, err := jsonNode(v.Service)
		if err != nil {
			return nil, fmt.Errorf("integration %s/%s: the server's service settings do not parse", v.Tenant, v.Name)
		}
		settings.Content = append(settings.Content, scalar(v.Integration), svc)
	}
	top := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("integrations"), list}}
	if len(settings.Content) > 0 {
		service := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("integrations"), settings}}
		top.Content = append(top.Content, scalar("service"), service)
	}
	if len(list.Content) == 0 {
		list.Style = yaml.FlowStyle // integrations: []
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2) // as the documentation's policy files are written
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsonNode parses one JSON value as a block-style YAML node (JSON is
// YAML; only its flow style and quotes are dropped, the encoder quoting
// again whatever would read as another type).
func jsonNode(raw json.RawMessage) (*yaml.Node, error) {
	n, err := yamlconfig.ParseJSON(raw)
	if err != nil {
		return nil, err
	}
	blockStyle(n)
	return n, nil
}

// blockStyle clears the style of n and everything under it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

package main

import (
	"io"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

// writeManifest writes the Slack app manifest (bot/manifest, the one source
// of the bot's scopes and events) as YAML with a usage header.
func writeManifest(w io.Writer) error {
	return manifest.Default().WriteYAML(w)
}

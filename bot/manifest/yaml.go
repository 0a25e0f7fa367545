package manifest

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// header explains how to use the rendered manifest.
const header = `# Slack app manifest for incidentbot (Socket Mode).
# Create the app at https://api.slack.com/apps > Create New App > From an app manifest,
# paste this, install it to the workspace, then:
#   SLACK_BOT_TOKEN: OAuth & Permissions > Bot User OAuth Token (xoxb-...)
#   SLACK_APP_TOKEN: Basic Information > App-Level Tokens > Generate, scope connections:write (xapp-...)
`

// WriteYAML writes m as YAML, two-space indented, after a comment header
// that says how to create the app from it.
func (m Manifest) WriteYAML(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

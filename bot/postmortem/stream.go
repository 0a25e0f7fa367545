package postmortem

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Walker visits incidents one at a time with their timelines: the store's
// ForEachIncident, a streaming read of the whole database in one snapshot.
type Walker func(ctx context.Context, fn func(inc *incident.Incident, events []incident.Event) error) error

// WriteExport writes every incident walk visits to w as it comes, never
// holding more than one incident in memory: Markdown drafts separated by
// rules (format "md"), or a JSON array of incidentbot.export/v1 documents
// (format "json"). It returns how many incidents it wrote.
func WriteExport(ctx context.Context, w io.Writer, format string, walk Walker, o Options) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	var err error
	switch format {
	case "md":
		err = walk(ctx, func(inc *incident.Incident, evs []incident.Event) error {
			md, err := Draft(inc, evs, o)
			if err != nil {
				return err
			}
			if n > 0 {
				bw.WriteString("\n---\n\n")
			}
			n++
			_, err = bw.WriteString(md)
			return err
		})
	case "json":
		bw.WriteString("[")
		err = walk(ctx, func(inc *incident.Incident, evs []incident.Event) error {
			data, err := json.MarshalIndent(Export(inc, evs, o), "  ", "  ")
			if err != nil {
				return err
			}
			if n > 0 {
				bw.WriteString(",")
			}
			n++
			bw.WriteString("\n  ")
			_, err = bw.Write(data)
			return err
		})
		if n > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString("]\n")
	default:
		return 0, fmt.Errorf("export format %q: use md or json", format)
	}
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

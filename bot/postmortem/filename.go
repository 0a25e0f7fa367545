package postmortem

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// FileName names the postmortem of inc:
// "YYYY-MM-DD-inc-<number>-<slug>.md", dated by DeclaredAt in UTC.
func FileName(inc *incident.Incident) string {
	return fmt.Sprintf("%s-inc-%d-%s.md", inc.DeclaredAt.UTC().Format(time.DateOnly), inc.ID, incident.Slug(inc.Title))
}

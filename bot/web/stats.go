package web

import (
	"encoding/json"
	"net/http"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// serveStats answers /admin/stats: the figures as JSON. Errors coded
// EINVALID are the caller's (a bad query) and answer 400 with their
// message.
func serveStats(w http.ResponseWriter, r *http.Request, o Options) {
	v, err := o.Stats(r.Context(), r.URL.Query())
	switch {
	case incident.ErrorCode(err) == incident.EINVALID:
		http.Error(w, incident.ErrorMessage(err), http.StatusBadRequest)
		return
	case err != nil:
		o.Logger.Error("serve stats", "err", err)
		http.Error(w, "the figures could not be read (see the bot's log)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		o.Logger.Warn("stats download abandoned", "remote", r.RemoteAddr, "err", err)
	}
}

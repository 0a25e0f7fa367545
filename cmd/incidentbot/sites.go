package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/config"
	botmail "github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/reports"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
	"github.com/incidentbot/incidentbot/bot/statuspage"
	"github.com/incidentbot/incidentbot/bot/web"
	"github.com/incidentbot/incidentbot/store"
)

// publicOptions builds the bot's status page, stakeholder and email
// options; keep_informed channels given by "#name" are resolved with api.
func publicOptions(ctx context.Context, api *slack.Client, cfg config.Config) (bot.PublicOptions, error) {
	o := bot.PublicOptions{
		StatusPage:       cfg.StatusPage.Listen != "",
		StatusPageURL:    cfg.StatusPage.PublicURL,
		ReportsURL:       cfg.Reports.PublicURL,
		PublishByDefault: cfg.StatusPage.PublishByDefault,
	}
	for i, g := range cfg.Stakeholders.Groups {
		channel := g.Channel
		if channel != "" {
			ids, err := resolveChannels(ctx, api, fmt.Sprintf("stakeholders.groups[%d].channel", i), []string{channel})
			if err != nil {
				return o, err
			}
			channel = ids[0]
		}
		o.Groups = append(o.Groups, stakeholders.NewGroup(g.Name, stakeholders.Tier(g.Tier), g.Members, channel, g.Severities).WithEmail(g.Email))
	}
	if e := cfg.Email; e.Host != "" {
		port, err := botmail.Port(e.Port)
		if err != nil {
			return o, fmt.Errorf("email.port: %w", err)
		}
		sender, err := botmail.New(botmail.Config{Host: e.Host, Port: port, Security: botmail.Security(e.Security), Username: e.Username, Password: e.Password, From: e.From})
		if err != nil {
			return o, fmt.Errorf("email: %w", err)
		}
		o.Mail = sender
		if a, err := mail.ParseAddress(e.From); err == nil {
			_, o.MailDomain, _ = strings.Cut(a.Address, "@")
		}
	}
	return o, nil
}

// serveSites starts the public status page and the internal reports site,
// each on its own address (statuspage.listen, reports.listen), until ctx
// ends; stop waits for them to shut down.
func serveSites(ctx context.Context, cfg config.Config, db *store.DB, app *bot.App, log *slog.Logger) (stop func(), err error) {
	var servers []*web.Server
	stop = func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
		defer cancel()
		for _, s := range servers {
			s.Shutdown(sctx)
		}
	}
	if sp := cfg.StatusPage; sp.Listen != "" {
		src := publish.NewStatusSource(publish.StatusOptions{Store: db, Name: sp.Name, Severities: cfg.SeverityNames()})
		page, err := statuspage.New(statuspage.Options{Source: src, Location: cfg.Location(), PublicURL: sp.PublicURL, Logger: log.With("component", "statuspage")})
		if err != nil {
			return stop, fmt.Errorf("statuspage: %w", err)
		}
		srv, err := web.ListenAs("statuspage.listen", sp.Listen, mount(sp.Path, page), log.With("component", "statuspage"), web.Timeouts{})
		if err != nil {
			return stop, err
		}
		servers = append(servers, srv)
		log.Info("status page listening", "addr", srv.Addr(), "path", sp.Path)
	}
	if r := cfg.Reports; r.Listen != "" {
		src := publish.NewReportSource(publish.ReportOptions{Store: db, Postmortem: app.PostmortemOptions})
		site, err := reports.New(reports.Options{Source: src, Location: cfg.Location(), Severities: cfg.SeverityNames(), Logger: log.With("component", "reports")})
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("reports: %w", err)
		}
		srv, err := web.ListenAs("reports.listen", r.Listen, mount(r.Path, site), log.With("component", "reports"), web.Timeouts{})
		if err != nil {
			stop()
			return func() {}, err
		}
		servers = append(servers, srv)
		log.Info("reports site listening (put it behind your SSO proxy)", "addr", srv.Addr(), "path", r.Path)
	}
	return stop, nil
}

// mount serves h under path ("/x/"): "/x" redirects to "/x/".
func mount(path string, h http.Handler) http.Handler {
	if path == "/" || path == "" {
		return h
	}
	prefix := strings.TrimSuffix(path, "/")
	mux := http.NewServeMux()
	mux.Handle(path, http.StripPrefix(prefix, h))
	mux.Handle(prefix, http.RedirectHandler(path, http.StatusMovedPermanently))
	return mux
}

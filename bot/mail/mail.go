// Package mail sends incidentbot's email over SMTP, with
// github.com/wneessen/go-mail (a maintained client that does STARTTLS,
// implicit TLS, SMTP authentication and multipart MIME correctly, which
// net/smtp leaves to its caller).
//
// What SMTP can and cannot guarantee. A message is accepted once the server
// answers 250 to the end of its DATA; from then on the server owns it. If
// the connection breaks after the client sent the final "." but before it
// read that 250 (a timeout, a crash of either side), the client cannot
// know whether the server took the message, and SMTP has no way to ask.
// So SMTP delivery is at-least-once at best: a sender that never retries
// loses mail, one that retries may send it twice. incidentbot retries
// (every mail is an outbox effect, sent until a definite answer), and
// makes a repeat recognisable instead: the Message-ID of each mail is
// derived from its outbox effect, so a retry carries the same Message-ID
// as the attempt whose answer was lost. Mail clients and many servers
// (Gmail, for one) collapse messages with the same Message-ID, and a
// person who sees two can tell they are one. Nothing in SMTP lets a
// sender do better.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Security is how the connection to the server is protected.
type Security string

// The modes of Config.Security.
const (
	// StartTLS upgrades a plain connection (port 587) and refuses a
	// server that does not offer STARTTLS.
	StartTLS Security = "starttls"
	// TLS speaks TLS from the first byte (SMTPS, port 465).
	TLS Security = "tls"
	// None sends in clear: only for a relay on localhost.
	None Security = "none"
)

// Config configures a Sender.
type Config struct {
	Host     string
	Port     int
	Security Security
	// Username and Password authenticate (PLAIN, LOGIN or CRAM-MD5, as the
	// server offers); an empty Username sends without authentication.
	Username, Password string
	// From is the sender: "incidents@example.com" or
	// "Acme incidents <incidents@example.com>".
	From string
	// TLSConfig overrides the TLS settings (tests trust their own
	// certificate authority with it); nil verifies Host against the
	// system's roots.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each command (default 30 s).
	Timeout time.Duration
}

// Message is one email.
type Message struct {
	// ID is the Message-ID, without angle brackets: derive it from what
	// the mail is (its outbox effect), so that a repeat is recognisable.
	ID      string
	To      string
	Subject string
	// Text and HTML are the two alternative bodies.
	Text, HTML string
	// Date is the Date header.
	Date time.Time
}

// Sender sends email through one SMTP server. It is safe for concurrent
// use: each Send opens its own connection (incidentbot sends a few mails
// an incident, not a newsletter).
type Sender struct {
	c Config
}

// New checks c and returns a Sender; the error names the bad setting.
func New(c Config) (*Sender, error) {
	switch {
	case c.Host == "":
		return nil, errors.New("mail: no SMTP host")
	case c.Port < 1 || c.Port > 65535:
		return nil, fmt.Errorf("mail: port %d is not a port", c.Port)
	case c.From == "":
		return nil, errors.New("mail: no sender address")
	}
	switch c.Security {
	case StartTLS, TLS, None:
	default:
		return nil, fmt.Errorf("mail: security %q is not starttls, tls or none", c.Security)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return &Sender{c: c}, nil
}

// ErrRejected wraps a permanent refusal (a 5xx answer: an unknown
// recipient, a message refused, authentication refused): sending again
// would fail the same way.
var ErrRejected = errors.New("the SMTP server refused the message")

// Send sends m and returns once the server accepted it. An error wrapping
// ErrRejected is permanent; any other may be temporary (a 4xx answer, a
// network failure) and may have been sent anyway (see the package doc):
// retry with the same Message.ID.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.c.From); err != nil {
		return fmt.Errorf("%w: sender %q: %v", ErrRejected, s.c.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: recipient %q: %v", ErrRejected, m.To, err)
	}
	msg.Subject(m.Subject)
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID)
	}
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	// Automated mail: no out-of-office replies to the bot.
	msg.SetBulk()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}

	opts := []gomail.Option{gomail.WithPort(s.c.Port), gomail.WithTimeout(s.c.Timeout)}
	tlsConf := s.c.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: s.c.Host, MinVersion: tls.VersionTLS12}
	}
	switch s.c.Security {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsConf))
	case TLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tlsConf))
	case None:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.c.Username), gomail.WithPassword(s.c.Password))
	}
	client, err := gomail.NewClient(s.c.Host, opts...)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// classify marks permanent failures: a 5xx answer from the server.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
	}
	return fmt.Errorf("send mail: %w", err)
}

// Port parses a port number from config.
func Port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port", s)
	}
	return n, nil
}

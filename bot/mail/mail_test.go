package mail_test

import (
	"context"
	"errors"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/mail/mailtest"
)

func MustSender(tb testing.TB, srv *mailtest.Server, sec mail.Security) *mail.Sender {
	tb.Helper()
	s, err := mail.New(mail.Config{Host: srv.Host, Port: srv.Port, Security: sec, From: "Acme incidents <incidents@example.com>", TLSConfig: srv.TLSConfig, Timeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

var msg = mail.Message{
	ID: "incidentbot.test.42@example.com", To: "cto@example.com", Subject: "[Incident #42 · major] Checkout fails — update",
	Text: "Update on incident #42 (identified):\n\nWe found the cause.\n", HTML: "<p>Update on incident #42 (identified):</p>\n<p>We found the cause.</p>\n",
	Date: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC),
}

// TestSender_Modes sends through a real SMTP server in each security mode
// and reads what it received.
func TestSender_Modes(t *testing.T) {
	for _, tc := range []struct {
		mode mailtest.Mode
		sec  mail.Security
	}{{mailtest.Plain, mail.None}, {mailtest.StartTLS, mail.StartTLS}, {mailtest.TLS, mail.TLS}} {
		t.Run(string(tc.sec), func(t *testing.T) {
			srv := mailtest.Start(t, tc.mode)
			if err := MustSender(t, srv, tc.sec).Send(ctx(t), msg); err != nil {
				t.Fatal(err)
			}
			got, err := srv.Wait(ctx(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mailtest.Parse(got[0])
			if err != nil {
				t.Fatalf("%v:\n%s", err, got[0])
			}
			for k, want := range map[string]string{
				"Message-Id": "<incidentbot.test.42@example.com>", "To": "<cto@example.com>",
				"Subject": msg.Subject, "Precedence": "bulk",
			} {
				if got := p.Header.Get(k); !strings.Contains(decodeHeader(got), want) {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if from, _ := p.Header.AddressList("From"); len(from) != 1 || from[0].Address != "incidents@example.com" || from[0].Name != "Acme incidents" {
				t.Errorf("From = %v", from)
			}
			if p.Text != msg.Text || p.HTML != msg.HTML {
				t.Errorf("bodies:\n%q\n%q", p.Text, p.HTML)
			}
		})
	}
}

// TestSender_StartTLSRequired refuses to send in clear to a server that
// offers no STARTTLS.
func TestSender_StartTLSRequired(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Plain)
	if err := MustSender(t, srv, mail.StartTLS).Send(ctx(t), msg); err == nil {
		t.Fatal("sent without TLS to a server without STARTTLS")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}

// TestSender_Retry sends a mail again, as the outbox does after an
// ambiguous failure: both copies carry the same Message-ID, so the
// recipient's client can tell them one.
func TestSender_Retry(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Plain)
	s := MustSender(t, srv, mail.None)
	for range 2 {
		if err := s.Send(ctx(t), msg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := srv.Wait(ctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := mailtest.Parse(got[0])
	b, _ := mailtest.Parse(got[1])
	if a.Header.Get("Message-Id") != b.Header.Get("Message-Id") {
		t.Errorf("a retry changed the Message-ID: %s, %s", a.Header.Get("Message-Id"), b.Header.Get("Message-Id"))
	}
}

func TestSender_Unreachable(t *testing.T) {
	s, err := mail.New(mail.Config{Host: "127.0.0.1", Port: 1, Security: mail.None, From: "a@example.com", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(ctx(t), msg)
	if err == nil || errors.Is(err, mail.ErrRejected) {
		t.Fatalf("a refused connection is %v; want a temporary error", err)
	}
}

func TestNew_Errors(t *testing.T) {
	for _, tc := range []struct {
		c    mail.Config
		want string
	}{
		{mail.Config{Port: 25, From: "a@b.c", Security: mail.None}, "no SMTP host"},
		{mail.Config{Host: "h", Port: 0, From: "a@b.c", Security: mail.None}, "port 0"},
		{mail.Config{Host: "h", Port: 25, Security: mail.None}, "no sender"},
		{mail.Config{Host: "h", Port: 25, From: "a@b.c", Security: "ssl"}, `security "ssl"`},
	} {
		if _, err := mail.New(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.c, err, tc.want)
		}
	}
}

func decodeHeader(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

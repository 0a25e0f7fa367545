// Package mailtest runs a real SMTP server for tests: Debian's aiosmtpd
// (python3 -m aiosmtpd), which prints every message it receives. Only tests
// import it.
package mailtest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/testtool"
)

// Mode is how the server protects connections.
type Mode string

// The modes: plain SMTP, STARTTLS (offered and required), implicit TLS.
const (
	Plain    Mode = "none"
	StartTLS Mode = "starttls"
	TLS      Mode = "tls"
)

// Server is a running aiosmtpd.
type Server struct {
	Host string
	Port int
	// TLSConfig trusts the server's certificate (nil for Plain).
	TLSConfig *tls.Config

	mu       sync.Mutex
	messages []string
	changed  chan struct{}
}

// python finds a python3 that has aiosmtpd: Debian's, which a pyenv shim
// in PATH may hide.
func python() (string, error) {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no python3 with aiosmtpd")
}

// Start runs aiosmtpd on 127.0.0.1 for the rest of t, in mode. It skips t
// when aiosmtpd is missing, unless INCIDENTBOT_REQUIRE_TOOLS=1 (CI), where
// it fails.
func Start(t *testing.T, mode Mode) *Server {
	t.Helper()
	py, err := python()
	if err != nil {
		testtool.Missing(t, "this test needs a real SMTP server: install Debian's python3-aiosmtpd (bash .ci/install.d/smtp.sh)")
	}
	port := freePort(t)
	s := &Server{Host: "127.0.0.1", Port: port, changed: make(chan struct{}, 1)}
	args := []string{"-m", "aiosmtpd", "-n", "-l", fmt.Sprintf("127.0.0.1:%d", port)}
	if mode != Plain {
		cert, key, pool := certificate(t)
		s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		if mode == TLS {
			args = append(args, "--smtpscert", cert, "--smtpskey", key)
		} else {
			args = append(args, "--tlscert", cert, "--tlskey", key)
		}
	}
	cmd := exec.Command(py, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start aiosmtpd: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.read(out)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-done
	})
	// Ready once it accepts connections.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd did not listen on port %d: %v\n%s", port, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read collects the messages the debugging handler prints between its
// markers.
func (s *Server) read(r interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var cur []string
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "MESSAGE FOLLOWS"):
			in, cur = true, nil
		case strings.Contains(line, "END MESSAGE"):
			in = false
			s.mu.Lock()
			s.messages = append(s.messages, strings.Join(cur, "\n"))
			s.mu.Unlock()
			select {
			case s.changed <- struct{}{}:
			default:
			}
		case in:
			cur = append(cur, line)
		}
	}
}

// Messages returns the messages received so far, each as printed: the
// headers (with X-Peer added by aiosmtpd), a blank line, the body; the
// MAIL options may come first (Parse skips them).
func (s *Server) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

// Wait waits until at least n messages arrived, or ctx ends.
func (s *Server) Wait(ctx context.Context, n int) ([]string, error) {
	for {
		if ms := s.Messages(); len(ms) >= n {
			return ms, nil
		}
		select {
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("%d of %d messages arrived: %w", len(s.Messages()), n, ctx.Err())
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// certificate writes a self-signed certificate for 127.0.0.1 and returns
// its files and a pool that trusts it.
func certificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// Parsed is a received message with its two bodies decoded.
type Parsed struct {
	Header     mail.Header
	Text, HTML string
}

// Parse reads a message as the server printed it.
func Parse(raw string) (*Parsed, error) {
	// With 8BITMIME the debugging handler prints the MAIL options first.
	if strings.HasPrefix(raw, "mail options:") {
		_, raw, _ = strings.Cut(raw, "\n\n")
	}
	m, err := mail.ReadMessage(strings.NewReader(raw + "\n"))
	if err != nil {
		return nil, fmt.Errorf("parse the message: %w", err)
	}
	p := &Parsed{Header: m.Header}
	err = walk(textproto.MIMEHeader(m.Header), m.Body, p)
	return p, err
}

func walk(h textproto.MIMEHeader, body io.Reader, p *Parsed) error {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("content type %q: %w", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(part.Header, part, p); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		p.Text = string(data)
	case "text/html":
		p.HTML = string(data)
	}
	return nil
}

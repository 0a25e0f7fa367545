package outbound

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections to Slack the client
// keeps: the bot's handlers and its outbound workers together are a
// small pool. net/http keeps 2 by default; past that, every burst of
// calls opens connections (TLS handshakes, in production) that are
// closed again after one call.
const MaxIdleConnsPerHost = 16

// HTTPClient returns the HTTP client for the Slack Web API client: each
// call, from dialling to the last byte of the answer, takes at most
// timeout.
func HTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * MaxIdleConnsPerHost
	tr.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return &http.Client{Timeout: timeout, Transport: tr}
}

package outbound_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/outbound"
)

func TestHTTPClient_Pool(t *testing.T) {
	hc := outbound.HTTPClient(10 * time.Second)
	tr := hc.Transport.(*http.Transport)
	if hc.Timeout != 10*time.Second || tr.MaxIdleConnsPerHost != outbound.MaxIdleConnsPerHost || tr.MaxIdleConns != 2*outbound.MaxIdleConnsPerHost || tr.Proxy == nil {
		t.Errorf("timeout %s, idle %d, idle per host %d, proxy from the environment: %v", hc.Timeout, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.Proxy != nil)
	}
	if tr == http.DefaultTransport {
		t.Error("the client shares net/http's default transport")
	}
}

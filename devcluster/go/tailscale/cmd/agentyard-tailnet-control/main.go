// Command agentyard-tailnet-control is the devcluster's local tailnet: Tailscale's own test control
// server with a DERP relay and a STUN server beside it, all on 127.0.0.1, as Tailscale's integration
// tests run them. Nodes must register with the pre-auth key it is given; MagicDNS names are
// <hostname>.<domain>. When ready it prints one JSON line (controlUrl, domain, derp and stun ports);
// it stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"tailscale.com/derp/derpserver"
	"tailscale.com/net/stunserver"
	"tailscale.com/tailcfg"
	"tailscale.com/tstest/integration/testcontrol"
	"tailscale.com/types/key"
	"tailscale.com/types/logger"
)

type ready struct {
	ControlURL string `json:"controlUrl"`
	Domain     string `json:"domain"`
	DERPPort   int    `json:"derpPort"`
	STUNPort   int    `json:"stunPort"`
}

func main() {
	authKey := flag.String("auth-key", "", "the pre-auth key every node must register with (required)")
	domain := flag.String("domain", "tailnet.agentyard.test", "the MagicDNS suffix")
	verbose := flag.Bool("verbose", false, "log every control request")
	flag.Parse()
	if *authKey == "" {
		log.Fatal("--auth-key is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	derpMap, derpPort, stunPort := runDERPAndSTUN(ctx)

	control := &testcontrol.Server{
		DERPMap:          derpMap,
		RequireAuthKey:   *authKey,
		MagicDNSDomain:   *domain,
		DNSConfig:        &tailcfg.DNSConfig{Proxied: true, Domains: []string{*domain}},
		AllNodesSameUser: true,
		AllOnline:        true,
		Verbose:          *verbose,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	control.ExplicitBaseURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: knownPaths(control), ErrorLog: log.Default()}
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()

	line, _ := json.Marshal(ready{ControlURL: control.BaseURL(), Domain: *domain, DERPPort: derpPort, STUNPort: stunPort})
	os.Stdout.Write(append(line, '\n'))

	<-ctx.Done()
	srv.Close()
}

// knownPaths answers 404 to what testcontrol does not serve: its catch-all panics in a goroutine,
// which would take the whole tailnet down on one stray request.
func knownPaths(control http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/generate_204", r.URL.Path == "/key", r.URL.Path == "/ts2021",
			strings.HasPrefix(r.URL.Path, "/machine/"), strings.HasPrefix(r.URL.Path, "/c2n/"):
			control.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// runDERPAndSTUN is integration.RunDERPAndSTUN without the testing.TB: a DERP relay over TLS and a
// STUN server, both on 127.0.0.1, and the map that points nodes at them.
func runDERPAndSTUN(ctx context.Context) (*tailcfg.DERPMap, int, int) {
	d := derpserver.New(key.NewNode(), logger.Discard)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	httpsrv := httptest.NewUnstartedServer(derpserver.Handler(d))
	httpsrv.Listener.Close()
	httpsrv.Listener = ln
	httpsrv.Config.ErrorLog = logger.StdLogger(logger.Discard)
	httpsrv.Config.TLSNextProto = make(map[string]func(*http.Server, *tls.Conn, http.Handler))
	httpsrv.StartTLS()

	stun := stunserver.New(ctx)
	if err := stun.Listen("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	go stun.Serve()
	stunPort := stun.LocalAddr().(*net.UDPAddr).Port
	derpPort := ln.Addr().(*net.TCPAddr).Port

	return &tailcfg.DERPMap{
		Regions: map[int]*tailcfg.DERPRegion{
			1: {
				RegionID:   1,
				RegionCode: "local",
				Nodes: []*tailcfg.DERPNode{{
					Name:             "local1",
					RegionID:         1,
					HostName:         "127.0.0.1",
					IPv4:             "127.0.0.1",
					IPv6:             "none",
					STUNPort:         stunPort,
					DERPPort:         derpPort,
					InsecureForTests: true,
					STUNTestIP:       "127.0.0.1",
				}},
			},
		},
	}, derpPort, stunPort
}

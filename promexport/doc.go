// Package promexport exposes a run's live figures in the Prometheus format, for a Prometheus
// server to scrape while the run goes (loadplan run --metrics-addr): requests, failures by
// class, latency and time-to-first-token histograms per request name, users, requests in
// flight, spent, reserved, the budget, the spend rate, the projected cost, and the latest
// values of the monitored series. It is fed the executor's Progress about once a second and
// builds the metrics when scraped, so that a run nobody scrapes pays for one pointer a
// second.
//
//	exp := promexport.New(planName, scenario)
//	cfg.LatencyBuckets = promexport.Buckets          // the histograms' bounds
//	cfg.OnProgress = exp.Update
//	srv, err := promexport.Listen("127.0.0.1:9464", exp.Handler())
//	defer srv.Close()
//
// Money is a decimal everywhere in loadplan but here: Prometheus samples are float64, so the
// USD figures are converted, once, when scraped.
package promexport

// Package livepage serves the live web page of a run (loadplan run --web): requests/s,
// failures/s and users over time, latency and time to first token over time, the cost
// meter against the budget, the per-request-name table, the failures and the events, pushed
// to the browser once a second with Server-Sent Events; and, once the run is over, its final
// HTML report. The page is self-contained: its CSS, script and charts come from this
// process (report's CSS and chart code); nothing is fetched from elsewhere.
//
// Two buttons change the run: stop (graceful, as an interrupt) and, in the closed model, the
// number of users. Both need the token the page was opened with (?token=), compared in
// constant time: without it they answer 403. The server never prints; the command wires it:
//
//	tok, _ := livepage.NewToken()
//	page := livepage.New(livepage.Options{Token: tok, Stop: stop, SetUsers: ctrl.SetUsers, ...})
//	srv := &http.Server{Handler: page.Handler()}
//	go srv.Serve(ln)
//	cfg.OnProgress = page.Update // never blocks: the page renders when a browser asks
//	sum, _ := executor.Run(ctx, cfg)
//	page.Finish(sum)            // streams say "end"; / serves the final report
package livepage

# Summarises bench/compare.sh's raw runs (runs.tsv, one run a line, a header first).
# Portable awk (mawk, gawk, busybox): no asort, no gensub.
#
#   awk -f summarise.awk runs.tsv
#
# Columns: target tool rep server_reqs wall_s rps rps_whole cpu_ms_per_1k user_s sys_s
# rss_mb steal_pct others_pct mock_cpu_pct exit client_reqs note. `rps` is the server's count over the middle of the
# run (the window that leaves out start-up and shut-down); `rps_whole` the count over the
# whole process lifetime.

BEGIN { FS = "\t" }

NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }

{
	t = $col["target"]; tool = $col["tool"]; rep = $col["rep"]
	if (!(t in seenT)) { seenT[t] = 1; targets[++nT] = t }
	if (!((t, tool) in seenTool)) { seenTool[t, tool] = 1; tools[t, ++nTool[t]] = tool }
	if (!((t, rep) in seenRep)) { seenRep[t, rep] = 1; reps[t, ++nRep[t]] = rep }
	k = ++n[t, tool]
	rps[t, tool, k] = $col["rps"]; cpu[t, tool, k] = $col["cpu_ms_per_1k"]
	rss[t, tool, k] = $col["rss_mb"]; steal[t, tool, k] = $col["steal_pct"]; oth[t, tool, k] = $col["others_pct"]
	byRep[t, tool, rep] = k
	repSteal[t, rep] += $col["steal_pct"]; repOth[t, rep] += $col["others_pct"]; repRuns[t, rep]++
	if ($col["exit"] != 0) bad[t, tool]++
}

# median of a[key, 1..m] (numbers; "-" ignored)
function median(a, key, m,    i, j, v, c, x) {
	c = 0
	for (i = 1; i <= m; i++) {
		x = a[key, i]
		if (x == "-" || x == "") continue
		v[++c] = x + 0
	}
	if (c == 0) return "-"
	for (i = 2; i <= c; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
	return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
}

function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
function num(x, f) { return x == "-" ? "-" : sprintf(f, x) }

function row(tool, r, c, m, s, o, rr, rc) {
	printf "  %-9s %9s %10s %8s %9s %9s %7s %8s\n", tool, num(r, "%.0f"), num(c, "%.1f"), num(m, "%.1f"), rr, rc, num(s, "%.1f"), num(o, "%.1f")
}

function header(title) {
	print title
	printf "  %-9s %9s %10s %8s %9s %9s %7s %8s\n", "tool", "req/s", "CPU ms/1k", "RSS MB", "req/s ÷", "CPU ÷", "steal%", "others%"
}

# round T REP TITLE: the runs of one repetition, with ratios within it.
function round(t, rep, title,    i, tool, k, lr, lc) {
	header(title)
	for (i = 1; i <= nTool[t]; i++) {
		tool = tools[t, i]
		if (!((t, tool, rep) in byRep)) continue
		k = byRep[t, tool, rep]
		lr[tool] = rps[t, tool, k]; lc[tool] = cpu[t, tool, k]
	}
	for (i = 1; i <= nTool[t]; i++) {
		tool = tools[t, i]
		if (!((t, tool, rep) in byRep)) continue
		k = byRep[t, tool, rep]
		row(tool, lr[tool], lc[tool], rss[t, tool, k], steal[t, tool, k], oth[t, tool, k], ratio(lr[tool], lr[ref]), ratio(lc[tool], lc[ref]))
	}
}

END {
	for (ti = 1; ti <= nT; ti++) {
		t = targets[ti]
		ref = ((t, "vegeta") in seenTool) ? "vegeta" : ((t, "wrk") in seenTool) ? "wrk" : tools[t, 1]
		printf "\n== %s: medians of %d interleaved runs per tool; ratios (÷) are to %s ==\n", t, nRep[t], ref
		header("")
		for (i = 1; i <= nTool[t]; i++) {
			tool = tools[t, i]; m = n[t, tool]
			mr[tool] = median(rps, t SUBSEP tool, m); mc[tool] = median(cpu, t SUBSEP tool, m)
			mm[tool] = median(rss, t SUBSEP tool, m); ms[tool] = median(steal, t SUBSEP tool, m)
			mo[tool] = median(oth, t SUBSEP tool, m)
		}
		for (i = 1; i <= nTool[t]; i++) {
			tool = tools[t, i]
			row(tool, mr[tool], mc[tool], mm[tool], ms[tool], mo[tool], ratio(mr[tool], mr[ref]), ratio(mc[tool], mc[ref]))
			if ((t, tool) in bad) printf "    (%d run(s) of %s exited non-zero: see the raw runs)\n", bad[t, tool], tool
		}

		# The least-steal round: the repetition whose runs lost the least CPU to steal on
		# average; and, when it is another one, the least-disturbed round: the least steal plus
		# CPU used by other processes (a shared machine's builds and tests).
		best = ""; quiet = ""
		for (j = 1; j <= nRep[t]; j++) {
			r = reps[t, j]; s = repSteal[t, r] / repRuns[t, r]; d = s + repOth[t, r] / repRuns[t, r]
			if (best == "" || s < bestS) { best = r; bestS = s }
			if (quiet == "" || d < quietD) { quiet = r; quietD = d }
		}
		round(t, best, sprintf("  least-steal round: rep %s (mean steal %.1f %%), ratios within that round", best, bestS))
		if (quiet != best)
			round(t, quiet, sprintf("  least-disturbed round: rep %s (mean steal + others %.1f %%), ratios within that round", quiet, quietD))
		if (("loadplan" in mr) && ref == "vegeta" && (ref in mr) && t != "health-50ms") {
			printf "  targets (medians): loadplan req/s ≥ 0.95× vegeta: %s (%s) · CPU/1k ≤ 0.80× vegeta: %s (%s)\n", \
				ratio(mr["loadplan"], mr[ref]), (ratio(mr["loadplan"], mr[ref]) + 0 >= 0.95 ? "met" : "NOT met"), \
				ratio(mc["loadplan"], mc[ref]), (ratio(mc["loadplan"], mc[ref]) + 0 <= 0.80 ? "met" : "NOT met")
		}
		if (t == "health-50ms" && ("loadplan" in mr) && ("wrk" in mr)) {
			printf "  target (medians): loadplan req/s ≥ 0.98× wrk: %s (%s); the ideal is 50 / 50 ms = 1000 req/s\n", \
				ratio(mr["loadplan"], mr["wrk"]), (ratio(mr["loadplan"], mr["wrk"]) + 0 >= 0.98 ? "met" : "NOT met")
		}
		delete mr; delete mc; delete mm; delete ms; delete mo
	}
}

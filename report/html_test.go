package report

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/testenv"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/summary"
)

func TestWriteHTMLSelfContained(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"smoke.json", "smoke_after.json", "worker1.json"} {
		t.Run(name, func(t *testing.T) {
			s := testSummary(t, name)
			var b bytes.Buffer
			if err := WriteHTML(&b, s); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			// Nothing is fetched: no script, no external stylesheet, font or image.
			for _, bad := range []string{"<script", "<link", "@import", "url(", "src=", "http://", "https://"} {
				if bad == "http://" {
					// the SVG namespace is an identifier, not a fetch
					page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
				}
				if strings.Contains(page, bad) {
					t.Errorf("the page contains %q", bad)
				}
			}
			if n := strings.Count(page, "<svg"); n < 6 {
				t.Errorf("%d charts, want at least 6", n)
			}
			for _, want := range []string{s.Plan, s.Scenario, "Cumulative cost over time", "budget", "Aggregated", "Thresholds"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
		})
	}
}

// TestHTMLInChromium renders the report in headless Chromium (Debian's chromium, which CI
// installs) and checks that the charts are drawn: the rendered DOM holds the SVG charts with
// their paths, and a screenshot is far from blank.
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	// CI installs it (apt-get install -y chromium); without it the test is skipped locally and
	// fails in CI.
	bin := testenv.NeedProgram(t, "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	s := testSummary(t, "smoke.json")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, s); err != nil {
		t.Fatal(err)
	}
	f.Close()
	shot := filepath.Join(dir, "report.png")
	dom := runChromium(t, bin, dir, "--dump-dom", "file://"+page)
	if !strings.Contains(dom, `id="verdict"`) {
		t.Fatalf("the rendered DOM lacks the verdict:\n%.2000s", dom)
	}
	svgs := regexp.MustCompile(`(?s)<svg class="chart.*?</svg>`).FindAllString(dom, -1)
	if len(svgs) < 7 {
		t.Errorf("%d charts in the rendered DOM, want 7 (cost bullet, cumulative cost, cost per task, traffic, latency, latency per task, TTFT)", len(svgs))
	}
	paths := 0
	for _, svg := range svgs {
		if strings.Contains(svg, `class="series"`) || strings.Contains(svg, `class="bar"`) {
			paths++
		}
	}
	if paths != len(svgs) {
		t.Errorf("%d of %d charts have data drawn", paths, len(svgs))
	}
	runChromium(t, bin, dir, "--screenshot="+shot, "--window-size=1280,2450", "--hide-scrollbars", "file://"+page)
	checkScreenshot(t, shot)

	// The history page too.
	entries, err := ReadHistory("testdata/runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "history.html")
	hf, err := os.Create(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHistoryHTML(hf, GroupHistory(entries, "")); err != nil {
		t.Fatal(err)
	}
	hf.Close()
	hdom := runChromium(t, bin, dir, "--dump-dom", "file://"+hist)
	if n := len(regexp.MustCompile(`<path class="series"`).FindAllString(hdom, -1)); n != 6 {
		t.Errorf("history page: %d chart lines in the rendered DOM, want 6", n)
	}
	if *update {
		if err := os.MkdirAll(filepath.Join("..", "docs"), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "report.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runChromium(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	profile, err := os.MkdirTemp(dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir=" + profile, "--virtual-time-budget=2000"}
	cmd := exec.Command(bin, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// checkScreenshot checks that a screenshot is a full page with many colours in it: charts,
// not a blank or an error page.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 1000 {
		t.Fatalf("screenshot %dx%d, want 1280x2400", b.Dx(), b.Dy())
	}
	colours := map[uint32]int{}
	nonBackground := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11]++
			if !(r>>8 > 240 && g>>8 > 240 && bl>>8 > 240) {
				nonBackground++
			}
		}
	}
	if len(colours) < 40 {
		t.Errorf("screenshot has %d colours: a blank page?", len(colours))
	}
	if frac := float64(nonBackground) / float64(b.Dx()*b.Dy()/4); frac < 0.03 {
		t.Errorf("screenshot is %.1f%% ink: a blank page?", frac*100)
	}
}

// An empty run (stopped by an error before any request) renders everywhere.
func TestRenderEmptyRun(t *testing.T) {
	t.Parallel()
	s := &summary.Run{Schema: summary.Schema, Plan: "p", Scenario: "s", StopReason: summary.StopError,
		StopDetail: "target unreachable", ExitCode: 5, Estimate: []byte("null")}
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "target unreachable") {
		t.Error("the stop detail is missing")
	}
	b.Reset()
	if err := SummaryTable(&b, s); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "e")
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	stats, _ := os.ReadFile(prefix + StatsSuffix)
	if !strings.HasSuffix(string(stats), ",Aggregated,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\r\n") {
		t.Errorf("empty stats: %q", stats)
	}
	if err := AppendHistory(filepath.Join(t.TempDir(), "h.jsonl"), s); err != nil {
		t.Fatal(err)
	}
	if _, err := summary.Merge(planner.MergeEstimates, s, s); err != nil {
		t.Fatal(err)
	}
	c := Compare(s, s)
	if err := CompareTable(&b, c); err != nil {
		t.Fatal(err)
	}
}

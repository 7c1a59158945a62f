package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Charts for the HTML reports, drawn as inline SVG by this file: no script, no font and no
// stylesheet fetched, so a report opens offline from a CI artifact. Every chart has axes with
// ticks at round values, axis titles and a legend; colours come from a palette that stays
// distinguishable for the common kinds of colour blindness (Okabe–Ito-like).

// palette holds the series colours, in order of use.
var palette = []string{"#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#0ea5e9", "#d946ef", "#84cc16", "#64748b", "#f97316"}

const (
	colorBudget   = "#dc2626"
	colorEstimate = "#64748b"
	colorGrid     = "#e5e7eb"
	colorAxis     = "#9ca3af"
	colorText     = "#4b5563"
)

// series is one line of a line chart.
type series struct {
	Name  string
	Color string
	X, Y  []float64
	Dash  bool // dashed stroke
	Fill  bool // shade the area under the line
	Right bool // against the right axis
	Width float64
	Step  bool // a step line (values hold until the next point)
}

// refLine is a horizontal reference line, such as a budget.
type refLine struct {
	Y     float64
	Label string
	Color string
	Dash  bool
	Left  bool // label at the left end (else the right)
}

// xKind says how the x axis is labelled.
type xKind int

const (
	xElapsed xKind = iota // seconds since the start: 0:30, 1:00, 1:00:00
	xTime                 // Unix seconds: dates and times (UTC)
	xNumber
)

// lineChart is a chart of one or two y axes over a shared x axis.
type lineChart struct {
	Label         string // aria-label
	Width, Height float64
	X             xKind
	XTitle        string
	YTitle        string
	Y2Title       string
	YFmt, Y2Fmt   func(float64) string
	Series        []series
	Refs          []refLine
	XMarks        []refLine // vertical lines at X = Y (a sweep's knee), labelled at the top
	YMax          float64   // at least this on the left axis (0: from the data)
	YMoney        bool      // the left axis is USD, with the decimals its step needs
}

// svgText escapes text for SVG.
func svgText(s string) string { return html.EscapeString(s) }

func f1(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

// niceStep is a round step (1, 2, 2.5 or 5 times a power of ten) that divides span into at
// most n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// elapsedStep is a round step of seconds for an elapsed-time axis.
func elapsedStep(span float64, n int) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if span/s <= float64(n) {
			return s
		}
	}
	return niceStep(span, n)
}

// timeStep is a round step of seconds for a calendar axis.
func timeStep(span float64, n int) float64 {
	for _, s := range []float64{60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400} {
		if span/s <= float64(n) {
			return s
		}
	}
	return niceStep(span, n)
}

// formatElapsed writes seconds since the start as m:ss or h:mm:ss.
func formatElapsed(s float64) string {
	d := int64(math.Round(s))
	if d >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", d/3600, d%3600/60, d%60)
	}
	return fmt.Sprintf("%d:%02d", d/60, d%60)
}

// ticks returns the tick values of [lo, hi] at step.
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	start := math.Ceil(lo/step-1e-9) * step
	for v := start; v <= hi+step*1e-9; v += step {
		t := math.Round(v/step) * step
		if t == 0 {
			t = 0 // not -0, which would print as "-0"
		}
		out = append(out, t)
		if len(out) > 60 {
			break
		}
	}
	return out
}

// formatAxisMS writes milliseconds on an axis: 250 ms, 1.5 s.
func formatAxisMS(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(math.Round(v/10)/100, 'f', -1, 64) + " s"
	}
	return formatNumber(v) + " ms"
}

// formatAxisUSDStep writes dollars on an axis with the decimals its step needs.
func formatAxisUSDStep(step float64) func(float64) string {
	places := 2
	if step > 0 && step < 0.01 {
		places = int(math.Ceil(-math.Log10(step)))
	}
	return func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', places, 64) }
}

// lineFrame is the geometry of a line chart: its size, margins and plot area, and the
// domains, steps and tick formats of its axes.
type lineFrame struct {
	w, h, ml, mt, pw, ph float64
	hasRight             bool
	xlo, xhi, xstep      float64
	ytop, ystep          float64
	y2top, y2step        float64
	yfmt, y2fmt          func(float64) string
}

func (f *lineFrame) sx(x float64) float64  { return f.ml + (x-f.xlo)/(f.xhi-f.xlo)*f.pw }
func (f *lineFrame) sy(y float64) float64  { return f.mt + f.ph - y/f.ytop*f.ph }
func (f *lineFrame) sy2(y float64) float64 { return f.mt + f.ph - y/f.y2top*f.ph }

// render draws the chart.
func (c *lineChart) render() template.HTML {
	f := c.frame()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, f1(f.w), f1(f.h), svgText(c.Label))
	c.drawAxes(&b, f)
	for _, s := range c.Series {
		c.drawSeries(&b, f, s)
	}
	c.drawRefs(&b, f)
	c.drawXMarks(&b, f)
	c.drawLegend(&b, f)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// frame lays the chart out: margins (wider for a right axis or a y title), the x domain
// over every series, and each y axis from 0 to a round value above its data.
func (c *lineChart) frame() *lineFrame {
	f := &lineFrame{w: c.Width, h: c.Height}
	if f.w == 0 {
		f.w = 560
	}
	if f.h == 0 {
		f.h = 260
	}
	for _, s := range c.Series {
		f.hasRight = f.hasRight || s.Right
	}
	ml, mr, mt, mb := 64.0, 20.0, 34.0, 44.0
	if f.hasRight {
		mr = 60
	}
	if c.YTitle != "" {
		ml += 10
	}
	f.ml, f.mt, f.pw, f.ph = ml, mt, f.w-ml-mr, f.h-mt-mb

	xlo, xhi := math.Inf(1), math.Inf(-1)
	ymax, y2max := c.YMax, 0.0
	for _, s := range c.Series {
		for i, x := range s.X {
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
			if s.Right {
				y2max = math.Max(y2max, s.Y[i])
			} else {
				ymax = math.Max(ymax, s.Y[i])
			}
		}
	}
	for _, r := range c.Refs {
		ymax = math.Max(ymax, r.Y)
	}
	f.xlo, f.xhi, f.xstep = c.xDomain(xlo, xhi)
	f.ytop, f.ystep = axisTop(ymax)
	f.y2top, f.y2step = axisTop(y2max)
	f.yfmt = c.YFmt
	if c.YMoney {
		f.yfmt = formatAxisUSDStep(f.ystep)
	}
	if f.yfmt == nil {
		f.yfmt = formatNumber
	}
	f.y2fmt = c.Y2Fmt
	if f.y2fmt == nil {
		f.y2fmt = formatNumber
	}
	return f
}

// xDomain is the x axis's span over the data from xlo to xhi (0 to 1 without data; from 0
// for elapsed time) and its tick step.
func (c *lineChart) xDomain(xlo, xhi float64) (lo, hi, step float64) {
	if math.IsInf(xlo, 1) {
		xlo, xhi = 0, 1
	}
	if c.X == xElapsed {
		xlo = math.Min(xlo, 0)
	}
	if xhi <= xlo {
		xhi = xlo + 1
	}
	switch c.X {
	case xElapsed:
		step = elapsedStep(xhi-xlo, 8)
	case xTime:
		step = timeStep(xhi-xlo, 7)
	default:
		step = niceStep(xhi-xlo, 8)
	}
	return xlo, xhi, step
}

// axisTop is the top of a y axis whose data reach max, and its step: a round value a little
// above max (1 in steps of 0.2 without data).
func axisTop(max float64) (top, step float64) {
	step = niceStep(max, 5)
	if max <= 0 {
		max, step = 1, 0.2
	}
	top = math.Ceil(max/step-1e-9) * step
	if top < max*1.04 {
		top += step
	}
	return top, step
}

// drawAxes draws the grid, the ticks of both axes, the x axis line and the axis titles.
func (c *lineChart) drawAxes(b *strings.Builder, f *lineFrame) {
	ml, mt, pw, ph := f.ml, f.mt, f.pw, f.ph
	for _, v := range ticks(0, f.ytop, f.ystep) {
		y := f.sy(v)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(ml), f1(y), f1(ml+pw), f1(y), colorGrid)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s</text>`, f1(ml-6), f1(y+4), svgText(f.yfmt(v)))
	}
	if f.hasRight {
		for _, v := range ticks(0, f.y2top, f.y2step) {
			fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="start" class="tick">%s</text>`, f1(ml+pw+6), f1(f.sy2(v)+4), svgText(f.y2fmt(v)))
		}
	}
	for _, v := range ticks(f.xlo, f.xhi, f.xstep) {
		x := f.sx(v)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(x), f1(mt+ph), f1(x), f1(mt+ph+4), colorAxis)
		var label string
		switch c.X {
		case xElapsed:
			label = formatElapsed(v)
		case xTime:
			label = formatCalendarTick(v, f.xstep)
		default:
			label = formatNumber(v)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(x), f1(mt+ph+17), svgText(label))
	}
	fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(ml), f1(mt+ph), f1(ml+pw), f1(mt+ph), colorAxis)
	if c.XTitle != "" {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" class="axis-title">%s</text>`, f1(ml+pw/2), f1(f.h-6), svgText(c.XTitle))
	}
	if c.YTitle != "" {
		fmt.Fprintf(b, `<text transform="translate(14 %s) rotate(-90)" text-anchor="middle" class="axis-title">%s</text>`, f1(mt+ph/2), svgText(c.YTitle))
	}
	if c.Y2Title != "" {
		fmt.Fprintf(b, `<text transform="translate(%s %s) rotate(90)" text-anchor="middle" class="axis-title">%s</text>`, f1(f.w-10), f1(mt+ph/2), svgText(c.Y2Title))
	}
}

// drawSeries draws one series: its line (stepped or straight, dashed or not), the shaded
// area under it, and a point with its label for each value when there are 40 or fewer.
func (c *lineChart) drawSeries(b *strings.Builder, f *lineFrame, s series) {
	scaleY := f.sy
	if s.Right {
		scaleY = f.sy2
	}
	if len(s.X) == 0 {
		return
	}
	var d strings.Builder
	for i := range s.X {
		x, y := f.sx(s.X[i]), scaleY(s.Y[i])
		switch {
		case i == 0:
			fmt.Fprintf(&d, "M%s %s", f1(x), f1(y))
		case s.Step:
			fmt.Fprintf(&d, "H%sV%s", f1(x), f1(y))
		default:
			fmt.Fprintf(&d, "L%s %s", f1(x), f1(y))
		}
	}
	width := s.Width
	if width == 0 {
		width = 2
	}
	if s.Fill {
		fmt.Fprintf(b, `<path d="%sL%s %sL%s %sZ" fill="%s" fill-opacity="0.12" stroke="none"/>`, d.String(),
			f1(f.sx(s.X[len(s.X)-1])), f1(f.mt+f.ph), f1(f.sx(s.X[0])), f1(f.mt+f.ph), s.Color)
	}
	dash := ""
	if s.Dash {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<path class="series" d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" stroke-linecap="round"%s><title>%s</title></path>`,
		d.String(), s.Color, f1(width), dash, svgText(s.Name))
	if len(s.X) <= 40 {
		for i := range s.X {
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"><title>%s</title></circle>`, f1(f.sx(s.X[i])), f1(scaleY(s.Y[i])), s.Color, svgText(s.Name+": "+pointLabel(c, s, i)))
		}
	}
}

// drawRefs draws the reference lines, labelled at their right end (or left).
func (c *lineChart) drawRefs(b *strings.Builder, f *lineFrame) {
	for _, r := range c.Refs {
		y := f.sy(r.Y)
		dash := ""
		if r.Dash {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(b, `<line class="ref" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"%s/>`, f1(f.ml), f1(y), f1(f.ml+f.pw), f1(y), r.Color, dash)
		x, anchor := f.ml+f.pw-4, "end"
		if r.Left {
			x, anchor = f.ml+6, "start"
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="%s" class="ref-label halo" fill="%s">%s</text>`, f1(x), f1(y-5), anchor, r.Color, svgText(r.Label))
	}
}

// drawXMarks draws the vertical marks that fall inside the x domain, labelled at their top.
func (c *lineChart) drawXMarks(b *strings.Builder, f *lineFrame) {
	for _, m := range c.XMarks {
		if m.Y < f.xlo || m.Y > f.xhi || f.xhi <= f.xlo {
			continue
		}
		x := f.sx(m.Y)
		dash := ""
		if m.Dash {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(b, `<line class="ref" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"%s/>`, f1(x), f1(f.mt), f1(x), f1(f.mt+f.ph), m.Color, dash)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="start" class="ref-label halo" fill="%s">%s</text>`, f1(x+4), f1(f.mt+12), m.Color, svgText(m.Label))
	}
}

// drawLegend draws the legend along the top.
func (c *lineChart) drawLegend(b *strings.Builder, f *lineFrame) {
	lx := f.ml
	for _, s := range c.Series {
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(b, `<line x1="%s" y1="14" x2="%s" y2="14" stroke="%s" stroke-width="3"%s/>`, f1(lx), f1(lx+16), s.Color, dash)
		fmt.Fprintf(b, `<text x="%s" y="18" class="legend">%s</text>`, f1(lx+21), svgText(s.Name))
		lx += 21 + textWidth(s.Name, 12) + 18
	}
}

func pointLabel(c *lineChart, s series, i int) string {
	var x string
	switch c.X {
	case xElapsed:
		x = formatElapsed(s.X[i])
	case xTime:
		x = time.Unix(int64(s.X[i]), 0).UTC().Format("2006-01-02 15:04")
	default:
		x = formatNumber(s.X[i])
	}
	f := c.YFmt
	if c.YMoney {
		f = func(v float64) string {
			if v < 1 {
				return fmt.Sprintf("$%.4f", v)
			}
			return fmt.Sprintf("$%.2f", v)
		}
	}
	if s.Right {
		f = c.Y2Fmt
	}
	if f == nil {
		f = formatNumber
	}
	return x + " " + f(s.Y[i])
}

// formatCalendarTick labels a calendar axis tick by the step's scale.
func formatCalendarTick(v, step float64) string {
	t := time.Unix(int64(v), 0).UTC()
	if step >= 86400 {
		return t.Format("Jan 2")
	}
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format("Jan 2")
	}
	return t.Format("15:04")
}

// textWidth estimates the width of text in a sans-serif font of the given size: enough to lay
// out legends without measuring.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("il.,:;|!'1 ", r):
			w += 0.32
		case strings.ContainsRune("mwMW", r):
			w += 0.85
		case r >= 'A' && r <= 'Z':
			w += 0.66
		default:
			w += 0.56
		}
	}
	return w * size
}

// barGroup is one row of a horizontal bar chart: a label and one bar per series.
type barGroup struct {
	Label  string
	Values []float64
	Texts  []string // value labels, one per value
}

// barChart is a horizontal bar chart, grouped when it has several series.
type barChart struct {
	Label   string
	Width   float64
	Series  []string // names, for the legend (none: one unnamed series)
	Colors  []string
	Groups  []barGroup
	XFmt    func(float64) string
	XTitle  string
	Refs    []refLine // vertical reference lines at X = Y
	MinXMax float64
}

// barFrame is the geometry of a bar chart.
type barFrame struct {
	w, h, ml, mt, pw, ph float64
	nser                 int
	barH, groupH         float64
	xtop, step           float64
	xfmt                 func(float64) string
	colors               []string
}

func (f *barFrame) sx(v float64) float64 { return f.ml + v/f.xtop*f.pw }

func (c *barChart) render() template.HTML {
	f := c.frame()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, f1(f.w), f1(f.h), svgText(c.Label))
	for _, v := range ticks(0, f.xtop, f.step) {
		x := f.sx(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(x), f1(f.mt), f1(x), f1(f.mt+f.ph), colorGrid)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(x), f1(f.mt+f.ph+16), svgText(f.xfmt(v)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(f.ml), f1(f.mt), f1(f.ml), f1(f.mt+f.ph), colorAxis)
	for gi, g := range c.Groups {
		c.drawGroup(&b, f, gi, g)
	}
	for _, r := range c.Refs {
		x := f.sx(r.Y)
		fmt.Fprintf(&b, `<line class="ref" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="5 4"/>`, f1(x), f1(f.mt-4), f1(x), f1(f.mt+f.ph), r.Color)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="ref-label" fill="%s">%s</text>`, f1(x), f1(f.mt+f.ph+30), r.Color, svgText(r.Label))
	}
	if c.XTitle != "" && len(c.Refs) == 0 {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="axis-title">%s</text>`, f1(f.ml+f.pw/2), f1(f.h-6), svgText(c.XTitle))
	}
	if len(c.Series) > 1 {
		lx := f.ml
		for si, s := range c.Series {
			fmt.Fprintf(&b, `<rect x="%s" y="8" width="12" height="12" rx="2" fill="%s"/>`, f1(lx), f.colors[si%len(f.colors)])
			fmt.Fprintf(&b, `<text x="%s" y="18" class="legend">%s</text>`, f1(lx+17), svgText(s))
			lx += 17 + textWidth(s, 12) + 18
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// frame lays the bar chart out: a row of bars per group, the labels' margin, and the x axis
// from 0 to a round value at or above the data and the reference lines.
func (c *barChart) frame() *barFrame {
	f := &barFrame{w: c.Width, nser: max(1, len(c.Series)), barH: 18}
	if f.w == 0 {
		f.w = 560
	}
	if f.nser > 1 {
		f.barH = 13
	}
	f.groupH = float64(f.nser)*f.barH + 12
	labelW := 0.0
	for _, g := range c.Groups {
		labelW = math.Max(labelW, textWidth(g.Label, 12))
	}
	f.ml = math.Min(labelW+16, f.w*0.38)
	mr := 64.0
	f.mt = 10.0
	if len(c.Series) > 1 {
		f.mt = 30
	}
	mb := 40.0
	f.ph = f.groupH * float64(len(c.Groups))
	f.h = f.mt + f.ph + mb
	f.pw = f.w - f.ml - mr
	xmax := c.MinXMax
	for _, g := range c.Groups {
		for _, v := range g.Values {
			xmax = math.Max(xmax, v)
		}
	}
	for _, r := range c.Refs {
		xmax = math.Max(xmax, r.Y)
	}
	f.step = niceStep(xmax, 5)
	if xmax <= 0 {
		xmax, f.step = 1, 0.2
	}
	f.xtop = math.Ceil(xmax/f.step-1e-9) * f.step
	f.xfmt = c.XFmt
	if f.xfmt == nil {
		f.xfmt = formatNumber
	}
	f.colors = c.Colors
	if len(f.colors) == 0 {
		f.colors = palette
	}
	return f
}

// drawGroup draws group gi: its label and a bar with its value for each series.
func (c *barChart) drawGroup(b *strings.Builder, f *barFrame, gi int, g barGroup) {
	gy := f.mt + float64(gi)*f.groupH + 6
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" class="bar-label">%s</text>`, f1(f.ml-8), f1(gy+float64(f.nser)*f.barH/2+4), svgText(g.Label))
	for si, v := range g.Values {
		y := gy + float64(si)*f.barH
		bw := math.Max(f.sx(v)-f.ml, 0)
		if v > 0 {
			bw = math.Max(bw, 1.5)
		}
		name := g.Label
		if si < len(c.Series) {
			name += " " + c.Series[si]
		}
		text := ""
		if si < len(g.Texts) {
			text = g.Texts[si]
		}
		fmt.Fprintf(b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" rx="2" fill="%s"><title>%s</title></rect>`,
			f1(f.ml), f1(y), f1(bw), f1(f.barH-2), f.colors[si%len(f.colors)], svgText(name+": "+text))
		fmt.Fprintf(b, `<text x="%s" y="%s" class="bar-value halo">%s</text>`, f1(f.ml+bw+5), f1(y+f.barH/2+3), svgText(text))
	}
}

// bulletMarker is a marker on a bullet chart.
type bulletMarker struct {
	Value float64
	Label string
	Color string
	Below bool // label below the bar (else above)
}

// bulletChart draws one measured bar (the actual cost) against markers (estimate, budget) and
// an optional band (the estimate's low to worst range).
type bulletChart struct {
	Label          string
	Width          float64
	Value          float64
	ValueLabel     string
	Color          string
	BandLo, BandHi float64 // a shaded range; BandHi 0: none
	BandLabel      string
	Markers        []bulletMarker
	Fmt            func(float64) string
	ClipTo         float64 // axis maximum cap (0: none): a worst case far beyond the rest is clipped
	OverflowLabel  string  // says what the band is, at its right end
}

func (c *bulletChart) render() template.HTML {
	w := c.Width
	if w == 0 {
		w = 560
	}
	h := 112.0
	ml, mr := 12.0, 24.0
	barY, barH := 44.0, 22.0
	pw := w - ml - mr
	xmax := c.Value
	for _, m := range c.Markers {
		xmax = math.Max(xmax, m.Value)
	}
	bandHi := c.BandHi
	clipped := false
	if c.ClipTo > 0 && bandHi > c.ClipTo {
		clipped = true
		bandHi = c.ClipTo
	}
	xmax = math.Max(xmax, bandHi)
	if xmax <= 0 {
		xmax = 1
	}
	step := niceStep(xmax, 6)
	xtop := math.Ceil(xmax*1.04/step-1e-9) * step
	sx := func(v float64) float64 { return ml + math.Min(v, xtop)/xtop*pw }
	fmtv := c.Fmt
	if fmtv == nil {
		fmtv = formatAxisUSDStep(step)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bullet" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, f1(w), f1(h), svgText(c.Label))
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="#f3f4f6"/>`, f1(ml), f1(barY-6), f1(pw), f1(barH+12))
	if c.BandHi > 0 {
		hi := sx(bandHi)
		if clipped {
			hi = ml + pw // the band runs on past the axis
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#cbd5e1" fill-opacity="0.7"><title>%s</title></rect>`, f1(sx(c.BandLo)), f1(barY-6), f1(hi-sx(c.BandLo)), f1(barH+12), svgText(c.BandLabel))
		if c.OverflowLabel != "" {
			arrow := ""
			if clipped {
				arrow = " →"
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s%s</text>`, f1(ml+pw-2), f1(barY+barH+24), svgText(c.OverflowLabel), arrow)
		}
	}
	fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" rx="2" fill="%s"><title>%s</title></rect>`, f1(ml), f1(barY), f1(math.Max(sx(c.Value)-ml, 1.5)), f1(barH), c.Color, svgText(c.ValueLabel))
	for _, m := range c.Markers {
		x := sx(m.Value)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"/>`, f1(x), f1(barY-10), f1(x), f1(barY+barH+10), m.Color)
	}
	labels := &bulletLabels{b: &b, ml: ml, pw: pw, barY: barY, barH: barH, rows: map[bool][]span{}}
	for _, m := range c.Markers {
		labels.place(sx(m.Value), m.Label, m.Color, m.Below)
	}
	if c.ValueLabel != "" {
		labels.place(sx(c.Value), c.ValueLabel, c.Color, false)
	}
	for _, v := range ticks(0, xtop, step) {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(sx(v)), f1(h-4), svgText(fmtv(v)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// span is the horizontal extent of a label.
type span struct{ lo, hi float64 }

// bulletLabels places a bullet chart's labels above or below its bar, each where it overlaps
// no label already placed.
type bulletLabels struct {
	b                  *strings.Builder
	ml, pw, barY, barH float64
	rows               map[bool][]span // by below
}

// place writes the label text at x, on the side below asks for unless only the other side
// has room.
func (l *bulletLabels) place(x float64, text, color string, below bool) {
	w := textWidth(text, 12) + 8
	anchor, lo := "middle", x-w/2
	switch {
	case x > l.ml+l.pw-w/2:
		anchor, lo = "end", x-w
	case x < l.ml+w/2:
		anchor, lo = "start", x
	}
	fits := func(below bool) bool {
		for _, p := range l.rows[below] {
			if lo < p.hi && lo+w > p.lo {
				return false
			}
		}
		return true
	}
	if !fits(below) && fits(!below) {
		below = !below
	}
	l.rows[below] = append(l.rows[below], span{lo, lo + w})
	y := l.barY - 16
	if below {
		y = l.barY + l.barH + 24
	}
	fmt.Fprintf(l.b, `<text x="%s" y="%s" text-anchor="%s" class="marker-label halo" fill="%s">%s</text>`, f1(x), f1(y), anchor, color, svgText(text))
}

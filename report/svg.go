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
	YMax          float64 // at least this on the left axis (0: from the data)
	YMoney        bool    // the left axis is USD, with the decimals its step needs
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

// render draws the chart.
func (c *lineChart) render() template.HTML {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 560
	}
	if h == 0 {
		h = 260
	}
	hasRight := false
	for _, s := range c.Series {
		hasRight = hasRight || s.Right
	}
	ml, mr, mt, mb := 64.0, 20.0, 34.0, 44.0
	if hasRight {
		mr = 60
	}
	if c.YTitle != "" {
		ml += 10
	}
	pw, ph := w-ml-mr, h-mt-mb

	// Domains.
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
	if math.IsInf(xlo, 1) {
		xlo, xhi = 0, 1
	}
	if c.X == xElapsed {
		xlo = math.Min(xlo, 0)
	}
	if xhi <= xlo {
		xhi = xlo + 1
	}
	var xstep float64
	switch c.X {
	case xElapsed:
		xstep = elapsedStep(xhi-xlo, 8)
	case xTime:
		xstep = timeStep(xhi-xlo, 7)
	default:
		xstep = niceStep(xhi-xlo, 8)
	}
	ystep := niceStep(ymax, 5)
	if ymax <= 0 {
		ymax, ystep = 1, 0.2
	}
	ytop := math.Ceil(ymax/ystep-1e-9) * ystep
	if ytop < ymax*1.04 {
		ytop += ystep
	}
	y2step := niceStep(y2max, 5)
	if y2max <= 0 {
		y2max, y2step = 1, 0.2
	}
	y2top := math.Ceil(y2max/y2step-1e-9) * y2step
	if y2top < y2max*1.04 {
		y2top += y2step
	}
	sx := func(x float64) float64 { return ml + (x-xlo)/(xhi-xlo)*pw }
	sy := func(y float64) float64 { return mt + ph - y/ytop*ph }
	sy2 := func(y float64) float64 { return mt + ph - y/y2top*ph }
	yfmt := c.YFmt
	if c.YMoney {
		yfmt = formatAxisUSDStep(ystep)
	}
	if yfmt == nil {
		yfmt = formatNumber
	}
	y2fmt := c.Y2Fmt
	if y2fmt == nil {
		y2fmt = formatNumber
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, f1(w), f1(h), svgText(c.Label))
	// Grid and y ticks.
	for _, v := range ticks(0, ytop, ystep) {
		y := sy(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(ml), f1(y), f1(ml+pw), f1(y), colorGrid)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" class="tick">%s</text>`, f1(ml-6), f1(y+4), svgText(yfmt(v)))
	}
	if hasRight {
		for _, v := range ticks(0, y2top, y2step) {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="start" class="tick">%s</text>`, f1(ml+pw+6), f1(sy2(v)+4), svgText(y2fmt(v)))
		}
	}
	// X ticks.
	for _, v := range ticks(xlo, xhi, xstep) {
		x := sx(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(x), f1(mt+ph), f1(x), f1(mt+ph+4), colorAxis)
		var label string
		switch c.X {
		case xElapsed:
			label = formatElapsed(v)
		case xTime:
			label = formatCalendarTick(v, xstep)
		default:
			label = formatNumber(v)
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(x), f1(mt+ph+17), svgText(label))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, f1(ml), f1(mt+ph), f1(ml+pw), f1(mt+ph), colorAxis)
	// Axis titles.
	if c.XTitle != "" {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="axis-title">%s</text>`, f1(ml+pw/2), f1(h-6), svgText(c.XTitle))
	}
	if c.YTitle != "" {
		fmt.Fprintf(&b, `<text transform="translate(14 %s) rotate(-90)" text-anchor="middle" class="axis-title">%s</text>`, f1(mt+ph/2), svgText(c.YTitle))
	}
	if c.Y2Title != "" {
		fmt.Fprintf(&b, `<text transform="translate(%s %s) rotate(90)" text-anchor="middle" class="axis-title">%s</text>`, f1(w-10), f1(mt+ph/2), svgText(c.Y2Title))
	}
	// Series.
	for _, s := range c.Series {
		scaleY := sy
		if s.Right {
			scaleY = sy2
		}
		if len(s.X) == 0 {
			continue
		}
		var d strings.Builder
		for i := range s.X {
			x, y := sx(s.X[i]), scaleY(s.Y[i])
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
			fmt.Fprintf(&b, `<path d="%sL%s %sL%s %sZ" fill="%s" fill-opacity="0.12" stroke="none"/>`, d.String(),
				f1(sx(s.X[len(s.X)-1])), f1(mt+ph), f1(sx(s.X[0])), f1(mt+ph), s.Color)
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<path class="series" d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" stroke-linecap="round"%s><title>%s</title></path>`,
			d.String(), s.Color, f1(width), dash, svgText(s.Name))
		if len(s.X) <= 40 {
			for i := range s.X {
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"><title>%s</title></circle>`, f1(sx(s.X[i])), f1(scaleY(s.Y[i])), s.Color, svgText(s.Name+": "+pointLabel(c, s, i)))
			}
		}
	}
	// Reference lines, labelled at their right end.
	for _, r := range c.Refs {
		y := sy(r.Y)
		dash := ""
		if r.Dash {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&b, `<line class="ref" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5"%s/>`, f1(ml), f1(y), f1(ml+pw), f1(y), r.Color, dash)
		x, anchor := ml+pw-4, "end"
		if r.Left {
			x, anchor = ml+6, "start"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" class="ref-label halo" fill="%s">%s</text>`, f1(x), f1(y-5), anchor, r.Color, svgText(r.Label))
	}
	// Legend along the top.
	lx := ml
	for _, s := range c.Series {
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(&b, `<line x1="%s" y1="14" x2="%s" y2="14" stroke="%s" stroke-width="3"%s/>`, f1(lx), f1(lx+16), s.Color, dash)
		fmt.Fprintf(&b, `<text x="%s" y="18" class="legend">%s</text>`, f1(lx+21), svgText(s.Name))
		lx += 21 + textWidth(s.Name, 12) + 18
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
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

func (c *barChart) render() template.HTML {
	w := c.Width
	if w == 0 {
		w = 560
	}
	nser := max(1, len(c.Series))
	barH := 18.0
	if nser > 1 {
		barH = 13
	}
	groupH := float64(nser)*barH + 12
	labelW := 0.0
	for _, g := range c.Groups {
		labelW = math.Max(labelW, textWidth(g.Label, 12))
	}
	ml := math.Min(labelW+16, w*0.38)
	mr := 64.0
	mt := 10.0
	if len(c.Series) > 1 {
		mt = 30
	}
	mb := 40.0
	ph := groupH * float64(len(c.Groups))
	h := mt + ph + mb
	pw := w - ml - mr
	xmax := c.MinXMax
	for _, g := range c.Groups {
		for _, v := range g.Values {
			xmax = math.Max(xmax, v)
		}
	}
	for _, r := range c.Refs {
		xmax = math.Max(xmax, r.Y)
	}
	step := niceStep(xmax, 5)
	if xmax <= 0 {
		xmax, step = 1, 0.2
	}
	xtop := math.Ceil(xmax/step-1e-9) * step
	sx := func(v float64) float64 { return ml + v/xtop*pw }
	xfmt := c.XFmt
	if xfmt == nil {
		xfmt = formatNumber
	}
	colors := c.Colors
	if len(colors) == 0 {
		colors = palette
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, f1(w), f1(h), svgText(c.Label))
	for _, v := range ticks(0, xtop, step) {
		x := sx(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(x), f1(mt), f1(x), f1(mt+ph), colorGrid)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(x), f1(mt+ph+16), svgText(xfmt(v)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(ml), f1(mt), f1(ml), f1(mt+ph), colorAxis)
	for gi, g := range c.Groups {
		gy := mt + float64(gi)*groupH + 6
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" class="bar-label">%s</text>`, f1(ml-8), f1(gy+float64(nser)*barH/2+4), svgText(g.Label))
		for si, v := range g.Values {
			y := gy + float64(si)*barH
			bw := math.Max(sx(v)-ml, 0)
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
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" rx="2" fill="%s"><title>%s</title></rect>`,
				f1(ml), f1(y), f1(bw), f1(barH-2), colors[si%len(colors)], svgText(name+": "+text))
			fmt.Fprintf(&b, `<text x="%s" y="%s" class="bar-value halo">%s</text>`, f1(ml+bw+5), f1(y+barH/2+3), svgText(text))
		}
	}
	for _, r := range c.Refs {
		x := sx(r.Y)
		fmt.Fprintf(&b, `<line class="ref" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="5 4"/>`, f1(x), f1(mt-4), f1(x), f1(mt+ph), r.Color)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="ref-label" fill="%s">%s</text>`, f1(x), f1(mt+ph+30), r.Color, svgText(r.Label))
	}
	if c.XTitle != "" && len(c.Refs) == 0 {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="axis-title">%s</text>`, f1(ml+pw/2), f1(h-6), svgText(c.XTitle))
	}
	if len(c.Series) > 1 {
		lx := ml
		for si, s := range c.Series {
			fmt.Fprintf(&b, `<rect x="%s" y="8" width="12" height="12" rx="2" fill="%s"/>`, f1(lx), colors[si%len(colors)])
			fmt.Fprintf(&b, `<text x="%s" y="18" class="legend">%s</text>`, f1(lx+17), svgText(s))
			lx += 17 + textWidth(s, 12) + 18
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
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
	// Labels go above or below the bar, each where it overlaps no label already placed.
	type placed struct{ lo, hi float64 }
	rows := map[bool][]placed{}
	label := func(x float64, text, color, class string, below bool) {
		w := textWidth(text, 12) + 8
		anchor, lo := "middle", x-w/2
		switch {
		case x > ml+pw-w/2:
			anchor, lo = "end", x-w
		case x < ml+w/2:
			anchor, lo = "start", x
		}
		fits := func(below bool) bool {
			for _, p := range rows[below] {
				if lo < p.hi && lo+w > p.lo {
					return false
				}
			}
			return true
		}
		if !fits(below) && fits(!below) {
			below = !below
		}
		rows[below] = append(rows[below], placed{lo, lo + w})
		y := barY - 16
		if below {
			y = barY + barH + 24
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" class="%s halo" fill="%s">%s</text>`, f1(x), f1(y), anchor, class, color, svgText(text))
	}
	for _, m := range c.Markers {
		x := sx(m.Value)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"/>`, f1(x), f1(barY-10), f1(x), f1(barY+barH+10), m.Color)
	}
	for _, m := range c.Markers {
		label(sx(m.Value), m.Label, m.Color, "marker-label", m.Below)
	}
	if c.ValueLabel != "" {
		label(sx(c.Value), c.ValueLabel, c.Color, "marker-label", false)
	}
	for _, v := range ticks(0, xtop, step) {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>`, f1(sx(v)), f1(h-4), svgText(fmtv(v)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

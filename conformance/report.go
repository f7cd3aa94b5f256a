package conformance

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// WriteHTML writes rep as a self-contained HTML page: the summary, a plot of
// latency over time (p50, p99 and max of each second) and a plot of the
// latency distribution by percentile, both inline SVG with no external asset.
// For an open-loop run both plots show the latency from the scheduled send
// time and from the actual write side by side, and the second the sender lag.
func WriteHTML(w io.Writer, rep *Report) error {
	return htmlTmpl.Execute(w, struct {
		R           *Report
		Time, Pctl  template.HTML
		ErrorsTotal int64
	}{rep, timeSVG(rep), percentileSVG(rep), rep.ErrorCount})
}

const (
	svgW, svgH         = 760, 300
	padL, padR, padT   = 60, 20, 20
	padB               = 40
	plotW, plotH       = svgW - padL - padR, svgH - padT - padB
	colP50, colP99, cM = "#1f77b4", "#d62728", "#7f7f7f"
	colLag             = "#2ca02c"
	dashed             = "6 4"
)

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func axes(b *strings.Builder, xLabel, yLabel string, yMax float64) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`, padL, padT, plotW, plotH)
	for i := 0; i <= 4; i++ {
		y := float64(padT) + float64(plotH)*(1-float64(i)/4)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="11" text-anchor="end">%.3g</text>`,
			padL, y, padL+plotW, y, padL-4, y+4, yMax*float64(i)/4)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">%s</text>`, padL+plotW/2, svgH-6, template.HTMLEscapeString(xLabel))
	fmt.Fprintf(b, `<text x="14" y="%d" font-size="12" text-anchor="middle" transform="rotate(-90 14 %d)">%s</text>`, padT+plotH/2, padT+plotH/2, template.HTMLEscapeString(yLabel))
}

func polyline(b *strings.Builder, pts [][2]float64, color, dash, label string, legendY int) {
	if len(pts) == 0 {
		return
	}
	b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + color + `"`)
	if dash != "" {
		b.WriteString(` stroke-dasharray="` + dash + `"`)
	}
	b.WriteString(` points="`)
	for _, p := range pts {
		fmt.Fprintf(b, "%.1f,%.1f ", p[0], p[1])
	}
	b.WriteString(`"/>`)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" fill="%s">%s</text>`, padL+8, padT+14+legendY*14, color, template.HTMLEscapeString(label))
}

func timeSVG(rep *Report) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="latency-over-time" width="%d" height="%d" role="img" aria-label="latency over time">`, svgW, svgH)
	yMax := 0.0
	for _, s := range rep.Timeline {
		yMax = math.Max(yMax, s.Max)
	}
	yMax = niceMax(yMax)
	axes(&b, "seconds into the measured window", "latency (ms)", yMax)
	n := max(1, len(rep.Timeline))
	x := func(i int) float64 { return float64(padL) + float64(plotW)*(float64(i)+0.5)/float64(n) }
	y := func(v float64) float64 { return float64(padT) + float64(plotH)*(1-v/yMax) }
	var p50, p99, mx, wp50, wp99 [][2]float64
	for i, s := range rep.Timeline {
		if s.Count == 0 {
			continue
		}
		p50 = append(p50, [2]float64{x(i), y(s.P50)})
		p99 = append(p99, [2]float64{x(i), y(s.P99)})
		mx = append(mx, [2]float64{x(i), y(s.Max)})
		if rep.LatencyFromWrite != nil {
			wp50 = append(wp50, [2]float64{x(i), y(s.WriteP50)})
			wp99 = append(wp99, [2]float64{x(i), y(s.WriteP99)})
		}
	}
	from := ""
	if rep.LatencyFromWrite != nil {
		from = " from the scheduled time"
	}
	polyline(&b, mx, cM, "", "max"+from, 0)
	polyline(&b, p99, colP99, "", "p99"+from, 1)
	polyline(&b, p50, colP50, "", "p50"+from, 2)
	polyline(&b, wp99, colP99, dashed, "p99 from the write", 3)
	polyline(&b, wp50, colP50, dashed, "p50 from the write", 4)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func percentileSVG(rep *Report) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="latency-by-percentile" width="%d" height="%d" role="img" aria-label="latency by percentile">`, svgW, svgH)
	yMax := 0.0
	for _, ps := range [][]Point{rep.Percentiles, rep.PercentilesFromWrite, rep.SenderLagPercentiles} {
		for _, p := range ps {
			yMax = math.Max(yMax, p.Ms)
		}
	}
	yMax = niceMax(yMax)
	axes(&b, "percentile (log scale of 1/(1-p))", "latency (ms)", yMax)
	const decades = 5.0 // 0 .. 99.999
	x := func(q float64) float64 {
		v := math.Min(decades, math.Log10(1/math.Max(1e-5, 1-q/100)))
		return float64(padL) + float64(plotW)*v/decades
	}
	for i, lbl := range []string{"0", "90", "99", "99.9", "99.99", "99.999"} {
		xx := float64(padL) + float64(plotW)*float64(i)/decades
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, xx, padT+plotH+14, lbl)
	}
	line := func(ps []Point, color, dash, label string, legendY int) {
		var pts [][2]float64
		for _, p := range ps {
			pts = append(pts, [2]float64{x(p.Percentile), float64(padT) + float64(plotH)*(1-p.Ms/yMax)})
		}
		polyline(&b, pts, color, dash, label, legendY)
	}
	if rep.PercentilesFromWrite == nil {
		line(rep.Percentiles, colP99, "", "latency at percentile", 0)
	} else {
		line(rep.Percentiles, colP99, "", "latency from the scheduled time", 0)
		line(rep.PercentilesFromWrite, colP50, dashed, "latency from the write", 1)
		line(rep.SenderLagPercentiles, colLag, "", "sender lag", 2)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>payhsm-gw load report: profile {{.R.Profile}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>
</head><body>
<h1>Load profile {{.R.Profile}} against {{.R.Target}}</h1>
<p>{{if .R.Held}}<strong>Held</strong>{{else}}<strong>Not held</strong>: {{.R.Reason}}{{end}}.
Started {{.R.Started.Format "2006-01-02 15:04:05 UTC"}} on {{.R.Machine}}; {{.R.Conns}} connections; mix {{.R.Mix}};
{{.R.Duration}} s measured after {{.R.Warmup}} s of warm-up.</p>
{{if .R.RunnerBound}}<p id="runner-bound" style="border:2px solid #d62728;padding:4px 8px"><strong>Runner-bound</strong>: the sender lag p99 ({{printf "%.3f" .R.SenderLag.P99}} ms) exceeds 10% of the latency p50 ({{printf "%.3f" .R.Latency.P50}} ms), so the latencies from the scheduled time are dominated by the load runner, not the target; the latencies from the write are the target's.</p>{{end}}
<table>
<tr><th>target rate</th><th>achieved rate</th><th>answered rate</th><th>sent</th><th>wrong answers</th><th>errors</th></tr>
<tr><td>{{printf "%.1f" .R.TargetRate}}</td><td>{{printf "%.1f" .R.AchievedRate}}</td><td>{{printf "%.1f" .R.AnsweredRate}}</td><td>{{.R.Sent}}</td><td>{{.R.WrongCount}}</td><td>{{.ErrorsTotal}}</td></tr>
</table>
<p>Achieved: correct answers per second; answered: answers of any kind, right or wrong.</p>
<table>
<tr><th>ms</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
{{with .R.Latency}}<tr><th>latency{{if $.R.LatencyFromWrite}} from the scheduled send time{{end}}</th><td>{{printf "%.3f" .P50}}</td><td>{{printf "%.3f" .P90}}</td><td>{{printf "%.3f" .P99}}</td><td>{{printf "%.3f" .P999}}</td><td>{{printf "%.3f" .Max}}</td></tr>{{end}}
{{with .R.LatencyFromWrite}}<tr><th>latency from the actual write</th><td>{{printf "%.3f" .P50}}</td><td>{{printf "%.3f" .P90}}</td><td>{{printf "%.3f" .P99}}</td><td>{{printf "%.3f" .P999}}</td><td>{{printf "%.3f" .Max}}</td></tr>{{end}}
{{if .R.LatencyFromWrite}}{{with .R.SenderLag}}<tr><th>sender lag</th><td>{{printf "%.3f" .P50}}</td><td>{{printf "%.3f" .P90}}</td><td>{{printf "%.3f" .P99}}</td><td>{{printf "%.3f" .P999}}</td><td>{{printf "%.3f" .Max}}</td></tr>{{end}}{{end}}
</table>
<p>{{if .R.LatencyFromWrite}}Latencies of the correct answers, measured from each command's scheduled send time (the user's view: open loop, no coordinated omission) and from the moment the runner wrote it (the target's view); the sender lag is how late the runner was ready to write, behind the schedule.{{else}}Latencies of the correct answers, measured from each command's send time (closed loop: no schedule).{{end}}</p>
{{if .R.Wrong}}<h2>Wrong answers by code</h2><p>Answers other than the expected one: an error code, or <code>mismatch</code> for the expected code with a wrong value.</p><table><tr><th>code</th><th>count</th></tr>{{range $k, $v := .R.Wrong}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
{{if .R.Errors}}<h2>Errors (no answer)</h2><table><tr><th>kind</th><th>count</th></tr>{{range $k, $v := .R.Errors}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table>{{end}}
{{if .R.Steps}}<h2>Saturation search</h2><p>{{.R.Stop}}.</p><table><tr><th>concurrency</th><th>achieved rate</th><th>error rate</th><th>p99 (ms)</th></tr>{{range .R.Steps}}<tr><td>{{.Concurrency}}</td><td>{{printf "%.1f" .AchievedRate}}</td><td>{{printf "%.4f" .ErrorRate}}</td><td>{{printf "%.3f" .P99}}</td></tr>{{end}}</table>{{end}}
<h2>Latency over time</h2>
{{.Time}}
<h2>Latency by percentile</h2>
{{.Pctl}}
</body></html>
`))

package bench

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot draws the open-loop steps' latency percentiles against the offered
// rate (log scale), with the targets and the measured maximum and ceiling.
func Plot(r *Report, path string) error {
	var open []Step
	for _, st := range r.Steps {
		if st.Kind == "open" {
			open = append(open, st)
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("hookflow latency vs offered rate — pipeline max %.0f/s, ceiling %.0f/s (ratio %.2f)",
		r.Summary.PipelinePerSec, r.Summary.CeilingPerSec, r.Summary.Ratio)
	p.X.Label.Text = "offered rate (events/s, open loop)"
	p.Y.Label.Text = "latency (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())

	series := []struct {
		name  string
		get   func(Step) float64
		color color.RGBA
		dash  []vg.Length
	}{
		{"202 p50", func(s Step) float64 { return s.Ack.P50 }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, nil},
		{"202 p95", func(s Step) float64 { return s.Ack.P95 }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, []vg.Length{vg.Points(6), vg.Points(3)}},
		{"202 p99", func(s Step) float64 { return s.Ack.P99 }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255}, []vg.Length{vg.Points(2), vg.Points(2)}},
		{"row queryable p50", func(s Step) float64 { return s.Row.P50 }, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255}, nil},
		{"row queryable p99", func(s Step) float64 { return s.Row.P99 }, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255}, []vg.Length{vg.Points(2), vg.Points(2)}},
	}
	xmax := 1.0
	for _, s := range series {
		var pts plotter.XYs
		for _, st := range open {
			v := s.get(st)
			if v <= 0 || math.IsNaN(v) {
				continue
			}
			pts = append(pts, plotter.XY{X: st.Offered, Y: v})
			xmax = max(xmax, st.Offered)
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, sc.Color = s.color, s.color
		l.Dashes = s.dash
		l.Width = vg.Points(1.5)
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	xmax = max(xmax, r.Summary.PipelinePerSec, r.Summary.CeilingPerSec) * 1.08
	hline := func(y float64, name string, c color.RGBA) error {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: xmax, Y: y}})
		if err != nil {
			return err
		}
		l.Color, l.Dashes, l.Width = c, []vg.Length{vg.Points(1), vg.Points(3)}, vg.Points(1)
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	grey := color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 255}
	if err := hline(25, "target: 202 p99 ≤ 25 ms at half the max", grey); err != nil {
		return err
	}
	if err := hline(300, "target: row p99 ≤ 300 ms at half the max", color.RGBA{R: 0x99, G: 0x33, B: 0x33, A: 255}); err != nil {
		return err
	}
	vline := func(x float64, name string, c color.RGBA) error {
		if x <= 0 {
			return nil
		}
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0.5}, {X: x, Y: 20000}})
		if err != nil {
			return err
		}
		l.Color, l.Dashes, l.Width = c, []vg.Length{vg.Points(4), vg.Points(4)}, vg.Points(1)
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	if err := vline(r.Summary.PipelinePerSec, fmt.Sprintf("pipeline max %.0f/s (closed loop)", r.Summary.PipelinePerSec), color.RGBA{G: 0x80, A: 255}); err != nil {
		return err
	}
	if err := vline(r.Summary.CeilingPerSec, fmt.Sprintf("ceiling %.0f/s (no-op workflow)", r.Summary.CeilingPerSec), color.RGBA{R: 0x80, B: 0x80, A: 255}); err != nil {
		return err
	}
	p.X.Min, p.X.Max = 0, xmax
	p.Y.Min, p.Y.Max = 0.5, 20000
	return p.Save(10*vg.Inch, 6*vg.Inch, path)
}

package views

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Chart geometry, in pixels.
const (
	chartBarWidth = 24
	chartGap      = 8
	chartHeight   = 160
	chartMargin   = 12
	maxChartWeeks = 52
)

// chartColors colour the severities in policy order, like the severity
// labels (red, orange, yellow), then grey for the rest.
var chartColors = []color.RGBA{
	{0xdd, 0x2e, 0x44, 0xff},
	{0xf4, 0x90, 0x0c, 0xff},
	{0xfd, 0xcb, 0x58, 0xff},
	{0x8b, 0x8f, 0x99, 0xff},
}

var (
	chartBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	chartGrid       = color.RGBA{0xe3, 0xe5, 0xe8, 0xff}
	chartAxis       = color.RGBA{0x61, 0x66, 0x70, 0xff}
)

// chartColor returns the colour of severity column i of n columns (the
// last being "any other severity").
func chartColor(i, n int) color.RGBA {
	if i == n-1 {
		return chartColors[len(chartColors)-1]
	}
	return chartColors[min(i, len(chartColors)-2)]
}

// WeeklyChart draws incidents per week as stacked bars, one colour per
// severity (the legend is in WeeklyChartLegend: the standard library
// draws no text), as a PNG. It shows the last 52 weeks at most.
func WeeklyChart(weeks []incident.WeekCount) ([]byte, error) {
	if len(weeks) == 0 {
		return nil, fmt.Errorf("no weeks to chart")
	}
	if len(weeks) > maxChartWeeks {
		weeks = weeks[len(weeks)-maxChartWeeks:]
	}
	peak := 1
	for _, w := range weeks {
		total := 0
		for _, c := range w.Count {
			total += c
		}
		peak = max(peak, total)
	}
	width := 2*chartMargin + len(weeks)*(chartBarWidth+chartGap) - chartGap
	height := 2*chartMargin + chartHeight
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(chartBackground), image.Point{}, draw.Src)
	base := chartMargin + chartHeight
	// A grid line per incident up to 10, else at quarters.
	step := 1
	if peak > 10 {
		step = (peak + 3) / 4
	}
	for n := step; n <= peak; n += step {
		y := base - n*chartHeight/peak
		draw.Draw(img, image.Rect(chartMargin, y, width-chartMargin, y+1), image.NewUniform(chartGrid), image.Point{}, draw.Src)
	}
	for i, w := range weeks {
		x := chartMargin + i*(chartBarWidth+chartGap)
		y := base
		for j, c := range w.Count {
			if c == 0 {
				continue
			}
			top := base - (sum(w.Count[:j+1]) * chartHeight / peak)
			draw.Draw(img, image.Rect(x, top, x+chartBarWidth, y), image.NewUniform(chartColor(j, len(w.Count))), image.Point{}, draw.Src)
			y = top
		}
	}
	draw.Draw(img, image.Rect(chartMargin, base, width-chartMargin, base+2), image.NewUniform(chartAxis), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode the chart: %w", err)
	}
	return b.Bytes(), nil
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// WeeklyChartLegend says what WeeklyChart shows, for the message it is
// shared with.
func WeeklyChartLegend(s incident.Stats, severities []string) string {
	names := []string{"red", "orange", "yellow"}
	var parts []string
	for i, sev := range severities {
		if i < len(names) {
			parts = append(parts, names[i]+" "+sev)
		}
	}
	if len(severities) > len(names) {
		parts = append(parts, "yellow also "+strings.Join(severities[len(names):], ", "))
	}
	parts = append(parts, "grey any other")
	first, last := s.Weeks[0].Start, s.Weeks[len(s.Weeks)-1].Start
	if len(s.Weeks) > maxChartWeeks {
		first = s.Weeks[len(s.Weeks)-maxChartWeeks].Start
	}
	return fmt.Sprintf(":bar_chart: Incidents declared per week, %s to the week of %s (one bar a week, oldest on the left; %s). Drills and cancelled incidents left out.",
		first.Format("2 Jan 2006"), last.Format("2 Jan 2006"), strings.Join(parts, ", "))
}

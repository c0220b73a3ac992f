package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// ReportOptions name the two targets a report compares.
type ReportOptions struct {
	Target       string // label of the measured server's results (default "hourglass")
	Baseline     string // label of the baseline's results (default "null")
	TargetName   string // column heading (default "Hourglass")
	BaselineName string // column heading (default "null server")
	// RSS is each target's peak resident set in KiB (VmHWM), by label; absent: not shown.
	RSS map[string]int64
}

// ReadResults reads a stream of JSON results (as WriteJSON writes them, one after another).
func ReadResults(r io.Reader) ([]Result, error) {
	dec := json.NewDecoder(r)
	var out []Result
	for {
		var res Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("loadgen: reading results: %w", err)
		}
		out = append(out, res)
	}
}

type group struct {
	key      string
	target   []Result
	baseline []Result
	borrowed bool // the baseline figures are those of the same workload with a static key
}

func (r *Result) groupKey() string {
	if r.Scenario != "" {
		return r.Scenario
	}
	return r.Describe()
}

// throughput is the figure a workload is judged by: MB/s for GET and PUT of objects of 1 MiB
// or more, operations per second otherwise.
func (r *Result) throughput() (float64, string) {
	if (r.Mode == ModeGet || r.Mode == ModePut) && r.ObjectSize >= 1<<20 {
		return r.MBPerSec, "MB/s"
	}
	return r.OpsPerSec, "ops/s"
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type summary struct {
	n          int
	tput       float64
	lo, hi     float64
	unit       string
	p99        float64
	errors     int64
	codes      map[string]int64
	setupCodes map[string]int64
}

func summarize(rs []Result) summary {
	s := summary{n: len(rs), codes: map[string]int64{}, setupCodes: map[string]int64{}}
	var tputs, p99s []float64
	for i := range rs {
		v, unit := rs[i].throughput()
		s.unit = unit
		tputs = append(tputs, v)
		if rs[i].Ops > 0 {
			p99s = append(p99s, rs[i].Latency.P99)
		}
		s.errors += rs[i].Errors
		for c, n := range rs[i].ErrorCodes {
			s.codes[c] += n
		}
		for c, n := range rs[i].SetupErrors {
			s.setupCodes[c] += n
		}
	}
	s.tput, s.p99 = median(tputs), median(p99s)
	if len(tputs) > 0 {
		s.lo, s.hi = slicesMin(tputs), slicesMax(tputs)
	}
	return s
}

func slicesMin(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

func slicesMax(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

// num prints a figure with thousands separators and a precision that suits its size.
func num(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if v == 0 {
		return "0"
	}
	switch {
	case v >= 100:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(a, b float64) string { // of two medians
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func (s summary) tputCell() string {
	if s.n == 0 {
		return "not measured"
	}
	cell := num(s.tput) + " " + s.unit
	if s.n > 1 {
		cell += fmt.Sprintf(" (%s–%s)", num(s.lo), num(s.hi))
	}
	return cell
}

func (s summary) p99Cell() string {
	if s.n == 0 || math.IsNaN(s.p99) {
		return "—"
	}
	return fmtMs(s.p99)
}

func (s summary) errorsCell() string {
	if s.n == 0 {
		return "—"
	}
	var parts []string
	for _, c := range sortedKeys(s.setupCodes) {
		parts = append(parts, fmt.Sprintf("set-up %s ×%d", c, s.setupCodes[c]))
	}
	codes := sortedKeys(s.codes)
	sort.SliceStable(codes, func(i, j int) bool { return s.codes[codes[i]] > s.codes[codes[j]] })
	for i, c := range codes {
		if i == 2 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%s", c, num(float64(s.codes[c]))))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// Report writes a markdown table comparing opt.Target with opt.Baseline: one row per workload
// (Result.Scenario, or Describe() when empty), in the order they first appear, with the median
// of the rounds (and their range), the ratio of the medians, the median p99 latency of each and
// the errors of the target summed over the rounds. A workload run with a temporary key whose
// baseline was run only with a static key borrows the static figures (the null server does not
// authenticate), marked with a dagger.
func Report(w io.Writer, results []Result, opt ReportOptions) error {
	if opt.Target == "" {
		opt.Target = "hourglass"
	}
	if opt.Baseline == "" {
		opt.Baseline = "null"
	}
	if opt.TargetName == "" {
		opt.TargetName = "Hourglass"
	}
	if opt.BaselineName == "" {
		opt.BaselineName = "null server"
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, r := range results {
		k := r.groupKey()
		g := byKey[k]
		if g == nil {
			g = &group{key: k}
			byKey[k] = g
			groups = append(groups, g)
		}
		switch r.Target {
		case opt.Target:
			g.target = append(g.target, r)
		case opt.Baseline:
			g.baseline = append(g.baseline, r)
		}
	}
	for _, g := range groups {
		if len(g.baseline) > 0 || len(g.target) == 0 || g.target[0].Credentials != "temporary" {
			continue
		}
		t := g.target[0]
		for _, r := range results {
			if r.Target == opt.Baseline && r.Credentials == "static" && r.Mode == t.Mode && r.ObjectSize == t.ObjectSize && r.Concurrency == t.Concurrency {
				g.baseline = append(g.baseline, r)
				g.borrowed = true
			}
		}
	}

	var b strings.Builder
	rounds := 0
	for _, g := range groups {
		rounds = max(rounds, len(g.target), len(g.baseline))
	}
	fmt.Fprintf(&b, "| workload | %[1]s | %[2]s | ratio | p99 %[1]s | p99 %[2]s | p99 ratio | errors %[1]s |\n", opt.TargetName, opt.BaselineName)
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	borrowed := false
	for _, g := range groups {
		if len(g.target) == 0 && len(g.baseline) == 0 {
			continue // results of a third target
		}
		t, n := summarize(g.target), summarize(g.baseline)
		first := g.target
		if len(first) == 0 {
			first = g.baseline
		}
		name := first[0].Describe()
		nCell := n.tputCell()
		if g.borrowed {
			nCell += " †"
			borrowed = true
		}
		tputRatio, p99Ratio := "—", "—"
		if t.n > 0 && n.n > 0 {
			tputRatio, p99Ratio = pairedRatios(g.target, g.baseline)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			name, t.tputCell(), nCell, tputRatio, t.p99Cell(), n.p99Cell(), p99Ratio, t.errorsCell())
	}
	if len(opt.RSS) > 0 {
		tr, tok := opt.RSS[opt.Target]
		nr, nok := opt.RSS[opt.Baseline]
		cell := func(v int64, ok bool) string {
			if !ok {
				return "not measured"
			}
			return fmt.Sprintf("%s MiB", num(float64(v)/1024))
		}
		rr := "—"
		if tok && nok {
			rr = ratio(float64(tr), float64(nr))
		}
		fmt.Fprintf(&b, "| peak RSS (VmHWM) of the server | %s | %s | %s | | | | |\n", cell(tr, tok), cell(nr, nok), rr)
	}
	fmt.Fprintf(&b, "\nRounds: %d; figures are medians over the rounds (range in brackets). A ratio is %s ÷ %s, computed per round (the two ran one after the other) and the median taken (throughput: higher is better; p99: lower is better). MB = 10^6 bytes.\n",
		rounds, opt.TargetName, opt.BaselineName)
	if borrowed {
		fmt.Fprintf(&b, "† the %s does not authenticate, so its static-key figure stands for the temporary key.\n", opt.BaselineName)
	}
	writeTemporaryVersusStatic(&b, groups, opt)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTemporaryVersusStatic compares, for the target, each temporary-key workload with the
// same workload run with a static key.
func writeTemporaryVersusStatic(b *strings.Builder, groups []*group, opt ReportOptions) {
	header := false
	for _, g := range groups {
		if len(g.target) == 0 || g.target[0].Credentials != "temporary" {
			continue
		}
		tmp := g.target[0]
		var static []Result
		for _, h := range groups {
			if len(h.target) > 0 && h.target[0].Credentials == "static" && h.target[0].Mode == tmp.Mode &&
				h.target[0].ObjectSize == tmp.ObjectSize && h.target[0].Concurrency == tmp.Concurrency {
				static = h.target
				break
			}
		}
		if static == nil {
			continue
		}
		if !header {
			fmt.Fprintf(b, "\n%s, temporary key versus static key (same workload, same rounds):\n\n", opt.TargetName)
			b.WriteString("| workload | temporary key | static key | ratio | p99 temporary | p99 static |\n")
			b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
			header = true
		}
		ts, ss := summarize(g.target), summarize(static)
		tr, _ := pairedRatios(g.target, static)
		name := strings.Replace(tmp.Describe(), ", temporary key", "", 1)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, ts.tputCell(), ss.tputCell(), tr, ts.p99Cell(), ss.p99Cell())
	}
}

// pairedRatios returns the median over rounds of a's throughput and p99 divided by b's in the
// same round; runs without a partner in the other set are paired with b's median instead.
func pairedRatios(a, b []Result) (tput, p99 string) {
	bs := summarize(b)
	var tr, pr []float64
	for i := range a {
		bt, bp := bs.tput, bs.p99
		for j := range b {
			if b[j].Round == a[i].Round && a[i].Round != 0 {
				bt, _ = b[j].throughput()
				bp = math.NaN()
				if b[j].Ops > 0 {
					bp = b[j].Latency.P99
				}
				break
			}
		}
		at, _ := a[i].throughput()
		if bt > 0 {
			tr = append(tr, at/bt)
		}
		if a[i].Ops > 0 && bp > 0 {
			pr = append(pr, a[i].Latency.P99/bp)
		}
	}
	f := func(xs []float64) string {
		if len(xs) == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f", median(xs))
	}
	return f(tr), f(pr)
}

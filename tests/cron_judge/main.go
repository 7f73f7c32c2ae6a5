// cron-judge: the reference oracle for kaireon_chart.cron's differential tests.
//
// It links Debian's golang-github-robfig-cron-dev (robfig/cron v3.0.1, the version Kubernetes
// vendors; Debian installs the module github.com/robfig/cron/v3 under GOPATH path
// github.com/robfig/cron, which is why the import below has no /v3) and answers batches of questions on stdin, one JSON array per line:
//
//	[{"expr": "0 4 * * *", "from": "2025-01-01T00:00:00Z", "tz": "Europe/Berlin", "n": 3}, ...]
//
// with one JSON array per line on stdout, an answer per question:
//
//	{"ok": true, "error": "", "panic": "", "tz_rule": false, "next": ["2025-01-01T03:00:00Z", ...]}
//
// ok/error/panic are cron.ParseStandard(expr) (a panic is recovered and reported, never fatal);
// tz_rule is Kubernetes' create-time rule strings.Contains(expr, "TZ"), reported separately so
// both layers can be compared. next holds up to n successive Next() times starting from `from`
// converted to zone tz ("" = UTC), RFC3339Nano in UTC; null marks Next's zero time ("never").
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	cron "github.com/robfig/cron"
)

type question struct {
	Expr string `json:"expr"`
	From string `json:"from"`
	TZ   string `json:"tz"`
	N    int    `json:"n"`
}

type answer struct {
	OK     bool      `json:"ok"`
	Error  string    `json:"error"`
	Panic  string    `json:"panic"`
	TZRule bool      `json:"tz_rule"`
	Next   []*string `json:"next"`
	Fault  string    `json:"fault,omitempty"`
}

func parse(expr string) (s cron.Schedule, err error, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	s, err = cron.ParseStandard(expr)
	return s, err, ""
}

func judge(q question) (a answer) {
	a.Next = []*string{}
	a.TZRule = strings.Contains(q.Expr, "TZ")
	s, err, panicked := parse(q.Expr)
	if panicked != "" {
		a.Panic = panicked
		return a
	}
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.OK = true
	if q.N <= 0 {
		return a
	}
	from, err := time.Parse(time.RFC3339Nano, q.From)
	if err != nil {
		a.Fault = "bad from: " + err.Error()
		return a
	}
	loc, err := time.LoadLocation(q.TZ)
	if err != nil {
		a.Fault = "bad tz: " + err.Error()
		return a
	}
	t := from.In(loc)
	for i := 0; i < q.N; i++ {
		t = s.Next(t)
		if t.IsZero() {
			a.Next = append(a.Next, nil)
			break
		}
		v := t.UTC().Format(time.RFC3339Nano)
		a.Next = append(a.Next, &v)
	}
	return a
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var qs []question
			if jerr := json.Unmarshal(line, &qs); jerr != nil {
				fmt.Fprintf(out, "{\"fault\": %q}\n", jerr.Error())
			} else {
				as := make([]answer, len(qs))
				for i, q := range qs {
					as[i] = judge(q)
				}
				b, _ := json.Marshal(as)
				out.Write(b)
				out.WriteByte('\n')
			}
			out.Flush()
		}
		if err != nil {
			return
		}
	}
}

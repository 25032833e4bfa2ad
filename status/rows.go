// Package status turns a study's stored state into rows and renders them:
// status.csv, the flat, narrow and legacy tables, and JSON.
package status

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maestro-go/maestro/store"
)

// Columns are the status columns of `maestro status`, in order
// (docs/STATUS.md).
var Columns = []string{"Step Name", "Job ID", "Workspace", "State", "Run Time", "Elapsed Time",
	"Start Time", "Submit Time", "End Time", "Number Restarts", "Params"}

// Row is one step's status as text, one field per column.
type Row [11]string

const (
	colName = iota
	colJobID
	colWorkspace
	colState
	colRunTime
	colElapsed
	colStart
	colSubmit
	colEnd
	colRestarts
	colParams
)

// TimeLayout is how status prints times.
const TimeLayout = "2006-01-02 15:04:05"

// MakeRow formats one step; now stands in for the end of a step that has
// not ended.
func MakeRow(info *store.StepInfo, st *store.StepStatus, now time.Time) Row {
	var r Row
	r[colName] = info.Name
	r[colJobID] = orDash(st.JobID)
	r[colWorkspace] = info.Workspace
	r[colState] = string(st.State)
	end := st.Ended
	if end.IsZero() && st.State.InFlight() {
		end = now
	}
	r[colRunTime] = Duration(st.Started, end)
	r[colElapsed] = Duration(st.Submitted, end)
	r[colStart] = Time(st.Started)
	r[colSubmit] = Time(st.Submitted)
	r[colEnd] = Time(st.Ended)
	r[colRestarts] = strconv.Itoa(st.Restarts)
	r[colParams] = Params(info.Params)
	return r
}

func orDash(s string) string {
	if s == "" {
		return "--"
	}
	return s
}

// Time prints t as status does, "--" when unknown.
func Time(t time.Time) string {
	if t.IsZero() {
		return "--"
	}
	return t.Local().Format(TimeLayout)
}

// Duration prints end-start as 0d:00h:01m:27s, "--:--:--" when unknown.
func Duration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return "--:--:--"
	}
	return Seconds(int(end.Sub(start).Seconds()))
}

// Seconds prints a duration of s seconds as 0d:00h:01m:27s.
func Seconds(s int) string {
	return fmt.Sprintf("%dd:%02dh:%02dm:%02ds", s/86400, s/3600%24, s/60%60, s%60)
}

// Params prints parameters as NAME:value;NAME:value.
func Params(params []store.KV) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.Key)
		b.WriteByte(':')
		b.WriteString(p.Value)
	}
	return b.String()
}

// Rows formats a study's steps, in table order (the store keeps them
// level by level from the root).
func Rows(snap *Snapshot, now time.Time) []Row {
	rows := make([]Row, len(snap.Steps))
	for i := range snap.Steps {
		rows[i] = MakeRow(&snap.Steps[i], &snap.Status[i], now)
	}
	return rows
}

// WriteCSV writes status.csv atomically (a reader never sees half a file).
func WriteCSV(path string, rows []Row) error {
	return WriteCSVFunc(path, len(rows), func(i int) Row { return rows[i] })
}

// WriteCSVFunc writes status.csv of n rows, which row makes one at a time
// (a study's rows need not all be in memory at once), atomically.
func WriteCSVFunc(path string, n int, row func(i int) Row) (err error) {
	tmp := filepath.Join(filepath.Dir(path), ".status.csv.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	w := csv.NewWriter(bw)
	if err := w.Write(Columns); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		r := row(i)
		if err := w.Write(r[:]); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

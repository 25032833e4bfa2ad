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
	w, err := CreateCSV(path)
	if err != nil {
		return err
	}
	for i := range rows {
		w.Add(rows[i])
	}
	return w.Close()
}

// CSVFile is status.csv being written, row by row, beside its place: a
// reader never sees half a file.
type CSVFile struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	w         *csv.Writer
	err       error
}

// CreateCSV starts writing status.csv at path, with its header.
func CreateCSV(path string) (*CSVFile, error) {
	c := &CSVFile{path: path, tmp: filepath.Join(filepath.Dir(path), ".status.csv.tmp")}
	var err error
	if c.f, err = os.Create(c.tmp); err != nil {
		return nil, err
	}
	c.bw = bufio.NewWriterSize(c.f, 256<<10)
	c.w = csv.NewWriter(c.bw)
	c.err = c.w.Write(Columns)
	return c, nil
}

// Add writes one row; a failure is kept for Close.
func (c *CSVFile) Add(r Row) {
	if c.err == nil {
		c.err = c.w.Write(r[:])
	}
}

// Close finishes the file and moves it into place, or removes it and
// returns the first failure.
func (c *CSVFile) Close() error {
	c.w.Flush()
	err := c.err
	if err == nil {
		err = c.w.Error()
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(c.tmp, c.path)
	}
	if err != nil {
		os.Remove(c.tmp)
	}
	return err
}

// Discard removes the unfinished file.
func (c *CSVFile) Discard() {
	c.f.Close()
	os.Remove(c.tmp)
}

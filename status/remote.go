package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/maestro-go/maestro/state"
	"github.com/maestro-go/maestro/store"
)

// Document mirrors the `status --json` document (docs/STATUS.md), for
// programs that read it back.
type Document struct {
	Schema  int            `json:"schema"`
	Study   string         `json:"study"`
	Path    string         `json:"path"`
	State   string         `json:"state"`
	Created time.Time      `json:"created"`
	Total   int            `json:"total"`
	Counts  map[string]int `json:"counts"`
	Steps   []struct {
		Name      string     `json:"name"`
		JobID     *string    `json:"job_id"`
		Workspace string     `json:"workspace"`
		State     string     `json:"state"`
		Run       *float64   `json:"run_seconds"`
		Elapsed   *float64   `json:"elapsed_seconds"`
		Start     *time.Time `json:"start_time"`
		Submit    *time.Time `json:"submit_time"`
		End       *time.Time `json:"end_time"`
		Restarts  int        `json:"restarts"`
		Attempts  int        `json:"attempts"`
		ExitCode  *int       `json:"exit_code"`
		Reason    string     `json:"reason"`
		Params    []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"params"`
	} `json:"steps"`
	Conductor *string `json:"conductor"`
}

// TableFromJSON reads a `status --json` document (as the conductor's HTTP
// API serves it) back into a table.
func TableFromJSON(r io.Reader) (*Table, error) {
	var doc Document
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("cannot read the study's JSON: %v", err)
	}
	if doc.Schema != JSONSchema {
		return nil, fmt.Errorf("the study's JSON has schema %d; this maestro reads schema %d", doc.Schema, JSONSchema)
	}
	t := &Table{Title: doc.Path, State: state.Study(doc.State), Rows: make([]Row, len(doc.Steps))}
	if doc.Conductor != nil {
		t.Conductor = *doc.Conductor
	}
	for i, s := range doc.Steps {
		r := &t.Rows[i]
		r[colName], r[colWorkspace], r[colState] = s.Name, s.Workspace, s.State
		r[colJobID] = "--"
		if s.JobID != nil {
			r[colJobID] = *s.JobID
		}
		r[colRunTime], r[colElapsed] = seconds(s.Run), seconds(s.Elapsed)
		r[colStart], r[colSubmit], r[colEnd] = timeOf(s.Start), timeOf(s.Submit), timeOf(s.End)
		r[colRestarts] = strconv.Itoa(s.Restarts)
		params := make([]store.KV, len(s.Params))
		for k, p := range s.Params {
			params[k] = store.KV{Key: p.Name, Value: p.Value}
		}
		r[colParams] = Params(params)
	}
	return t, nil
}

func seconds(s *float64) string {
	if s == nil {
		return "--:--:--"
	}
	return Seconds(int(*s))
}

func timeOf(t *time.Time) string {
	if t == nil {
		return "--"
	}
	return Time(*t)
}

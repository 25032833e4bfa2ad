package store

import (
	"encoding/json"
	"strconv"
	"time"
)

// Step and status records are written by hand, field by field, exactly as
// json.Marshal writes them (encode_test.go checks it): reflection took a
// second of a million-step launch.

// appendStepJSON appends si as json.Marshal does.
func appendStepJSON(b []byte, si *StepInfo) []byte {
	b = appendKey(b, '{', "name")
	b = appendJSONString(b, si.Name)
	b = appendKey(b, ',', "step")
	b = appendJSONString(b, si.Step)
	b = appendKey(b, ',', "workspace")
	b = appendJSONString(b, si.Workspace)
	b = appendKey(b, ',', "script")
	b = appendJSONString(b, si.Script)
	if si.Restart != "" {
		b = appendKey(b, ',', "restart")
		b = appendJSONString(b, si.Restart)
	}
	if si.Scheduled {
		b = append(b, `,"scheduled":true`...)
	}
	b = appendKey(b, ',', "job_name")
	b = appendJSONString(b, si.JobName)
	if si.Walltime != "" {
		b = appendKey(b, ',', "walltime")
		b = appendJSONString(b, si.Walltime)
	}
	if si.Nested {
		b = append(b, `,"nested":true`...)
	}
	if si.Array {
		b = append(b, `,"array":true`...)
	}
	b = appendJSONInt(b, "bundle", si.Bundle)
	b = appendKVs(b, "params", si.Params)
	if len(si.Parents) > 0 {
		b = append(b, `,"parents":[`...)
		for k, p := range si.Parents {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
		b = append(b, ']')
	}
	b = appendKVs(b, "resources", si.Resources)
	return append(b, '}')
}

// appendKVs appends a list of KVs that omitempty leaves out when empty.
func appendKVs(b []byte, key string, kvs []KV) []byte {
	if len(kvs) == 0 {
		return b
	}
	b = appendKey(b, ',', key)
	b = append(b, '[')
	for k, kv := range kvs {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendKey(b, '{', "Key")
		b = appendJSONString(b, kv.Key)
		b = appendKey(b, ',', "Value")
		b = appendJSONString(b, kv.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// statusEncodable reports whether json.Marshal can write st: it refuses
// times outside the years 0 to 9999.
func statusEncodable(st *StepStatus) bool {
	for _, t := range []time.Time{st.Submitted, st.Started, st.Ended, st.MarkedAt} {
		if y := t.Year(); y < 0 || y > 9999 {
			return false
		}
	}
	return true
}

// appendStatusJSON appends st as json.Marshal does, if statusEncodable.
func appendStatusJSON(b []byte, st *StepStatus) []byte {
	b = appendKey(b, '{', "state")
	b = appendJSONString(b, string(st.State))
	if st.JobID != "" {
		b = appendKey(b, ',', "job_id")
		b = appendJSONString(b, st.JobID)
	}
	b = appendJSONTime(b, "submitted", st.Submitted)
	b = appendJSONTime(b, "started", st.Started)
	b = appendJSONTime(b, "ended", st.Ended)
	b = appendJSONInt(b, "restarts", st.Restarts)
	b = appendJSONInt(b, "attempts", st.Attempts)
	b = appendJSONInt(b, "hw_retries", st.HWRetries)
	if st.ExitCode != nil {
		b = appendKey(b, ',', "exit_code")
		b = strconv.AppendInt(b, int64(*st.ExitCode), 10)
	}
	if st.Reason != "" {
		b = appendKey(b, ',', "reason")
		b = appendJSONString(b, st.Reason)
	}
	if st.Submitting {
		b = append(b, `,"submitting":true`...)
	}
	b = appendJSONInt(b, "token", st.Token)
	b = appendJSONTime(b, "marked_at", st.MarkedAt)
	if st.Bundle != "" {
		b = appendKey(b, ',', "bundle")
		b = appendJSONString(b, st.Bundle)
	}
	return append(b, '}')
}

func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendJSONInt appends a field that json's omitempty leaves out at 0.
func appendJSONInt(b []byte, key string, n int) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(appendKey(b, ',', key), int64(n), 10)
}

// appendJSONTime appends a field that omitzero leaves out when zero.
func appendJSONTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = appendKey(b, ',', key)
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends s as json.Marshal does: plain when it is
// printable ASCII that needs no escape, else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			data, _ := json.Marshal(s)
			return append(b, data...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

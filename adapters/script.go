package adapters

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/maestro-go/maestro/spec"
)

// Script is what a script writer needs to know about one expanded step.
type Script struct {
	JobName string     // the step name, or its workspace hash with --hashws
	Step    *spec.Step // every token of the step's combination substituted
	Batch   *spec.Batch
}

// Resource returns the step's value for a resource, else the batch's.
func (s *Script) Resource(step, batch string) string {
	if step != "" {
		return step
	}
	return batch
}

// Render writes the full text of a step script: shebang, header lines (only
// for a scheduled step), one blank line, the command and a final newline
// (docs/SPEC.md, Scripts). cmd is the step's cmd or restart text.
func Render(w ScriptWriter, s *Script, cmd string, scheduled bool) ([]byte, error) {
	var header []string
	var err error
	if scheduled {
		if header, err = w.Header(s); err != nil {
			return nil, err
		}
		if cmd, err = SubstituteLauncher(cmd, s, w); err != nil {
			return nil, err
		}
	} else {
		cmd = StripLauncher(cmd)
	}
	var b bytes.Buffer
	b.Grow(len(cmd) + 64*len(header) + 32)
	b.WriteString("#!")
	b.WriteString(w.Shebang(s.Batch))
	b.WriteByte('\n')
	for _, h := range header {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(cmd)
	b.WriteByte('\n')
	return b.Bytes(), nil
}

const launcherToken = "$(LAUNCHER)"

// allocation matches a launcher token with its optional bracket, stopping
// at the first ']' (the Python tool's greedy match swallows whole lines).
var allocation = regexp.MustCompile(`\$\(LAUNCHER\)(?:\[([^\]]*)\])?`)

// strippable is a launcher token with the blank that follows it.
var strippable = regexp.MustCompile(`\$\(LAUNCHER\)(?:\[[^\]]*\])? ?`)

var allocItem = regexp.MustCompile(`^\s*([0-9]+)\s*([nNpP]?)\s*$`)

// HasLauncher reports whether text uses $(LAUNCHER).
func HasLauncher(text string) bool { return strings.Contains(text, launcherToken) }

// StripLauncher removes launcher tokens from the command of a step that is
// not scheduled (the Python tool leaves them and bash then fails).
func StripLauncher(cmd string) string {
	if !HasLauncher(cmd) {
		return cmd
	}
	return strippable.ReplaceAllString(cmd, "")
}

// SubstituteLauncher replaces every launcher token of cmd with the
// scheduler's parallel launch command, checking bracket allocations against
// the step's own nodes and procs.
func SubstituteLauncher(cmd string, s *Script, w ScriptWriter) (string, error) {
	if !HasLauncher(cmd) {
		return cmd, nil
	}
	stepNodes := s.Resource(s.Step.Run.Nodes, s.Batch.Nodes)
	stepProcs := s.Resource(s.Step.Run.Procs, s.Batch.Procs)
	var firstErr error
	out := allocation.ReplaceAllStringFunc(cmd, func(tok string) string {
		m := allocation.FindStringSubmatch(tok)
		if !strings.Contains(tok, "[") {
			return w.Launcher(s, s.Step.Run.Nodes, stepProcs)
		}
		nodes, procs, err := parseAllocation(m[1])
		if err == nil {
			err = checkBound(tok, "nodes", nodes, stepNodes)
		}
		if err == nil {
			err = checkBound(tok, "procs", procs, stepProcs)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("step '%s': %w", s.Step.Name, err)
			}
			return tok
		}
		return w.Launcher(s, nodes, procs)
	})
	return out, firstErr
}

// parseAllocation reads "2n, 36p", "36p" or the legacy "2, 36".
func parseAllocation(inside string) (nodes, procs string, err error) {
	parts := strings.Split(inside, ",")
	if len(parts) > 2 {
		return "", "", fmt.Errorf("cannot read $(LAUNCHER)[%s]: give nodes and procs as [Nn, Pp]", inside)
	}
	var nums, units []string
	for _, p := range parts {
		m := allocItem.FindStringSubmatch(p)
		if m == nil {
			return "", "", fmt.Errorf("cannot read $(LAUNCHER)[%s]: give nodes and procs as [Nn, Pp]", inside)
		}
		nums, units = append(nums, m[1]), append(units, strings.ToLower(m[2]))
	}
	if len(nums) == 2 && units[0] == "" && units[1] == "" { // legacy [N, P]
		return nums[0], nums[1], nil
	}
	for i, u := range units {
		if u == "n" && nodes != "" || u == "p" && procs != "" {
			return "", "", fmt.Errorf("$(LAUNCHER)[%s]: give nodes and procs once each", inside)
		}
		switch u {
		case "n":
			nodes = nums[i]
		case "p":
			procs = nums[i]
		default:
			return "", "", fmt.Errorf("cannot read $(LAUNCHER)[%s]: mark each number with n (nodes) or p (procs)", inside)
		}
	}
	if procs == "" {
		return "", "", fmt.Errorf("$(LAUNCHER)[%s]: Processors/tasks must be specified.", inside)
	}
	return nodes, procs, nil
}

func checkBound(tok, what, asked, own string) error {
	if asked == "" || own == "" {
		return nil
	}
	a, err1 := strconv.Atoi(asked)
	o, err2 := strconv.Atoi(own)
	if err1 == nil && err2 == nil && a > o {
		return fmt.Errorf("%s asks for %d %s, more than the step's %d", tok, a, what, o)
	}
	return nil
}

// DirectiveText makes free text safe inside a quoted scheduler directive:
// line breaks become blanks (as the Python tool does), double quotes
// become single ones and other control characters are dropped.
func DirectiveText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r == '"':
			return '\''
		case r < ' ' || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// Truthy reports whether a resource text counts as set the way the Python
// tool's checks do: not empty, not zero, not False.
func Truthy(v string) bool {
	return v != "" && v != "0" && v != "False" && v != "false" && v != "None"
}

package fakesched

import (
	"fmt"
	"regexp"
	"strings"
)

// options describes a command's options: those that take a value and
// those that do not, with aliases to one canonical name.
type options struct {
	values, flags []string
	alias         map[string]string
}

func (o *options) canonical(name string) (string, bool, bool) {
	if a, ok := o.alias[name]; ok {
		name = a
	}
	for _, v := range o.values {
		if v == name {
			return name, true, true
		}
	}
	for _, f := range o.flags {
		if f == name {
			return name, false, true
		}
	}
	return name, false, false
}

// parse reads options ("-W 10", "-N2", "--time=10", "--time 10", flags)
// into opts (the last one wins), stopping at the first operand when
// stopAtOperand (the script and its arguments), else collecting operands
// from anywhere. It returns the operands. A value option that ends the
// arguments is an error, or empty when lastEmpty (a directive line such as
// "#BSUB -W " that the script writer leaves without a value).
func (o *options) parse(args []string, opts map[string]string, stopAtOperand, lastEmpty bool) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(operands, args[i+1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if stopAtOperand {
				return append(operands, args[i:]...), nil
			}
			operands = append(operands, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") {
			name, hasValue = a, false
		}
		canon, takes, known := o.canonical(name)
		if !known && !strings.HasPrefix(a, "--") && len(a) > 2 { // -N2
			if canon, takes, known = o.canonical(a[:2]); known && takes {
				value, hasValue = a[2:], true
			} else {
				known = false
			}
		}
		switch {
		case !known:
			return nil, fmt.Errorf("unrecognized option %s", a)
		case !takes && hasValue:
			return nil, fmt.Errorf("option %s takes no value", name)
		case !takes:
			value = "1"
		case !hasValue && i+1 >= len(args) && lastEmpty:
			value = ""
		case !hasValue:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option %s needs a value", a)
			}
			i++
			value = args[i]
		}
		opts[canon] = value
	}
	return operands, nil
}

// directives returns the words of each of a script's scheduler
// directives: the lines matching sentinel in the block of comment and
// blank lines that follows the shebang (both bsub and flux batch stop
// reading at the first command line). Words are split as a shell would,
// quotes removed; with comments, a # outside quotes ends the directive
// (flux's rule).
func directives(script string, sentinel *regexp.Regexp, comments bool) ([][]string, error) {
	var lines [][]string
	for i, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if i == 0 && strings.HasPrefix(t, "#!") || t == "" {
			continue
		}
		if !strings.HasPrefix(t, "#") {
			break
		}
		if loc := sentinel.FindStringIndex(t); loc != nil && loc[0] == 0 {
			w, err := split(t[loc[1]:], comments)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			lines = append(lines, w)
		}
	}
	return lines, nil
}

// split splits a line into words as a POSIX shell does (no expansions).
func split(s string, comments bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && comments && !inWord:
			i = len(s)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

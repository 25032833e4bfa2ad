package adapters

import (
	"regexp"
	"strings"
)

// OnlyLines reports whether text holds at least one line matching want and
// no other line but those matching one of also: a scheduler command that
// failed only because of answers such as "unknown id" has answered.
func OnlyLines(text string, want *regexp.Regexp, also ...*regexp.Regexp) bool {
	seen := false
lines:
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case want.MatchString(line):
			seen = true
			continue
		}
		for _, re := range also {
			if re.MatchString(line) {
				continue lines
			}
		}
		return false
	}
	return seen
}

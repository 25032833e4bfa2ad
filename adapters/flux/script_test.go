package flux

import (
	"strings"
	"testing"
)

func TestSeconds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"0", 0},
		{"10", 600},
		{"90", 5400},
		{"05:30", 330},
		{"00:30", 30},
		{"01:00:00", 3600},
		{"00:10:00", 600},
		{"00:00:30", 30},
		{"12:34:56", 12*3600 + 34*60 + 56},
		{"48:00:00", 48 * 3600},
		{"1-02:00:00", 86400 + 2*3600},
		{"2-00:00:01", 2*86400 + 1},
		{"1-02", 86400 + 2*3600},
		{"1-02:30", 86400 + 2*3600 + 30*60},
		{"3-0", 3 * 86400},
		{" 5 ", 300},
	} {
		got, err := Seconds(c.in)
		if err != nil {
			t.Errorf("Seconds(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Seconds(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestSecondsErrors(t *testing.T) {
	for _, in := range []string{"", "ten", "1:2:3:4", "1-1:2:3:4", "x-01:00", "1-", "-5", "00:-5", "1-2-3", "01::00", "1.5", "1h"} {
		if got, err := Seconds(in); err == nil {
			t.Errorf("Seconds(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "cannot read walltime") {
			t.Errorf("Seconds(%q) error %q does not say it cannot read the walltime", in, err)
		}
	}
}

func TestUrgency(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"HELD", 0}, {"held", 0}, {"Held", 0},
		{"MINIMAL", 1}, {"minimal", 1}, {"Minimal", 1},
		{"LOW", 9}, {"low", 9}, {"Low", 9},
		{"MEDIUM", 16}, {"medium", 16}, {"Medium", 16},
		{"HIGH", 24}, {"high", 24}, {"High", 24},
		{"EXPEDITED", 31}, {"expedited", 31}, {"Expedited", 31},
		{"0", 0}, {"0.0", 0},
		{"0.5", 16}, // ceil(15.5)
		{"1", 31}, {"1.0", 31},
		{"0.25", 8}, // ceil(7.75)
		{"0.01", 1}, // ceil(0.31)
		{"0.9", 28}, // ceil(27.9)
	} {
		got, err := Urgency(c.in)
		if err != nil {
			t.Errorf("Urgency(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Urgency(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestUrgencyErrors(t *testing.T) {
	for _, in := range []string{"", "urgent", "expedite", "1.5", "2", "-0.1", "-1", "Inf", "+Inf", "-Inf"} {
		if got, err := Urgency(in); err == nil {
			t.Errorf("Urgency(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "priority '"+in+"'") {
			t.Errorf("Urgency(%q) error %q does not name the priority", in, err)
		}
	}
}

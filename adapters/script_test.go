package adapters_test

import (
	"testing"

	"github.com/maestro-go/maestro/adapters"
)

func TestTruthy(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"0", false},
		{"False", false},
		{"false", false},
		{"None", false},
		{"1", true},
		{"2", true},
		{"10", true},
		{"True", true},
		{"true", true},
		{"yes", true},
		{"00:10:00", true},
		{"packed:4", true},
		{" ", true},
	} {
		if got := adapters.Truthy(c.in); got != c.want {
			t.Errorf("Truthy(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestStripLauncher(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"echo hi", "echo hi"},
		{"$(LAUNCHER) echo hi", "echo hi"},
		{"$(LAUNCHER)[2n, 4p] echo hi", "echo hi"},
		{"$(LAUNCHER)[1, 2] echo hi", "echo hi"},
		{"$(LAUNCHER)[1n, 1p] a [x] $(LAUNCHER)[1p] b", "a [x] b"},
		{"x=1 $(LAUNCHER)\n$(LAUNCHER)[4p]\tb", "x=1 \n\tb"},
		{"$(LAUNCHER)", ""},
	} {
		if got := adapters.StripLauncher(c.in); got != c.want {
			t.Errorf("StripLauncher(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHasLauncher(t *testing.T) {
	for in, want := range map[string]bool{
		"":                  false,
		"echo $(LAUNCH)":    false,
		"$(LAUNCHER) a":     true,
		"a $(LAUNCHER)[1p]": true,
		"$LAUNCHER":         false,
	} {
		if got := adapters.HasLauncher(in); got != want {
			t.Errorf("HasLauncher(%q) = %v, want %v", in, got, want)
		}
	}
}

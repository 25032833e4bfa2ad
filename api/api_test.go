package api

import (
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr   string
		remote bool
		want   string // "" = accepted
	}{
		{"127.0.0.1:8080", false, ""},
		{"[::1]:8080", false, ""},
		{"localhost:0", false, ""},
		{"127.1.2.3:80", false, ""},
		{"0.0.0.0:8080", false, "not a loopback address"},
		{"10.0.0.5:8080", false, "not a loopback address"},
		{"example.org:80", false, "not a loopback address"},
		{":8080", false, "not a loopback address"},
		{"0.0.0.0:8080", true, ""},
		{"8080", false, "use HOST:PORT"},
	} {
		err := CheckAddr(c.addr, c.remote)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckAddr(%q, %v): %v", c.addr, c.remote, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckAddr(%q, %v) = %v, want %q", c.addr, c.remote, err, c.want)
		}
	}
}

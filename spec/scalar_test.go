package spec

import (
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"
)

// The plain-decimal shortcut resolves every value it takes as the YAML 1.1
// rules do.
func TestPlainDecimalMatchesRules(t *testing.T) {
	var values []string
	for i := 0; i < 2000; i++ {
		values = append(values, strconv.Itoa(i), "0"+strconv.Itoa(i), "-"+strconv.Itoa(i), "+"+strconv.Itoa(i))
	}
	values = append(values, "", "0", "00", "08", "999999999999999999", "9999999999999999999", "1_000", "1:30", "0x1f", "1.5", "1e3")
	for _, v := range values {
		if !plainDecimal(v) {
			continue
		}
		if !yamlInt.MatchString(v) {
			t.Fatalf("%q: taken as a plain decimal, but not a YAML 1.1 integer", v)
		}
		want, ok := pyInt(v)
		got := resolveScalar(&yaml.Node{Kind: yaml.ScalarNode, Value: v})
		if !ok || got.Kind != KindInt || got.Text != want {
			t.Fatalf("%q: %+v, want int %q", v, got, want)
		}
	}
	for _, v := range []string{"0", "7", "123456789012345678"} {
		if !plainDecimal(v) {
			t.Errorf("%q should take the shortcut", v)
		}
	}
	for _, v := range []string{"", "01", "-1", "+1", "1_0", "1234567890123456789", "1.0"} {
		if plainDecimal(v) {
			t.Errorf("%q must not take the shortcut", v)
		}
	}
}

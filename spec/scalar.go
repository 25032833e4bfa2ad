package spec

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind is the type a YAML scalar resolves to under the YAML 1.1 rules that
// the Python tool's loader applies. Studies depend on these rules: `1.0`
// prints as "1.0", `yes` is a boolean and `1e3` is a string.
type Kind int

// The scalar kinds.
const (
	KindString Kind = iota
	KindInt
	KindFloat
	KindBool
	KindNull
)

// Scalar is a resolved YAML scalar and the text Python's str() prints for it.
type Scalar struct {
	Kind Kind
	Text string
	Bool bool
}

var (
	yamlBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

// resolveScalar applies the YAML 1.1 implicit typing rules to a scalar node.
func resolveScalar(n *yaml.Node) Scalar {
	v := n.Value
	explicitStr := n.Style&yaml.TaggedStyle != 0 && n.Tag == "!!str"
	if explicitStr || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return Scalar{Kind: KindString, Text: v}
	}
	if plainDecimal(v) { // most values of a large study: no regexp, no big.Int
		return Scalar{Kind: KindInt, Text: v}
	}
	switch {
	case yamlNull.MatchString(v):
		return Scalar{Kind: KindNull, Text: "None"}
	case yamlBool.MatchString(v):
		if l := strings.ToLower(v); l == "yes" || l == "true" || l == "on" {
			return Scalar{Kind: KindBool, Text: "True", Bool: true}
		}
		return Scalar{Kind: KindBool, Text: "False"}
	case yamlInt.MatchString(v):
		if s, ok := pyInt(v); ok {
			return Scalar{Kind: KindInt, Text: s}
		}
	case yamlFloat.MatchString(v):
		if s, ok := pyFloat(v); ok {
			return Scalar{Kind: KindFloat, Text: s}
		}
	}
	return Scalar{Kind: KindString, Text: v}
}

// plainDecimal reports whether v is a decimal integer that Python prints
// as it is written: digits, no leading zero (YAML 1.1 reads 017 as octal),
// at most 18 of them.
func plainDecimal(v string) bool {
	if v == "" || len(v) > 18 || v[0] == '0' && len(v) > 1 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// pyInt converts a YAML 1.1 integer to the decimal text Python prints.
func pyInt(v string) (string, bool) {
	v = strings.ReplaceAll(v, "_", "")
	neg := false
	switch {
	case strings.HasPrefix(v, "-"):
		neg, v = true, v[1:]
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	}
	n := new(big.Int)
	var ok bool
	switch {
	case strings.HasPrefix(v, "0b"):
		_, ok = n.SetString(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		_, ok = n.SetString(v[2:], 16)
	case strings.Contains(v, ":"):
		ok = true
		for _, part := range strings.Split(v, ":") {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return "", false
			}
			n.Mul(n, big.NewInt(60))
			n.Add(n, big.NewInt(d))
		}
	case len(v) > 1 && v[0] == '0':
		_, ok = n.SetString(v[1:], 8)
	default:
		_, ok = n.SetString(v, 10)
	}
	if !ok {
		return "", false
	}
	if neg {
		n.Neg(n)
	}
	return n.String(), true
}

// pyFloat converts a YAML 1.1 float to the text Python's repr prints.
func pyFloat(v string) (string, bool) {
	v = strings.ReplaceAll(v, "_", "")
	low := strings.ToLower(v)
	switch {
	case strings.HasSuffix(low, ".inf"):
		if strings.HasPrefix(low, "-") {
			return "-inf", true
		}
		return "inf", true
	case low == ".nan":
		return "nan", true
	}
	var f float64
	if strings.Contains(v, ":") {
		sign := 1.0
		if v[0] == '-' || v[0] == '+' {
			if v[0] == '-' {
				sign = -1
			}
			v = v[1:]
		}
		for _, part := range strings.Split(v, ":") {
			d, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return "", false
			}
			f = f*60 + d
		}
		f *= sign
	} else {
		var err error
		if f, err = strconv.ParseFloat(v, 64); err != nil && !math.IsInf(f, 0) {
			return "", false
		}
	}
	return FormatPyFloat(f), true
}

// FormatPyFloat prints f the way Python's repr(float) does: the shortest
// round-tripping digits, fixed notation for exponents in [-4, 16), always
// with a fractional part, and a signed two-digit exponent otherwise.
func FormatPyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return mant + "e" + sign + leftPad2(exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func leftPad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

package policy

import (
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

type opCode uint8

const (
	opStringEquals opCode = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumEq
	opNumLt
	opNumLe
	opNumGt
	opNumGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opBinaryEquals
	opIPAddress
	opArn
	opNull
)

type setQual uint8

const (
	setNone setQual = iota
	setAny          // ForAnyValue:
	setAll          // ForAllValues:
)

// baseOps are the condition operators without qualifier and IfExists, with whether they are
// the negated form of their opCode.
var baseOps = []struct {
	name    string
	code    opCode
	negated bool
}{
	{"StringEquals", opStringEquals, false},
	{"StringNotEquals", opStringEquals, true},
	{"StringEqualsIgnoreCase", opStringEqualsIgnoreCase, false},
	{"StringNotEqualsIgnoreCase", opStringEqualsIgnoreCase, true},
	{"StringLike", opStringLike, false},
	{"StringNotLike", opStringLike, true},
	{"NumericEquals", opNumEq, false},
	{"NumericNotEquals", opNumEq, true},
	{"NumericLessThan", opNumLt, false},
	{"NumericLessThanEquals", opNumLe, false},
	{"NumericGreaterThan", opNumGt, false},
	{"NumericGreaterThanEquals", opNumGe, false},
	{"DateEquals", opDateEq, false},
	{"DateNotEquals", opDateEq, true},
	{"DateLessThan", opDateLt, false},
	{"DateLessThanEquals", opDateLe, false},
	{"DateGreaterThan", opDateGt, false},
	{"DateGreaterThanEquals", opDateGe, false},
	{"Bool", opBool, false},
	{"BinaryEquals", opBinaryEquals, false},
	{"IpAddress", opIPAddress, false},
	{"NotIpAddress", opIPAddress, true},
	{"ArnEquals", opArn, false},
	{"ArnLike", opArn, false},
	{"ArnNotEquals", opArn, true},
	{"ArnNotLike", opArn, true},
	{"Null", opNull, false},
}

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts. Operator names are
// matched ignoring case.
func parseOperator(name string) (code opCode, negated, ifExists bool, set setQual, ok bool) {
	rest := name
	switch {
	case hasPrefixFold(rest, "ForAnyValue:"):
		set, rest = setAny, rest[len("ForAnyValue:"):]
	case hasPrefixFold(rest, "ForAllValues:"):
		set, rest = setAll, rest[len("ForAllValues:"):]
	}
	if len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		ifExists, rest = true, rest[:len(rest)-len("IfExists")]
	}
	for _, op := range baseOps {
		if strings.EqualFold(op.name, rest) {
			if op.code == opNull && (ifExists || set != setNone) {
				return 0, false, false, 0, false
			}
			return op.code, op.negated, ifExists, set, true
		}
	}
	return 0, false, false, 0, false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

const arnParts = 6

type arnPattern struct {
	all   bool // the value "*"
	parts [arnParts]pattern
}

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	op       string // as written, for explanations
	code     opCode
	negated  bool
	ifExists bool
	set      setQual
	key      s3action.Key
	suffix   string
	keyName  string // as written

	strs  []pattern
	nums  []float64
	times []time.Time
	bools []bool
	bins  [][]byte
	nets  []netip.Prefix
	arns  []arnPattern
}

// compileValue adds one policy value (as text) to c. It returns an error message or "".
func (c *condition) compileValue(text string, vars bool) string {
	switch c.code {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
		p, msg := parsePattern(text, c.code == opStringLike, vars)
		if msg != "" {
			return msg
		}
		c.strs = append(c.strs, p)
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "not a number: " + quote(text)
		}
		c.nums = append(c.nums, f)
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := parseDate(text)
		if !ok {
			return "not a date (ISO 8601 or epoch seconds): " + quote(text)
		}
		c.times = append(c.times, t)
	case opBool, opNull:
		switch {
		case strings.EqualFold(text, "true"):
			c.bools = append(c.bools, true)
		case strings.EqualFold(text, "false"):
			c.bools = append(c.bools, false)
		default:
			return "not a boolean: " + quote(text)
		}
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return "not base64: " + quote(text)
		}
		c.bins = append(c.bins, b)
	case opIPAddress:
		p, ok := parseCIDR(text)
		if !ok {
			return "not an IP address or CIDR block: " + quote(text)
		}
		c.nets = append(c.nets, p)
	case opArn:
		a, msg := parseArnPattern(text, vars)
		if msg != "" {
			return msg
		}
		c.arns = append(c.arns, a)
	}
	return ""
}

func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			if p.Bits() < 0 {
				return netip.Prefix{}, false
			}
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate accepts the ISO 8601 forms IAM documents (with or without time and zone; no zone
// means UTC) and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < -62135596800 || n > 253402300799 { // years 1..9999
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// splitArn splits at the first five colons that are outside ${...} variables.
func splitArn(s string) ([]string, bool) {
	parts := make([]string, 0, arnParts)
	start := 0
	for i := 0; i < len(s) && len(parts) < arnParts-1; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, false
			}
			i += j
		case s[i] == ':':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if len(parts) != arnParts-1 {
		return nil, false
	}
	return append(parts, s[start:]), true
}

func parseArnPattern(s string, vars bool) (arnPattern, string) {
	if s == "*" {
		return arnPattern{all: true}, ""
	}
	parts, ok := splitArn(s)
	if !ok || parts[0] != "arn" && !strings.Contains(parts[0], "*") && !strings.Contains(parts[0], "?") {
		return arnPattern{}, "not an ARN: " + quote(s)
	}
	var a arnPattern
	for i, p := range parts {
		pat, msg := parsePattern(p, true, vars)
		if msg != "" {
			return arnPattern{}, msg
		}
		a.parts[i] = pat
	}
	return a, ""
}

func (a *arnPattern) match(s string, req *Request) bool {
	if a.all {
		return true
	}
	for i := 0; i < arnParts; i++ {
		var part string
		if i < arnParts-1 {
			j := strings.IndexByte(s, ':')
			if j < 0 {
				return false
			}
			part, s = s[:j], s[j+1:]
		} else {
			part = s
		}
		if !a.parts[i].match(part, false, req) {
			return false
		}
	}
	return true
}

// eval applies the condition to the request with AWS's rules for missing keys and value sets:
//   - Null: true when the key's absence equals the policy value.
//   - missing key (or empty set): IfExists → true; ForAnyValue → false; ForAllValues → true;
//     otherwise true exactly for the negated operators (StringNotEquals, NotIpAddress, ...).
//   - no qualifier: the positive operator matches when any request value matches any policy
//     value; a negated operator matches when that is not the case.
//   - ForAnyValue: some request value satisfies the operator; ForAllValues: every one does.
func (c *condition) eval(req *Request) bool {
	v := req.lookup(c.key, c.suffix)
	n := v.count()
	if c.code == opNull {
		missing := n == 0
		for _, b := range c.bools {
			if b == missing {
				return true
			}
		}
		return false
	}
	if n == 0 {
		if c.ifExists {
			return true
		}
		switch c.set {
		case setAny:
			return false
		case setAll:
			return true
		}
		return c.negated
	}
	switch v.kind {
	case valMulti:
		for _, s := range v.strs {
			e := value{kind: valString, s: s}
			if done, res := c.step(&e, req); done {
				return res
			}
		}
	case valTagKeys:
		for k := range v.tagKeys {
			e := value{kind: valString, s: k}
			if done, res := c.step(&e, req); done {
				return res
			}
		}
	default:
		if done, res := c.step(&v, req); done {
			return res
		}
	}
	// Every value was looked at without a decisive one.
	switch c.set {
	case setAny:
		return false // no value satisfied the operator
	case setAll:
		return true // every value satisfied it
	}
	return c.negated // no value matched: true only for negated operators
}

// step looks at one request value; done reports that the condition's outcome is known.
func (c *condition) step(e *value, req *Request) (done, result bool) {
	m := c.matchOne(e, req)
	switch c.set {
	case setAny:
		return m != c.negated, true
	case setAll:
		return m == c.negated, false
	}
	return m, !c.negated
}

// matchOne reports whether one request value matches any of the policy values under the
// positive form of the operator.
func (c *condition) matchOne(v *value, req *Request) bool {
	switch c.code {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
		s := v.asString()
		fold := c.code == opStringEqualsIgnoreCase
		for i := range c.strs {
			if c.strs[i].match(s, fold, req) {
				return true
			}
		}
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		x, ok := v.asNumber()
		if !ok {
			return false
		}
		for _, y := range c.nums {
			if compare(c.code-opNumEq, cmpFloat(x, y)) {
				return true
			}
		}
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := v.asTime()
		if !ok {
			return false
		}
		for _, y := range c.times {
			if compare(c.code-opDateEq, t.Compare(y)) {
				return true
			}
		}
	case opBool:
		b, ok := v.asBool()
		if !ok {
			return false
		}
		for _, y := range c.bools {
			if b == y {
				return true
			}
		}
	case opBinaryEquals:
		s := v.asString()
		for _, y := range c.bins {
			if string(y) == s {
				return true
			}
		}
	case opIPAddress:
		ip, ok := v.asIP()
		if !ok {
			return false
		}
		for _, p := range c.nets {
			if p.Contains(ip) {
				return true
			}
		}
	case opArn:
		s := v.asString()
		for i := range c.arns {
			if c.arns[i].match(s, req) {
				return true
			}
		}
	}
	return false
}

// compare applies relation rel (0 eq, 1 lt, 2 le, 3 gt, 4 ge) to a three-way comparison result.
func compare(rel opCode, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	case 4:
		return c >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *value) asNumber() (float64, bool) {
	switch v.kind {
	case valNumber:
		return v.n, true
	case valEpoch:
		return float64(v.t.Unix()), true
	case valString:
		f, err := strconv.ParseFloat(v.s, 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

func (v *value) asTime() (time.Time, bool) {
	switch v.kind {
	case valTime, valEpoch:
		return v.t, true
	case valNumber:
		return time.Unix(int64(v.n), 0), true
	case valString:
		return parseDate(v.s)
	}
	return time.Time{}, false
}

func (v *value) asBool() (bool, bool) {
	switch v.kind {
	case valBool:
		return v.b, true
	case valString:
		switch {
		case strings.EqualFold(v.s, "true"):
			return true, true
		case strings.EqualFold(v.s, "false"):
			return false, true
		}
	}
	return false, false
}

func (v *value) asIP() (netip.Addr, bool) {
	switch v.kind {
	case valIP:
		return v.ip, true
	case valString:
		a, err := netip.ParseAddr(v.s)
		return a.Unmap(), err == nil
	}
	return netip.Addr{}, false
}

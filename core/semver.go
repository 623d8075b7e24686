package core

import "strings"

// semVersion is a strict SemVer 2.0.0 version (an optional leading "v" is tolerated; build metadata is
// parsed and ignored for precedence, as Eppo's Go and JS SDKs do).
type semVersion struct {
	major, minor, patch uint64
	pre                 []string // dot-separated pre-release identifiers; nil for a release
}

// parseSemver parses s. It accepts exactly MAJOR.MINOR.PATCH[-PRE][+BUILD], numbers without leading zeros.
func parseSemver(s string) (semVersion, bool) {
	var v semVersion
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdentifiers(s[i+1:], false) {
			return v, false
		}
		s = s[:i]
	}
	core := s
	if i := strings.IndexByte(s, '-'); i >= 0 {
		core = s[:i]
		pre := s[i+1:]
		if !validIdentifiers(pre, true) {
			return v, false
		}
		v.pre = strings.Split(pre, ".")
	}
	nums := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i := range nums {
		part := core
		if i < 2 {
			dot := strings.IndexByte(core, '.')
			if dot < 0 {
				return v, false
			}
			part, core = core[:dot], core[dot+1:]
		}
		n, ok := parseNumericIdentifier(part)
		if !ok {
			return v, false
		}
		*nums[i] = n
	}
	return v, true
}

// parseNumericIdentifier parses a non-empty run of digits without a leading zero (except "0").
func parseNumericIdentifier(p string) (uint64, bool) {
	if p == "" || len(p) > 19 || (len(p) > 1 && p[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(p[i]-'0')
	}
	return n, true
}

// validIdentifiers checks dot-separated [0-9A-Za-z-] identifiers; pre-release numeric ones may not have
// leading zeros.
func validIdentifiers(s string, pre bool) bool {
	if s == "" {
		return false
	}
	for s != "" {
		id := s
		if dot := strings.IndexByte(s, '.'); dot >= 0 {
			id, s = s[:dot], s[dot+1:]
			if s == "" {
				return false // trailing dot
			}
		} else {
			s = ""
		}
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if pre && numeric && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// compare returns -1, 0 or 1 by SemVer precedence.
func (a semVersion) compare(b semVersion) int {
	for _, d := range [3][2]uint64{{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.pre == nil && b.pre == nil:
		return 0
	case a.pre == nil:
		return 1
	case b.pre == nil:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		if c := comparePreIdentifier(a.pre[i], b.pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a.pre) < len(b.pre):
		return -1
	case len(a.pre) > len(b.pre):
		return 1
	}
	return 0
}

func comparePreIdentifier(x, y string) int {
	xn, xNum := parseNumericIdentifier(x)
	yn, yNum := parseNumericIdentifier(y)
	switch {
	case xNum && yNum:
		if xn == yn {
			return 0
		}
		if xn < yn {
			return -1
		}
		return 1
	case xNum:
		return -1 // numeric identifiers have lower precedence
	case yNum:
		return 1
	}
	return strings.Compare(x, y)
}

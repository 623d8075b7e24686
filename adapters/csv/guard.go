package csv

// guardFormula prefixes s with a single quote when a spreadsheet would read it as a formula (OWASP's CSV
// injection list: = + - @ tab carriage-return). A cell that already starts with a quote gets one more, as
// spreadsheets hide the first: reading back is then unambiguous, since a reader drops one leading quote.
func guardFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

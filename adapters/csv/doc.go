// Package csv writes exposure events to CSV files with the standard library's encoding/csv.
//
// [NewLogger](cfg, opts...) returns a ready pipeline (a *batching.Processor, the client's
// AssignmentLogger and BanditLogger) in front of a [Sink]; [NewSink](cfg) returns the Sink alone, for
// batching.New. Every zero field of [Config] means its documented default, so
//
//	csv.NewLogger(csv.Config{Dir: "exposures"})
//
// is complete. NewLogger's pipeline is batching's defaults plus the name "csv". A Config that cannot be
// used is refused with an error wrapping [ErrInvalidConfig]; Export after Close fails with [ErrClosed],
// which is batching.ErrClosed.
//
// A [Sink] keeps one file per event kind: assignments.csv and bandit_actions.csv in [Config.Dir], which
// is created when missing (names configurable). Each file starts with a header row that is written once:
// when a file already holds rows, its header is checked against the one this sink would write and a
// mismatch is an [ErrHeaderMismatch] error from [NewSink], never a silently mixed file.
//
// # Columns
//
// Columns are the events' JSON field names, camelCase by default (featureFlag, subjectAttributes,
// metaData, ...) or Eppo's snake_case warehouse names with [Config.WarehouseNaming]. The last column is
// the event ID (eventId or event_id), stable across retries, so that rows written twice by a retried
// batch can be removed downstream. Map-valued columns hold JSON objects with sorted keys (the metadata
// column holds sdkName, sdkLanguage and sdkVersion); timestamps are UTC RFC 3339 with milliseconds;
// numbers are written as JSON writes them.
//
// Every value is written exactly as the event holds it, and reading a file back with encoding/csv gives
// each cell back as it was, whatever it contains (quotes, commas, line breaks, non-ASCII, a leading '='
// or '-'). One exception belongs to that reader: it turns "\r\n" inside a value into "\n" (the file
// holds the bytes as given).
//
// # Formula injection
//
// Spreadsheet programs run a cell that starts with '=', '+', '-' or '@' (and some also a leading tab or
// carriage return) as a formula, so a subject key chosen by an attacker could run code in an analyst's
// spreadsheet. For files people open in a spreadsheet, set [Config.FormulaGuard]: every free-text cell
// (flag, allocation, experiment, variation, subject, bandit, action and model keys) that starts with one
// of those characters is then prefixed with a single quote ('), which spreadsheets show as text; a cell
// that already starts with a quote gets one more, so a reader recovers the original by dropping one
// leading quote from such cells. The trade-off: the file no longer holds the values as they are. A
// phone-number subject "+33612345678" is written "'+33612345678", a variation "-1" is written "'-1", and
// a warehouse join on those columns misses the rows unless the loader strips the quote. That is why the
// guard is off by default. JSON, number and timestamp cells never start with those characters and are
// never changed.
//
// # Durability and errors
//
// Export encodes a whole batch in memory and appends it to each file with one write, so a batch reaches
// the operating system whole; [Sink.Flush] and [Sink.Close] fsync both files. If a write fails half way
// (a full disk), the partial row is cut off again so the file stays row-aligned and a retry does not leave
// a broken line. A full disk (ENOSPC, EDQUOT) is reported as a transient error, so the pipeline retries
// it within its budget; a path that cannot be written (permission, read-only file system, a closed sink)
// is permanent. An event that cannot be encoded (a NaN probability) fails alone, as a permanent error.
//
// A Sink is safe for concurrent use. It assumes it is the only writer of its files.
package csv

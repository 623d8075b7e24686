// Package csv writes exposure events to CSV files with the standard library's encoding/csv.
//
// A [Sink] keeps one file per event kind: assignments.csv and bandit_actions.csv in a directory (names
// configurable with [WithFileNames]). Each file starts with a header row that is written once: when a
// file already holds rows, its header is checked against the one this sink would write and a mismatch is
// an [ErrHeaderMismatch] error from [NewSink], never a silently mixed file.
//
// # Columns
//
// Columns are the field names of pipeline.md §1, camelCase by default (featureFlag, subjectAttributes,
// metaData, ...) or Eppo's snake_case warehouse names with [WithWarehouseNaming]. The last column is the
// event ID (eventId or event_id), stable across retries, so that rows written twice by a retried batch
// can be removed downstream. Map-valued columns hold JSON objects with sorted keys; timestamps are UTC
// RFC 3339 with milliseconds; numbers are written as JSON writes them.
//
// # Formula injection
//
// Spreadsheet programs run a cell that starts with '=', '+', '-' or '@' (and some also a leading tab or
// carriage return) as a formula, so a subject key chosen by an attacker could run code in an analyst's
// spreadsheet. By default every free-text cell (flag, allocation, experiment, variation, subject, bandit,
// action and model keys) that starts with one of those characters is prefixed with a single quote ('),
// which spreadsheets show as text; a cell that already starts with a quote gets one more, so a reader
// recovers the original by dropping one leading quote from such cells. JSON, number and timestamp cells
// never start with those characters and are left alone. Turn the guard off with [WithoutFormulaGuard] when the files only feed a warehouse loader.
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

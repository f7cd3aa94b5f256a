package audit

import (
	"errors"
	"fmt"
	"os"
)

// errNoPath is Reopen's answer for a Log that New made over a writer.
var errNoPath = errors.New("audit: log has no path to reopen")

// Reopen closes the audit file and opens its path again, creating it with
// mode 0600 when missing, so that a log rotator that renames the file
// (logrotate's default "create") gets a fresh one: serve calls it on
// SIGHUP. Records written before the rename stay in the renamed file; a
// batch still buffered goes to the new one. When the path cannot be
// opened, the Log keeps writing to the old file and Reopen says why.
func (l *Log) Reopen() error {
	if l == nil {
		return nil
	}
	if l.path == "" {
		return errNoPath
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: reopening log: %w", err)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		f.Close()
		return errClosed
	}
	l.fileMu.Lock()
	old := l.closer
	l.w, l.closer, l.syncer = f, f, f
	l.fileMu.Unlock()
	l.mu.Unlock()

	var errs []error
	if s, ok := old.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("audit: syncing rotated log: %w", err))
		}
	}
	if old != nil {
		if err := old.Close(); err != nil {
			errs = append(errs, fmt.Errorf("audit: closing rotated log: %w", err))
		}
	}
	return errors.Join(errs...)
}

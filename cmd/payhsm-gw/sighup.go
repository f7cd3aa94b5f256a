package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/payhsm/payhsm-gw/audit"
)

// reopenOnHangup reopens the audit file on each SIGHUP until ctx ends, so
// that logrotate's "create" rotation (rename, then signal) works without a
// restart. It returns once the signal is registered.
func reopenOnHangup(ctx context.Context, al *audit.Log, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := al.Reopen(); err != nil {
					log.Error("serve: reopening audit log on SIGHUP; still writing the old file", "err", err)
					continue
				}
				log.Info("serve: audit log reopened on SIGHUP")
			}
		}
	}()
}

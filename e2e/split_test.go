package e2e

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hookflow/hookflow/internal/app"
)

// Split deployment: `hookflow ingress` and `hookflow worker` in separate
// processes (here: separate app.Run calls) share only Temporal. Starts are
// not eager then, and events still land exactly once.
func TestSplitIngressAndWorker(t *testing.T) {
	var workerDone chan error
	s := startHookflowMode(t, app.ModeIngress)
	ctx, cancel := context.WithCancel(context.Background())
	workerDone = make(chan error, 1)
	go func() {
		workerDone <- app.Run(ctx, s.cfg, app.ModeWorker, zaptest.NewLogger(t).Named("worker"))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-workerDone:
			if err != nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop")
		}
	})

	ds := fixtures(t)
	for _, d := range ds[:4] {
		a := decodeAck(t, s.post(t, d))
		if a.Duplicate {
			t.Fatalf("%s reported duplicate", d.Name)
		}
	}
	s.waitCount(t, 4, "SELECT count() FROM "+s.table("events")+" FINAL")
}

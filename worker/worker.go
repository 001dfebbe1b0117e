// Package worker wires ProcessEvent and its activities onto a Temporal task
// queue. `hookflow serve` runs it next to ingress, sharing one client so that
// workflow starts can be eager; `hookflow worker` runs it alone.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
)

// Options tunes polling and concurrency. Zero values take the SDK defaults.
type Options struct {
	WorkflowTaskPollers        int
	ActivityTaskPollers        int
	MaxConcurrentWorkflowTasks int
	MaxConcurrentLocalActivity int
}

// New returns a worker for taskQueue with ProcessEvent and acts registered.
// It is not started: call Start (or Run) on it.
func New(c client.Client, taskQueue string, acts *activities.Activities, o Options) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// Several workflow-task pollers matter more than anything else for
		// throughput with local activities (DESIGN.md measurements).
		MaxConcurrentWorkflowTaskPollers:        o.WorkflowTaskPollers,
		MaxConcurrentActivityTaskPollers:        o.ActivityTaskPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  o.MaxConcurrentWorkflowTasks,
		MaxConcurrentLocalActivityExecutionSize: o.MaxConcurrentLocalActivity,
	})
	w.RegisterWorkflowWithOptions(workflows.ProcessEvent, workflow.RegisterOptions{Name: workflows.ProcessEventName})
	w.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
	return w
}

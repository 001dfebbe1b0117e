package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// HOOKFLOW_PPROF_ADDR, when set (e.g. 127.0.0.1:6060), serves Go's profiler
// on that address in any mode, apart from the public ingress listener.
// `hookflow bench -profile` uses it; it is off unless asked for.
func init() {
	addr := os.Getenv("HOOKFLOW_PPROF_ADDR")
	if addr == "" {
		return
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookflow: HOOKFLOW_PPROF_ADDR:", err)
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(l, mux) }()
}

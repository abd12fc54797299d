// Package e2e holds Triad's long end-to-end and stress tests: they build the
// real binary, run it as a child process and drive it with real clients. They
// are behind the e2e build tag (`make e2e`); the short versions of the same
// checks run in the ordinary suite (internal/server's conformance tests).
package e2e

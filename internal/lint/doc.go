// Package lint holds the project's structural rules, run as ordinary tests:
// the one-way package dependencies of ARCHITECTURE.md.
package lint

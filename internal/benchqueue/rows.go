package benchqueue

import (
	"fmt"
	"strconv"
	"strings"
)

// Row kinds.
const (
	kindProduce = "produce"
	kindConsume = "consume"
	kindE2E     = "e2e"
	kindLimit   = "limit"
)

// The limit rows' names.
const (
	RowDisk     = "disk"
	RowLoopback = "loopback"
)

// headerSize is the part of every record the generator reads back: send
// time and sequence number.
const headerSize = 16

// maxPartitions bounds a row's partitions (a typo should not create 10,000).
const maxPartitions = 256

// row is a parsed row name.
type row struct {
	name       string
	kind       string
	size       int // record value bytes
	partitions int
}

// data names what a row reads or writes: a consume row reads what the
// produce row with the same data wrote.
func (r row) data() string { return fmt.Sprintf("%d-%d", r.size, r.partitions) }

// parseRow parses "disk", "loopback" or kind-size-Np with kind produce,
// consume or e2e, size <n>b or <n>k (KiB) of at least headerSize bytes, and
// N partitions.
func parseRow(name string) (row, error) {
	if name == RowDisk || name == RowLoopback {
		return row{name: name, kind: kindLimit}, nil
	}
	bad := func(why string) (row, error) {
		return row{}, fmt.Errorf("%w: row %q: %s (rows look like produce-1k-12p, consume-100b-1p, e2e-1k-1p, %s, %s)",
			ErrConfig, name, why, RowDisk, RowLoopback)
	}
	parts := strings.Split(name, "-")
	if len(parts) != 3 {
		return bad("want kind-size-partitions")
	}
	r := row{name: name, kind: parts[0]}
	switch r.kind {
	case kindProduce, kindConsume, kindE2E:
	default:
		return bad("unknown kind " + parts[0])
	}
	size, unit := parts[1], 1
	switch {
	case strings.HasSuffix(size, "k"):
		size, unit = strings.TrimSuffix(size, "k"), 1024
	case strings.HasSuffix(size, "b"):
		size = strings.TrimSuffix(size, "b")
	default:
		return bad("size needs a unit, b or k")
	}
	n, err := strconv.Atoi(size)
	if err != nil || n < 1 || n > 64<<20/unit {
		return bad("bad size " + parts[1])
	}
	if r.size = n * unit; r.size < headerSize {
		return bad(fmt.Sprintf("records must hold the %d-byte header", headerSize))
	}
	p, ok := strings.CutSuffix(parts[2], "p")
	r.partitions, err = strconv.Atoi(p)
	if !ok || err != nil || r.partitions < 1 || r.partitions > maxPartitions {
		return bad("bad partition count " + parts[2])
	}
	return r, nil
}

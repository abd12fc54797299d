package clustertest

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// KVInput is one operation on a register: a put of Value, or a get.
type KVInput struct {
	Put   bool
	Key   string
	Value string
}

// KVOutput is what the client saw: the value a get returned ("" for no
// key), or, for a put, nothing. Unknown marks an operation whose outcome
// the client could not learn (timeout, connection lost): it may or may
// not have taken effect.
type KVOutput struct {
	Value   string
	Unknown bool
}

// History records client operations with their invocation and response
// times, for porcupine. Safe for concurrent use.
type History struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
}

// NewHistory starts an empty history.
func NewHistory() *History { return &History{start: time.Now()} }

// Call returns the invocation timestamp of an operation about to start.
func (h *History) Call() int64 { return int64(time.Since(h.start)) }

// Done records a finished operation. A put with an unknown outcome is
// recorded as never returning (it may take effect at any later point, or
// never, which is the same as at the end); a get with an unknown outcome
// says nothing and is dropped.
func (h *History) Done(client int, in KVInput, call int64, out KVOutput) {
	ret := int64(time.Since(h.start))
	if out.Unknown {
		if !in.Put {
			return
		}
		ret = math.MaxInt64
	}
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	h.mu.Unlock()
}

// Operations returns a copy of the recorded operations.
func (h *History) Operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]porcupine.Operation(nil), h.ops...)
}

// Counts returns how many operations were recorded, and how many of them
// were puts with an unknown outcome.
func (h *History) Counts() (ops, unknownPuts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, op := range h.ops {
		if op.Output.(KVOutput).Unknown {
			unknownPuts++
		}
	}
	return len(h.ops), unknownPuts
}

// KVModel is a map of independent registers, checked one key at a time
// (porcupine's partitioning): a history is linearizable if and only if each
// key's sub-history is.
var KVModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(KVInput).Key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(KVInput), output.(KVOutput)
		if in.Put {
			return true, in.Value
		}
		return out.Value == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(KVInput), output.(KVOutput)
		if in.Put {
			if out.Unknown {
				return fmt.Sprintf("put(%s, %s) → ?", in.Key, in.Value)
			}
			return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
		}
		return fmt.Sprintf("get(%s) → %q", in.Key, out.Value)
	},
}

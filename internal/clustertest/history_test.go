package clustertest

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// The checker must reject what is not linearizable, or the fault tests
// prove nothing.
func TestKVModelRejectsStaleRead(t *testing.T) {
	op := func(client int, in KVInput, call int64, out KVOutput, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	put := KVInput{Put: true, Key: "x", Value: "1"}
	get := KVInput{Key: "x"}
	stale := []porcupine.Operation{
		op(0, put, 0, KVOutput{}, 10),
		op(1, get, 20, KVOutput{Value: ""}, 30), // after the put returned
	}
	if porcupine.CheckOperations(KVModel, stale) {
		t.Fatal("a read that misses an acknowledged write was accepted")
	}
	unknown := []porcupine.Operation{
		op(0, put, 0, KVOutput{Unknown: true}, 1<<62),
		op(1, get, 20, KVOutput{Value: ""}, 30),
		op(1, get, 40, KVOutput{Value: "1"}, 50),
	}
	if !porcupine.CheckOperations(KVModel, unknown) {
		t.Fatal("a put with an unknown outcome may take effect late")
	}
}

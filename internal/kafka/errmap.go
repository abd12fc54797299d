package kafka

import (
	"context"
	"errors"
)

// errorCodes is the front-end's one table from domain errors to Kafka error
// codes (ARCHITECTURE.md, decision 5). Services' sentinels join it as they
// appear; errors.Is matches wrapped errors.
var errorCodes = []struct {
	err  error
	code int16
}{
	{ErrUnknownTopicOrPartition, CodeUnknownTopicOrPartition},
	{ErrLeaderNotAvailable, CodeLeaderNotAvailable},
	{ErrNotLeaderOrFollower, CodeNotLeaderOrFollower},
	{ErrInvalidTopic, CodeInvalidTopicException},
	{context.DeadlineExceeded, CodeRequestTimedOut},
}

// errorCode maps err to the code a response carries: NONE for nil,
// UNKNOWN_SERVER_ERROR for an error the table does not know.
func errorCode(err error) int16 {
	if err == nil {
		return CodeNone
	}
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return CodeUnknownServerError
}

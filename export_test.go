package smartvm

// Internals exposed to the external tests of this package.
var (
	LoadPayloadForTest  = loadPayload
	MergeLimiterForTest = mergeLimiter
)

// BalloonErrorForTest maps err as the balloon methods do.
func BalloonErrorForTest(err error) error { return balloonError(opUpdateBalloon, "vm", err) }

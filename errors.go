package smartvm

import "code.foss.global/push.rocks/smartvm/errdefs"

// Error is the error type of every smartvm operation. Use errors.As to read its Code,
// StatusCode (Firecracker's HTTP status, if any) and Details.
type Error = errdefs.Error

// Code classifies an Error.
type Code = errdefs.Code

// The error codes. errdefs.Code.Hint says what to do about each; the README lists them.
const (
	CodeInvalidState         = errdefs.InvalidState
	CodeInvalidConfig        = errdefs.InvalidConfig
	CodeSocketTimeout        = errdefs.SocketTimeout
	CodeAPITimeout           = errdefs.APITimeout
	CodeSocketRequestFailed  = errdefs.SocketRequestFailed
	CodeAPIError             = errdefs.APIError
	CodeBinaryNotFound       = errdefs.BinaryNotFound
	CodeDownloadFailed       = errdefs.DownloadFailed
	CodeVersionFetchFailed   = errdefs.VersionFetchFailed
	CodeBridgeSetupFailed    = errdefs.BridgeSetupFailed
	CodeTapCreateFailed      = errdefs.TapCreateFailed
	CodeRootfsCreateFailed   = errdefs.RootfsCreateFailed
	CodeRootfsCloneFailed    = errdefs.RootfsCloneFailed
	CodeStartFailed          = errdefs.StartFailed
	CodeNoClient             = errdefs.NoClient
	CodeUnsupportedVersion   = errdefs.UnsupportedVersion
	CodeBalloonInactive      = errdefs.BalloonInactive
	CodeBalloonStatsDisabled = errdefs.BalloonStatsDisabled
	CodeSnapshotIncompatible = errdefs.SnapshotIncompatible
	CodeSubnetExhausted      = errdefs.SubnetExhausted
	CodeNATSetupFailed       = errdefs.NATSetupFailed
	CodeNotFound             = errdefs.NotFound
	CodeCleanupFailed        = errdefs.CleanupFailed
	CodeProcessExited        = errdefs.ProcessExited
)

// Sentinel errors for errors.Is: errors.Is(err, smartvm.ErrInvalidState) holds for any
// error whose code is INVALID_STATE.
var (
	ErrInvalidState  = errdefs.New(errdefs.InvalidState, "")
	ErrInvalidConfig = errdefs.New(errdefs.InvalidConfig, "")
	ErrStartFailed   = errdefs.New(errdefs.StartFailed, "")
	ErrAPIError      = errdefs.New(errdefs.APIError, "")
	ErrNotFound      = errdefs.New(errdefs.NotFound, "")
)

// ErrorCode returns the code of the first *Error in err's chain, or "".
func ErrorCode(err error) Code { return errdefs.CodeOf(err) }

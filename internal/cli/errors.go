package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Exit statuses of the smartvm command. `run` may also exit with the status of the
// Firecracker process; see its help.
const (
	// ExitOK means success.
	ExitOK = 0
	// ExitError means the command failed; the error line says why.
	ExitError = 1
	// ExitUsage means the command line was wrong: an unknown command or flag, a bad flag
	// value or a missing argument.
	ExitUsage = 2
	// ExitKilled means `run` was interrupted and the guest did not shut down by itself,
	// so Firecracker had to be terminated.
	ExitKilled = 130
)

// exitError ends the command with a given status. A nil err prints nothing.
type exitError struct {
	status int
	err    error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.status)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withStatus makes err end the command with status.
func withStatus(status int, err error) error { return &exitError{status: status, err: err} }

// usageError reports a wrong command line: INVALID_CONFIG, exit status 2.
func usageError(format string, args ...any) error {
	return withStatus(ExitUsage, errdefs.New(errdefs.InvalidConfig, format, args...))
}

// coded gives err a code unless it has one, so that every error reaching the user
// says what kind of failure it is.
func coded(err error, code errdefs.Code, format string, args ...any) error {
	if err == nil || errdefs.CodeOf(err) != "" {
		return err
	}
	return errdefs.Wrap(err, code, format, args...)
}

// exitStatus returns the exit status for err: the one an exitError carries, 1 for an
// error with a code, and 2 for an error without one, which only cobra produces (unknown
// commands and argument checks).
func exitStatus(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.status
	case errdefs.CodeOf(err) != "":
		return ExitError
	}
	return ExitUsage
}

// printError writes err as one line "error: CODE: message", then its details indented
// and a line "hint: ..." saying what to do. An exitError without an error prints nothing.
func printError(w io.Writer, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return
	}
	code := errdefs.CodeOf(err)
	if code == "" {
		code = errdefs.InvalidConfig
	}
	msg, details := describe(err)
	fmt.Fprintf(w, "error: %s: %s\n", code, msg)
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.ReplaceAll(strings.TrimSpace(details[k]), "\n", "\n    ")
		fmt.Fprintf(w, "  %s: %s\n", k, v)
	}
	fmt.Fprintf(w, "hint: %s\n", hintFor(err, code))
}

// hintFor returns the hint of code, or a usage hint for command-line errors.
func hintFor(err error, code errdefs.Code) string {
	if exitStatus(err) == ExitUsage {
		return "run the command with --help to see its arguments and flags"
	}
	return code.Hint()
}

// describe walks err's chain and returns the messages joined by ": " without the codes
// and hints that errdefs.Error.Error adds, and the details of every *errdefs.Error.
func describe(err error) (string, map[string]string) {
	var parts []string
	details := map[string]string{}
	for err != nil {
		var e *errdefs.Error
		switch v := err.(type) {
		case *exitError:
			err = v.err
			continue
		case *errdefs.Error:
			e = v
		}
		if e == nil {
			var inner *errdefs.Error
			s := err.Error()
			if errors.As(err, &inner) {
				// A plain wrapper around a coded error: keep its own prefix only.
				if i := strings.Index(s, inner.Error()); i > 0 {
					parts = append(parts, strings.TrimSuffix(s[:i], ": "))
				}
				err = inner
				continue
			}
			if len(parts) == 0 || !strings.Contains(parts[len(parts)-1], s) {
				parts = append(parts, s) // a cause the message already lists is left out
			}
			break
		}
		msg := e.Message
		if e.StatusCode != 0 {
			msg += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
		}
		if msg != "" && (len(parts) == 0 || parts[len(parts)-1] != msg) {
			parts = append(parts, msg)
		}
		for k, v := range e.Details {
			details[k] = v
		}
		err = e.Err
	}
	return strings.Join(parts, ": "), details
}

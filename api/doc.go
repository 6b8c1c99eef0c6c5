// Package api is a client for Firecracker's HTTP API on its Unix socket, with typed models
// of the request and response bodies.
//
// A Client sends one request per call and turns every failure into an *errdefs.Error:
// API_ERROR for a non-2xx answer (with the HTTP status and Firecracker's fault_message),
// SOCKET_REQUEST_FAILED when the socket cannot be reached, API_TIMEOUT when no answer came
// in time. It does not know which Firecracker version it talks to; callers that need
// per-version payload rules apply them before calling it.
package api

package smartvm

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

var (
	opSetMetadata   = &Operation{Name: "SetMetadata", States: live}
	opPatchMetadata = &Operation{Name: "PatchMetadata", States: live}
	opGetMetadata   = &Operation{Name: "GetMetadata", States: live}
)

func init() { registerOperations(opSetMetadata, opPatchMetadata, opGetMetadata) }

// The metadata methods work on the contents of the microVM metadata service (MMDS), which
// the guest reads at the MMDS address over the interfaces named in config.MMDS. The VM
// must have config.MMDS (and so a network interface); metadata set before boot goes in
// config.MMDS.Metadata. smartvm never logs metadata values, and its errors never quote them.

// SetMetadata replaces the whole MMDS contents with data (PUT /mmds). data must encode to
// a JSON object: a map, a struct, or JSON bytes (json.RawMessage or []byte).
func (m *MicroVM) SetMetadata(ctx context.Context, data any) error {
	return m.sendMetadata(ctx, opSetMetadata, http.MethodPut, data)
}

// PatchMetadata merges patch into the MMDS contents with JSON merge patch semantics
// (RFC 7396, PATCH /mmds): objects merge key by key, a null value removes its key, and any
// other value replaces what was there. patch must encode to a JSON object.
func (m *MicroVM) PatchMetadata(ctx context.Context, patch any) error {
	return m.sendMetadata(ctx, opPatchMetadata, http.MethodPatch, patch)
}

// GetMetadata decodes the MMDS contents (GET /mmds) into out, which must be a pointer,
// for example to a map[string]any, a struct or a json.RawMessage.
func (m *MicroVM) GetMetadata(ctx context.Context, out any) error {
	op := opGetMetadata
	if err := m.checkMMDS(op); err != nil {
		return err
	}
	if out == nil {
		return errdefs.New(errdefs.InvalidConfig, "%s: out is nil", op.Name)
	}
	return m.do(ctx, op, http.MethodGet, "/mmds", nil, out, 0)
}

func (m *MicroVM) sendMetadata(ctx context.Context, op *Operation, method string,
	data any) error {
	if err := m.checkMMDS(op); err != nil {
		return err
	}
	body, err := metadataBody(op, data)
	if err != nil {
		return err
	}
	return m.do(ctx, op, method, "/mmds", body, nil, 0)
}

// checkMMDS checks op and that the VM has a metadata service.
func (m *MicroVM) checkMMDS(op *Operation) error {
	cfg, err := m.resolvedFor(op)
	if err != nil {
		return err
	}
	if cfg.MMDS == nil || len(cfg.NetworkInterfaces) == 0 {
		return errdefs.New(errdefs.InvalidConfig, "%s: VM %s has no metadata service; set "+
			"config.MMDS and a network interface before Start", op.Name, m.id)
	}
	return nil
}

// metadataBody encodes data and checks that it is a JSON object. Its errors name the Go
// type only, never a value.
func metadataBody(op *Operation, data any) (json.RawMessage, error) {
	var raw []byte
	switch d := data.(type) {
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return nil, errdefs.New(errdefs.InvalidConfig, "%s: %T does not encode as JSON",
				op.Name, data)
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, errdefs.New(errdefs.InvalidConfig, "%s: metadata (%T) must be a JSON object",
			op.Name, data)
	}
	return raw, nil
}

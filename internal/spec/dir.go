package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// EnvDir names the environment variable that overrides where Dir looks for
// the Firecracker API specifications.
const EnvDir = "SMARTVM_SPEC_DIR"

// filePrefix and fileSuffix frame the version in a specification file name,
// as in firecracker-v1.7.0.yaml.
const (
	filePrefix = "firecracker-v"
	fileSuffix = ".yaml"
)

// Dir returns the folder holding the Firecracker API specifications.
//
// It is the value of SMARTVM_SPEC_DIR when that is set. Otherwise Dir walks
// up from the working directory to the folder containing go.mod (the
// repository root) and uses ../shared/firecracker-api beside it. The folder
// must exist and hold at least one firecracker-v*.yaml file.
func Dir() (string, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		return checkDir(dir, "taken from "+EnvDir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("spec: locate firecracker API specs: %w", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "firecracker-api")
	return checkDir(dir, "expected beside the repository root "+root+
		"; set "+EnvDir+" to use another folder")
}

// moduleRoot returns the nearest directory at or above dir holding go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("spec: locate firecracker API specs: no go.mod at or above %s "+
				"(set %s to the spec folder)", dir, EnvDir)
		}
		d = parent
	}
}

// checkDir reports whether dir exists and holds at least one spec file.
func checkDir(dir, why string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("spec: locate firecracker API specs: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("spec: firecracker API specs not found at %s (%s): %w", abs, why, err)
	}
	if len(versionsIn(abs)) == 0 {
		return "", fmt.Errorf("spec: no %s<version>%s files in %s (%s)",
			filePrefix, fileSuffix, abs, why)
	}
	return abs, nil
}

// Versions returns the versions that have a specification file, oldest
// first, such as "1.7.0", "1.14.2" and "1.16.1". It returns nil when Dir
// fails.
func Versions() []string {
	dir, err := Dir()
	if err != nil {
		return nil
	}
	vs := versionsIn(dir)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// version is a parsed major.minor.patch release number.
type version [3]int

// String formats v as major.minor.patch.
func (v version) String() string {
	return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
}

// compare orders versions like cmp.Compare.
func (v version) compare(w version) int {
	return slices.Compare(v[:], w[:])
}

// parseVersion accepts "1.14.1", "v1.14.1", "1.14" and suffixes such as
// "1.14.1-dev" (the suffix is ignored).
func parseVersion(s string) (version, error) {
	var v version
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+"); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("spec: invalid firecracker version %q", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("spec: invalid firecracker version %q", s)
		}
		v[i] = n
	}
	return v, nil
}

// versionsIn lists the spec versions present in dir, oldest first.
func versionsIn(dir string) []version {
	matches, _ := filepath.Glob(filepath.Join(dir, filePrefix+"*"+fileSuffix))
	var vs []version
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), filePrefix), fileSuffix)
		if v, err := parseVersion(name); err == nil && strings.Count(name, ".") == 2 {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, version.compare)
	return vs
}

// errNoSpec is wrapped by chooseVersion when nothing fits.
var errNoSpec = errors.New("no matching specification")

// chooseVersion picks the spec to check a running Firecracker version
// against: the exact version, else the newest spec with the same
// major.minor, else the newest older spec.
func chooseVersion(want version, have []version) (version, error) {
	var sameMinor, lower *version
	for i := range have {
		h := &have[i]
		if *h == want {
			return *h, nil
		}
		if h[0] == want[0] && h[1] == want[1] {
			sameMinor = h
		}
		if h.compare(want) < 0 {
			lower = h
		}
	}
	switch {
	case sameMinor != nil:
		return *sameMinor, nil
	case lower != nil:
		return *lower, nil
	}
	return version{}, fmt.Errorf("spec: firecracker %s: %w (oldest available is %v)",
		want, errNoSpec, have)
}

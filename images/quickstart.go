package images

import (
	"context"
	"fmt"
)

// The quickstart images come from Firecracker's public CI image bucket, the one its
// docs/getting-started.md ("Getting a rootfs and Guest Kernel Image") downloads from:
//
//	https://s3.amazonaws.com/spec.ccfc.min/firecracker-ci/<ci>/<arch>/vmlinux-<kernel>
//	https://s3.amazonaws.com/spec.ccfc.min/firecracker-ci/<ci>/<arch>/ubuntu-<ver>.squashfs
//
// where <ci> is the release's "vMAJOR.MINOR". The guide picks the newest vmlinux-* by
// listing the bucket; smartvm pins the names instead, so that a quickstart is
// reproducible and needs no listing request. For v1.14, public setups using the bucket
// name vmlinux-5.10.245 and vmlinux-6.1.155 and ubuntu-24.04.squashfs; the 6.1 kernel is
// used. The names were not checked against the live bucket, the tests never fetch these
// URLs, and the bucket may drop them at any time: pass your own URLs then.
//
// In recent versions of the guide the Ubuntu rootfs is a squashfs image (the CI kernel
// configs enable squashfs). A squashfs root is read-only: attach it with
// is_read_only set. For a writable root, unpack it (unsquashfs) and build an ext4
// image from the tree (mkfs.ext4 -d), as the guide does.
const (
	// QuickstartCIVersion is the CI image folder matching DefaultFirecrackerVersion.
	QuickstartCIVersion = "v1.14"
	// QuickstartKernelName is the file name of the quickstart kernel.
	QuickstartKernelName = "vmlinux-6.1.155"
	// QuickstartRootfsName is the file name of the quickstart rootfs (squashfs).
	QuickstartRootfsName = "ubuntu-24.04.squashfs"
)

// QuickstartKernelURL returns the URL of the quickstart kernel for arch (x86_64 or
// aarch64; "" for the host's).
func QuickstartKernelURL(arch string) string {
	return quickstartURL(DefaultQuickstartBase, arch, QuickstartKernelName)
}

// QuickstartRootfsURL returns the URL of the quickstart rootfs for arch (x86_64 or
// aarch64; "" for the host's).
func QuickstartRootfsURL(arch string) string {
	return quickstartURL(DefaultQuickstartBase, arch, QuickstartRootfsName)
}

func quickstartURL(base, arch, file string) string {
	if arch == "" {
		arch = HostArch()
	}
	return fmt.Sprintf("%s/firecracker-ci/%s/%s/%s", base, QuickstartCIVersion, arch, file)
}

// QuickstartImages locates the downloaded quickstart images.
type QuickstartImages struct {
	// Kernel is the path of the guest kernel.
	Kernel string
	// Rootfs is the path of the read-only squashfs root filesystem.
	Rootfs string
}

// Quickstart downloads the quickstart kernel and rootfs for arch ("" for the host's)
// into the cache, reusing cached copies, and returns their paths. The files are stored
// as kernels/<QuickstartKernelName> and rootfs/<QuickstartRootfsName> (with "-<arch>"
// appended for a foreign architecture). The bucket publishes no checksums, so the files
// are not verified beyond a complete transfer.
func (m *Manager) Quickstart(ctx context.Context, arch string) (QuickstartImages, error) {
	a, err := normalizeArch(arch)
	if err != nil {
		return QuickstartImages{}, err
	}
	suffix := ""
	if a != HostArch() {
		suffix = "-" + a
	}
	k, err := m.DownloadKernel(ctx, quickstartURL(m.quickstartBase, a, QuickstartKernelName),
		QuickstartKernelName+suffix)
	if err != nil {
		return QuickstartImages{}, err
	}
	r, err := m.DownloadRootfs(ctx, quickstartURL(m.quickstartBase, a, QuickstartRootfsName),
		QuickstartRootfsName+suffix)
	if err != nil {
		return QuickstartImages{}, err
	}
	return QuickstartImages{Kernel: k, Rootfs: r}, nil
}

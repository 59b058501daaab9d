'use strict';

// Which prebuilt native library a process takes: prebuilds/KEY/ with KEY
// `${process.platform}-${process.arch}`, `-musl` added on a musl Linux
// (linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl). native.cjs
// loads it; scripts/copy-lib.cjs puts the host's build there.

const fs = require('node:fs');
const path = require('node:path');

/** The SONAME this binding was written against (ABI major version 0). */
const SONAME = 'libengagelab_push.so.0';

/** The package's prebuilds/ folder. */
const PREBUILDS = path.join(__dirname, '..', 'prebuilds');

/**
 * The libc that `maps` (a /proc/PID/maps text) shows mapped: 'musl',
 * 'glibc', or undefined when it shows neither.
 */
function libcInMaps(maps) {
  if (/\/ld-musl-[^/\s]+\.so\.1$/m.test(maps)) return 'musl';
  if (/\/libc(\.so\.6|-[\d.]+\.so)$/m.test(maps)) return 'glibc';
  return undefined;
}

/**
 * Whether this process runs on musl: the C library the process has mapped
 * (what koffi's own native build and the prebuild must agree with), not
 * what the system has installed (Debian's musl package puts
 * /lib/ld-musl-*.so.1 on glibc systems too).
 */
function isMusl() {
  if (process.platform !== 'linux') return false;
  let maps = '';
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    // No /proc: the report below decides.
  }
  const libc = libcInMaps(maps);
  if (libc) return libc === 'musl';
  // Without /proc, or a static Node: glibc reports its version, musl does
  // not. getReport() builds the report in memory (no file is written).
  return !process.report.getReport().header.glibcVersionRuntime;
}

/** The prebuilds/ folder name for a platform, CPU and libc. */
function platformKey(platform = process.platform, arch = process.arch, musl = isMusl()) {
  return `${platform}-${arch}${musl ? '-musl' : ''}`;
}

/** The platform keys this package ships a library for, sorted. */
function shipped(dir = PREBUILDS) {
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // No prebuilds/ at all: nothing shipped.
  }
  return names.filter((name) => fs.existsSync(path.join(dir, name, SONAME))).sort();
}

module.exports = { SONAME, PREBUILDS, libcInMaps, isMusl, platformKey, shipped };

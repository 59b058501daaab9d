'use strict';

// Copies the host's native library into prebuilds/KEY/, KEY being the
// folder this machine's Node takes it from (lib/prebuild.cjs: linux-x64 on
// x86_64 glibc). Run by `npm pack` through prepack, and by `cargo xtask
// test node`: from ENGAGELAB_LIB_DIR (what `cargo xtask lib --release`
// prints), else from the workspace's target/release/lib. The release
// tarball, with a library for every target, is `cargo xtask dist`'s
// (crates/xtask/src/dist/node.rs).

const fs = require('node:fs');
const path = require('node:path');
const { SONAME, PREBUILDS, platformKey } = require('../lib/prebuild.cjs');

const here = path.join(__dirname, '..');
const from = process.env.ENGAGELAB_LIB_DIR || path.join(here, '..', '..', 'target', 'release', 'lib');
const source = path.join(from, SONAME);
const dir = path.join(PREBUILDS, platformKey());
const target = path.join(dir, SONAME);

if (!fs.existsSync(source)) {
  console.error(
    `copy-lib: ${source} does not exist; run \`cargo xtask lib --release\` and set ENGAGELAB_LIB_DIR to the directory it prints`,
  );
  process.exit(1);
}
fs.mkdirSync(dir, { recursive: true });
// The real file behind the SONAME link, so the tarball holds bytes, not a link.
fs.copyFileSync(fs.realpathSync(source), target);
console.error(`copy-lib: ${fs.realpathSync(source)} -> ${path.relative(here, target)}`);

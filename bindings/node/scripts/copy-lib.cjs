'use strict';

// Copies the native library into prebuilds/linux-x64/ (run by `npm pack`
// through prepack, and by `cargo xtask binding node test`): from
// ENGAGELAB_LIB_DIR (what `cargo xtask lib --release` prints), else from the
// workspace's target/release/lib.

const fs = require('node:fs');
const path = require('node:path');

const SONAME = 'libengagelab_push.so.0';
const here = path.join(__dirname, '..');
const from = process.env.ENGAGELAB_LIB_DIR || path.join(here, '..', '..', 'target', 'release', 'lib');
const source = path.join(from, SONAME);
const dir = path.join(here, 'prebuilds', 'linux-x64');
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

//! The Go module as a release tag holds it: `dist/engagelab-push-go-VERSION/`,
//! the binding's sources (tests and test-only packages left out) with the
//! header in `include/` and a static library per target in
//! `lib/GOOS_GOARCH[_musl]/`, so `go get` of the tag needs no Rust.

use std::fs;
use std::path::{Path, PathBuf};

use super::targets::TARGETS;
use crate::clib::VERSION;
use crate::process::{at_root, stdout};

/// The module's path, as `bindings/go/go.mod` declares it.
pub(crate) const MODULE: &str = "github.com/engagelab-push/engagelab-push/bindings/go";

/// Writes the module tree into `out` and returns its directory.
pub(crate) fn module_tree(out: &Path) -> Result<PathBuf, String> {
    let root = crate::root();
    let tree = out.join(format!("engagelab-push-go-{VERSION}"));
    let _ = fs::remove_dir_all(&tree);
    // What git tracks or would track (not the ignored copies of the
    // library and header the in-repo suite places).
    let files = stdout(at_root("git").args([
        "ls-files",
        "--cached",
        "--others",
        "--exclude-standard",
        "bindings/go",
    ]))?;
    let mut copies: Vec<(PathBuf, PathBuf)> = files
        .lines()
        .filter_map(|f| Some((f, f.strip_prefix("bindings/go/")?)))
        .filter(|(_, rel)| !rel.ends_with("_test.go") && !rel.starts_with("internal/"))
        .map(|(f, rel)| (root.join(f), tree.join(rel)))
        .collect();
    copies.push((
        crate::header::committed(),
        tree.join("include/engagelab_push.h"),
    ));
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        copies.push((root.join(license), tree.join(license)));
    }
    for target in &TARGETS {
        copies.push((
            target.lib_dir().join("libengagelab_push.a"),
            tree.join("lib")
                .join(target.go_dir())
                .join("libengagelab_push.a"),
        ));
    }
    for (from, to) in copies {
        if !from.is_file() {
            continue; // deleted in the work tree, still in git's index
        }
        fs::create_dir_all(to.parent().expect("in the tree"))
            .map_err(|e| format!("{}: {e}", to.display()))?;
        fs::copy(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    Ok(tree)
}

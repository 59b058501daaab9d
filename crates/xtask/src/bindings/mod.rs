//! The language bindings over the C ABI (`bindings/<language>/`): each one is
//! a module here whose `test` and `demo` functions run that language's own
//! tools. `cargo xtask binding LANG test|demo` calls them.
//!
//! What every binding is given ([`Env`]):
//! - `lib_dir`: `cargo xtask lib --release` output, with
//!   `libengagelab_push.so.VERSION`, its links and `libengagelab_push.a`;
//! - `mock_bin`: the `engagelab-mock` binary, which the binding's tests start
//!   themselves (see tests/contract/scenarios/README.md for the contract).
//!
//! The same values reach the language's tools as the environment variables
//! `ENGAGELAB_LIB_DIR` and `ENGAGELAB_MOCK_BIN`.

pub(crate) mod go;
pub(crate) mod java;
pub(crate) mod node;
pub(crate) mod php;

use std::path::PathBuf;
use std::process::Command;

/// What a binding's test or demo needs, already built.
pub(crate) struct Env {
    /// The workspace root.
    pub root: PathBuf,
    /// The directory of the C library, laid out as it ships.
    pub lib_dir: PathBuf,
    /// The engagelab-mock binary.
    pub mock_bin: PathBuf,
}

impl Env {
    /// Builds the release library and the mock.
    pub(crate) fn build() -> Result<Env, String> {
        let lib_dir = crate::clib::build(true)?;
        Ok(Env {
            root: crate::root(),
            lib_dir,
            mock_bin: crate::mock::binary()?,
        })
    }

    /// A command run in `bindings/<dir>` with `ENGAGELAB_LIB_DIR` and
    /// `ENGAGELAB_MOCK_BIN` set.
    pub(crate) fn command(&self, dir: &str, program: &str) -> Command {
        let mut cmd = Command::new(program);
        // `cargo run` (which runs xtask) points LD_LIBRARY_PATH at target/;
        // a binding must find the library its own way, as users' would.
        cmd.env_remove("LD_LIBRARY_PATH");
        cmd.current_dir(self.root.join("bindings").join(dir))
            .env("ENGAGELAB_LIB_DIR", &self.lib_dir)
            .env("ENGAGELAB_MOCK_BIN", &self.mock_bin);
        cmd
    }
}

/// Runs `cmd`, failing with its description when it does not succeed.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("{shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// A binding's `test` or `demo`.
pub(crate) type Action = fn(&Env) -> Result<(), String>;

/// Every binding: its name, its `test` and its `demo`.
pub(crate) fn known() -> &'static [(&'static str, Action, Action)] {
    &[
        ("go", go::test, go::demo),
        ("java", java::test, java::demo),
        ("node", node::test, node::demo),
        ("php", php::test, php::demo),
    ]
}

/// `cargo xtask binding LANG ACTION`.
pub(crate) fn main(language: &str, action: &str) -> Result<(), String> {
    let known = known();
    let Some((_, test, demo)) = known.iter().find(|(name, _, _)| *name == language) else {
        let names: Vec<&str> = known.iter().map(|(n, _, _)| *n).collect();
        return Err(format!(
            "no binding {language:?}; the bindings are: {}",
            names.join(", ")
        ));
    };
    let env = Env::build()?;
    match action {
        "test" => test(&env),
        "demo" => demo(&env),
        _ => Err(format!("binding actions are test and demo, not {action:?}")),
    }
}

//! The Python suite: `.venv` with the pinned dev tools, the release abi3
//! wheel (the one `cargo xtask dist` ships, with the license texts in it)
//! installed into it, pytest against engagelab-mock, `mypy --strict` on the
//! examples, the installed package and the tests, and `mypy.stubtest`.
//! (A build from source through pip is the `dist` suite's sdist check.)

use std::fs;

use crate::process::{at_root, run, stdout};
use crate::steps::Steps;
use crate::venv;

pub(crate) fn run_suite(steps: &mut Steps) {
    let ready = steps.step("python: .venv with the dev tools", venv::ensure)
        && steps.step(
            "python: the release abi3 wheel installed into .venv",
            venv::install_package,
        );
    if !ready {
        return steps.skipped("python: the suite", "no .venv with the package");
    }
    let py = venv::python;
    steps.step("python: pytest", || {
        let mock = crate::mock::binary()?;
        // pytest exits 5 when it collects no test: that fails here too.
        run(at_root(py())
            .args(["-m", "pytest", "-p", "no:cacheprovider", "--durations=10"])
            .arg("python/tests")
            .env("ENGAGELAB_MOCK_BIN", mock))
    });
    // --python-version 3.9: the stubs and annotations must hold on the oldest
    // supported Python too.
    steps.step("python: mypy --strict", || {
        let mypy = || {
            let mut cmd = at_root(py());
            cmd.args(["-m", "mypy", "--strict", "--no-incremental"]);
            cmd
        };
        run(mypy().args(["--python-version", "3.9", "python/examples"]))?;
        run(mypy().args(["--python-version", "3.9", "-p", "engagelab_push"]))?;
        run(mypy().arg("python/tests"))
    });
    steps.step("python: stubtest", || {
        run(at_root(py()).args(["-m", "mypy.stubtest", "engagelab_push"]))
    });
    steps.step(
        "python: the wheel is abi3 and carries the licenses",
        abi3_wheel,
    );
}

fn abi3_wheel() -> Result<(), String> {
    let out = crate::clib::target_dir().join("python-wheels/venv");
    let wheels: Vec<String> = fs::read_dir(&out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let [wheel] = wheels.as_slice() else {
        return Err(format!(
            "expected one wheel in {}, found {wheels:?}",
            out.display()
        ));
    };
    if !wheel.starts_with("engagelab_push-") || !wheel.contains("-abi3-") {
        return Err(format!("{wheel} is not an abi3 wheel of engagelab_push"));
    }
    // The license texts travel with the wheel (pyproject's license-files).
    let names = stdout(
        at_root(venv::python())
            .args([
                "-c",
                "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
            ])
            .arg(out.join(wheel)),
    )?;
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        if !names
            .lines()
            .any(|n| n.ends_with(&format!("/licenses/{license}")))
        {
            return Err(format!("{wheel} lacks {license}"));
        }
    }
    println!("built {wheel}");
    Ok(())
}

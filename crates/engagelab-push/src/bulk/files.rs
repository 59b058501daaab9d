//! The files a bulk run is given (its input, journal, backup and report): no
//! two of them may be one file.

use std::path::{Path, PathBuf};

use super::BulkDelete;
use super::error::BulkError;

/// Refuses a run whose input (a file, if it is one), journal, backup or
/// report name the same file twice: a report written over its own input
/// would be read back as ids by the next run, and two logs in one file
/// interleave.
pub(super) fn distinct(cfg: &BulkDelete<'_>, input: Option<&Path>) -> Result<(), BulkError> {
    let named = [
        ("input", input),
        ("journal", cfg.journal.as_deref()),
        ("backup", cfg.backup.as_deref()),
        ("report", cfg.report.as_deref()),
    ];
    let files: Vec<(&str, &Path, Identity)> = named
        .into_iter()
        .filter_map(|(name, path)| path.map(|p| (name, p, identity(p))))
        .collect();
    for (i, (name, path, id)) in files.iter().enumerate() {
        if let Some((first, ..)) = files[..i].iter().find(|(.., other)| other == id) {
            return Err(BulkError::invalid(format!(
                "the {first} and the {name} are the same file ({}): give each its own; \
                 nothing was sent",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Whether `a` and `b` name one file, by whatever paths: symbolic and hard
/// links alike (the device and inode of a file that exists), else the same
/// absolute path. A bulk run refuses one file in two roles this way; a
/// caller that reads files of its own for a run (the CLI's secret file)
/// checks them with it too.
pub fn same_file(a: &Path, b: &Path) -> bool {
    identity(a) == identity(b)
}

/// What tells two paths of one file apart from two files: the file's
/// device and inode when it exists (symbolic and hard links alike; a hard
/// link has no path to resolve to another's), else its absolute path.
#[derive(Debug, PartialEq)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        return Identity::Inode(meta.dev(), meta.ino());
    }
    Identity::Path(
        std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::identity;

    #[test]
    fn one_file_named_two_ways_is_one_identity() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ids.txt");
        std::fs::write(&file, "a\n").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let dotted = dir.path().join(".").join("ids.txt");
        let hard = dir.path().join("hard");
        std::fs::hard_link(&file, &hard).unwrap();
        assert_eq!(identity(&file), identity(&link));
        assert_eq!(identity(&file), identity(&hard));
        assert_eq!(identity(&file), identity(&dotted));
        let missing = dir.path().join("new.jsonl");
        assert_eq!(
            identity(&missing),
            identity(&dir.path().join("./new.jsonl"))
        );
        assert_ne!(identity(&missing), identity(&file));
    }
}

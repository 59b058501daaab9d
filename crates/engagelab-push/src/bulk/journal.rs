//! The journal: an append-only text file that makes a bulk run resumable.
//!
//! Its first line is a header, `{"journal":"engagelab-push bulk 2",
//! "fingerprint":"<hash of the set of ids>","ids":N}`. Each later line is
//! `D <id>` (deleted) or `N <id>` (not found), written and fsync'd once the
//! answer arrived and before the worker takes another id. So after a crash,
//! even a SIGKILL, every id with a line is finished, and the ids without one
//! are at most those that were in flight. A last line cut short by a crash is
//! dropped when the journal is opened again. A run holds an exclusive lock
//! (`flock`) on its journal until it ends: a second run on the same journal
//! refuses to start.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use serde_json::{Value, json};

use super::error::{BulkError, BulkErrorKind};
use super::input::IdSet;
use super::synced::{SyncedLog, open_private};

const MAGIC: &str = "engagelab-push bulk 2";
/// Journals of releases whose fingerprint followed the input's order.
const OLD_MAGIC: &str = "engagelab-push bulk 1";

/// An open journal: the log to add finished ids to, and the lock that keeps
/// other runs out while it is open.
pub(crate) struct Journal {
    log: SyncedLog,
    _lock: File,
}

/// The finished ids a journal holds, and how many.
pub(crate) struct Finished {
    pub ids: IdSet,
    pub count: u64,
}

impl Journal {
    /// Opens the journal at `path` for an input with this fingerprint, or
    /// creates it (0600), and locks it for the run. Refuses a journal started
    /// for another input, and one another run holds. `create` false (a dry
    /// run) reads an existing journal only, without locking it.
    pub fn open(
        path: &Path,
        fingerprint: &str,
        ids: u64,
        create: bool,
    ) -> Result<(Option<Journal>, Finished), BulkError> {
        let shown = path.display();
        let mut finished = Finished {
            ids: IdSet::default(),
            count: 0,
        };
        let open_err =
            |e: std::io::Error| BulkError::io(format!("cannot open the journal {shown}"), &e);
        let mut file = if create {
            open_private(path, true).map_err(open_err)?
        } else {
            match File::open(path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, finished)),
                Err(e) => return Err(open_err(e)),
            }
        };
        if create {
            lock(&file, path)?;
        }
        let read_err =
            |e: std::io::Error| BulkError::io(format!("cannot read the journal {shown}"), &e);
        let len = file.metadata().map_err(read_err)?.len();
        if len == 0 {
            if !create {
                return Ok((None, finished));
            }
            let header = json!({"journal": MAGIC, "fingerprint": fingerprint, "ids": ids});
            (&file)
                .write_all(format!("{header}\n").as_bytes())
                .and_then(|()| file.sync_data())
                .map_err(|e| BulkError::io(format!("cannot write the journal {shown}"), &e))?;
            let log = SyncedLog::from_file(reopen_append(path).map_err(open_err)?);
            return Ok((Some(Journal { log, _lock: file }), finished));
        }
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let mut reader = BufReader::new(&mut file);
        let mut header = String::new();
        reader.read_line(&mut header).map_err(read_err)?;
        let parsed: Option<Value> = serde_json::from_str(header.trim_end()).ok();
        let magic = parsed
            .as_ref()
            .and_then(|v| v.get("journal"))
            .and_then(Value::as_str);
        if magic == Some(OLD_MAGIC) {
            return Err(BulkError::new(
                BulkErrorKind::JournalMismatch,
                format!(
                    "the journal {shown} was written by an earlier release of engagelab-push \
                     (its journals followed the input's order); finish it with that \
                     release, or start another journal"
                ),
            ));
        }
        if magic != Some(MAGIC) || !header.ends_with('\n') {
            return Err(BulkError::new(
                BulkErrorKind::JournalMismatch,
                format!("{shown} is not a journal of engagelab-push bulk deletion"),
            ));
        }
        let theirs = parsed
            .as_ref()
            .and_then(|v| v.get("fingerprint"))
            .and_then(Value::as_str);
        if theirs != Some(fingerprint) {
            return Err(BulkError::new(
                BulkErrorKind::JournalMismatch,
                format!(
                    "the journal {shown} was started with another input; \
                     use that input, or another journal"
                ),
            ));
        }
        let mut good_len = header.len() as u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(read_err)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break; // the end, or a last line cut short by a crash
            }
            good_len += n as u64;
            let text = String::from_utf8_lossy(&line[..n - 1]);
            if let Some(id) = text.strip_prefix("D ").or_else(|| text.strip_prefix("N "))
                && finished.ids.insert(id)
            {
                finished.count += 1;
            }
        }
        drop(reader);
        if !create {
            return Ok((None, finished));
        }
        if len != good_len {
            file.set_len(good_len)
                .map_err(|e| BulkError::io(format!("cannot repair the journal {shown}"), &e))?;
            file.sync_all().map_err(read_err)?;
        }
        let log = SyncedLog::from_file(reopen_append(path).map_err(read_err)?);
        Ok((Some(Journal { log, _lock: file }), finished))
    }

    /// Records a finished id; returns once it is on disk.
    pub fn finish(&self, id: &str, deleted: bool) -> std::io::Result<()> {
        let tag = if deleted { 'D' } else { 'N' };
        self.log.append(format!("{tag} {id}\n").as_bytes())
    }
}

fn reopen_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

/// Takes the run's exclusive lock on the journal, or refuses, naming the
/// process that holds it when the system says (Linux: `/proc/locks`).
fn lock(file: &File, path: &Path) -> Result<(), BulkError> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::WOULDBLOCK) => {
            let holder = holder_of(file)
                .map(|pid| format!(" (process {pid})"))
                .unwrap_or_default();
            Err(BulkError::new(
                BulkErrorKind::JournalBusy,
                format!(
                    "the journal {} is in use by another run{holder}; wait for it to end, \
                     or stop it; nothing was sent",
                    path.display()
                ),
            ))
        }
        Err(e) => Err(BulkError::io(
            format!("cannot lock the journal {}", path.display()),
            &e.into(),
        )),
    }
}

/// The process holding a `flock` on this file, from `/proc/locks`.
#[cfg(target_os = "linux")]
fn holder_of(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let (major, minor) = (rustix::fs::major(meta.dev()), rustix::fs::minor(meta.dev()));
    let wanted = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = fields.iter().position(|f| *f == "FLOCK")?;
        let pid = fields.get(at + 3)?;
        let inode = fields.get(at + 4)?;
        (*inode == wanted).then(|| pid.parse().ok()).flatten()
    })
}

#[cfg(not(target_os = "linux"))]
fn holder_of(_file: &File) -> Option<u32> {
    None
}

/// The whole text of a journal, for tests.
#[cfg(test)]
pub(crate) fn read_all(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_journal_resumes_drops_a_torn_line_and_refuses_another_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (j, done) = Journal::open(&path, "fp1", 3, true).unwrap();
        assert_eq!(done.count, 0);
        let j = j.unwrap();
        j.finish("a", true).unwrap();
        j.finish("b", false).unwrap();
        drop(j);
        // A crash in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"D c").unwrap();
        drop(f);

        let (j, done) = Journal::open(&path, "fp1", 3, true).unwrap();
        assert_eq!(done.count, 2);
        assert!(done.ids.contains("a") && done.ids.contains("b") && !done.ids.contains("c"));
        j.unwrap().finish("c", true).unwrap();
        assert!(
            read_all(&path).ends_with("N b\nD c\n"),
            "{}",
            read_all(&path)
        );

        let e = Journal::open(&path, "fp2", 3, true).err().unwrap();
        assert_eq!(e.kind(), BulkErrorKind::JournalMismatch);
        assert!(e.message().contains("another input"));

        std::fs::write(&path, "hello\n").unwrap();
        let e = Journal::open(&path, "fp1", 3, true).err().unwrap();
        assert!(e.message().contains("not a journal"));
    }

    #[test]
    fn a_dry_run_reads_but_never_creates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (j, done) = Journal::open(&path, "fp", 1, false).unwrap();
        assert!(j.is_none() && done.count == 0 && !path.exists());
        // Only a missing journal is none: one that cannot be opened is an
        // error, not a dry run that counts nothing as done.
        std::fs::write(&path, "").unwrap();
        let e = Journal::open(&path.join("j"), "fp", 1, false)
            .err()
            .unwrap();
        assert_eq!(e.kind(), BulkErrorKind::Io, "{e}");
        assert!(e.message().contains("cannot open the journal"), "{e}");
    }

    /// A header cut short by a crash (no newline) is not a journal, even
    /// when its text names this input.
    #[test]
    fn a_header_without_its_newline_is_not_a_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (j, _) = Journal::open(&path, "fp", 1, true).unwrap();
        drop(j);
        let whole = read_all(&path);
        std::fs::write(&path, whole.trim_end_matches('\n')).unwrap();
        let e = Journal::open(&path, "fp", 1, true).err().unwrap();
        assert_eq!(e.kind(), BulkErrorKind::JournalMismatch, "{e}");
        assert!(e.message().contains("not a journal"), "{e}");
    }

    /// While a run holds the journal, a second open for a run refuses and
    /// names the holding process; a dry run still reads it.
    #[test]
    fn a_journal_in_use_refuses_a_second_run_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (held, _) = Journal::open(&path, "fp", 2, true).unwrap();
        let held = held.unwrap();
        held.finish("a", true).unwrap();
        let e = Journal::open(&path, "fp", 2, true).err().unwrap();
        assert_eq!(e.kind(), BulkErrorKind::JournalBusy, "{e}");
        assert!(
            e.message()
                .contains(&format!("(process {})", std::process::id())),
            "{e}"
        );
        let (none, done) = Journal::open(&path, "fp", 2, false).unwrap();
        assert!(none.is_none() && done.count == 1 && done.ids.contains("a"));
        drop(held);
        assert!(Journal::open(&path, "fp", 2, true).unwrap().0.is_some());
    }
}

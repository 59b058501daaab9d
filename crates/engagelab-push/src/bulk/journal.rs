//! The journal: an append-only text file that makes a bulk run resumable.
//!
//! Its first line is a header, `{"journal":"engagelab-push bulk 1",
//! "fingerprint":"<sha-256 of the input>","ids":N}`. Each later line is
//! `D <id>` (deleted) or `N <id>` (not found), written and fsync'd once the
//! answer arrived and before the worker takes another id. So after a crash,
//! even a SIGKILL, every id with a line is finished, and the ids without one
//! are at most those that were in flight. A last line cut short by a crash is
//! dropped when the journal is opened again.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::error::{BulkError, BulkErrorKind};
use super::input::IdSet;
use super::synced::SyncedLog;

const MAGIC: &str = "engagelab-push bulk 1";

/// An open journal: the ids it holds as finished, and the log to add more.
pub(crate) struct Journal {
    log: SyncedLog,
}

/// The finished ids a journal holds, and how many.
pub(crate) struct Finished {
    pub ids: IdSet,
    pub count: u64,
}

impl Journal {
    /// Opens the journal at `path` for an input with this fingerprint, or
    /// creates it. Refuses a journal started for another input.
    /// `create` false (a dry run) reads an existing journal only.
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
        let file = match OpenOptions::new().read(true).write(create).open(path) {
            Ok(file) => Some(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(BulkError::io(
                    format!("cannot open the journal {shown}"),
                    &e,
                ));
            }
        };
        let Some(mut file) = file.filter(|f| f.metadata().is_ok_and(|m| m.len() > 0)) else {
            if !create {
                return Ok((None, finished));
            }
            let log = SyncedLog::open(path)
                .map_err(|e| BulkError::io(format!("cannot create the journal {shown}"), &e))?;
            let header = json!({"journal": MAGIC, "fingerprint": fingerprint, "ids": ids});
            log.append(format!("{header}\n").as_bytes())
                .map_err(|e| BulkError::io(format!("cannot write the journal {shown}"), &e))?;
            return Ok((Some(Journal { log }), finished));
        };
        let read_err =
            |e: std::io::Error| BulkError::io(format!("cannot read the journal {shown}"), &e);
        let mut reader = BufReader::new(&mut file);
        let mut header = String::new();
        reader.read_line(&mut header).map_err(read_err)?;
        let parsed: Option<Value> = serde_json::from_str(header.trim_end()).ok();
        let magic = parsed
            .as_ref()
            .and_then(|v| v.get("journal"))
            .and_then(Value::as_str);
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
        let len = file.seek(SeekFrom::End(0)).map_err(read_err)?;
        if len != good_len {
            file.set_len(good_len)
                .map_err(|e| BulkError::io(format!("cannot repair the journal {shown}"), &e))?;
            file.sync_all().map_err(read_err)?;
        }
        let file = reopen_append(path).map_err(read_err)?;
        Ok((
            Some(Journal {
                log: SyncedLog::from_file(file),
            }),
            finished,
        ))
    }

    /// Records a finished id; returns once it is on disk.
    pub fn finish(&self, id: &str, deleted: bool) -> std::io::Result<()> {
        let tag = if deleted { 'D' } else { 'N' };
        self.log.append(format!("{tag} {id}\n").as_bytes())
    }
}

fn reopen_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).open(PathBuf::from(path))
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
    }
}

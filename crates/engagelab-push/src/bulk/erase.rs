//! Erasing users by alias: each alias resolved to its registration ids, the
//! ids deleted by one bulk run, then each alias resolved again to confirm
//! that no device is still bound to it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::BulkDelete;
use super::engine::{self, Outcomes, is_not_found};
use super::error::{BulkError, BulkErrorKind};
use super::input::{BulkInput, hex};
use super::pacer::Pacer;
use super::report::{BulkSummary, Counts, Outcome, Report};
use crate::answer;
use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::options::CallOptions;
use crate::validate;

/// One user of an erasure: the alias, the devices bound to it before, and
/// those still bound after.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ErasedUser {
    /// The alias, as given.
    pub alias: String,
    /// The registration ids bound to the alias before the erasure, in the
    /// order EngageLab gave them: what the run set out to delete, not what
    /// it deleted (a stopped or interrupted run, or a failed deletion,
    /// leaves some; [`Erasure::summary`] counts those deleted, the report
    /// names each). Empty for an alias
    /// with no device, and for one EngageLab does not know (answered
    /// `NOT_FOUND` with an error code of EngageLab's, such as its 400 with
    /// code 27002; a bare 404 fails the lookup instead).
    pub registration_ids: Vec<String>,
    /// The registration ids bound to the alias when it was resolved again
    /// after the deletions: empty when the erasure is complete. `None` when
    /// it was not checked: a dry run, an interrupted or stopped run, or a
    /// lookup that failed (`verify_error`). EngageLab deletes asynchronously,
    /// so an id the run deleted may still be listed for a short while:
    /// resolve the alias again later. A rerun with the same journal does not
    /// send an id the journal holds as done in its first pass, but sends it
    /// once more if it is still listed after that pass (step 4 of
    /// [`erase_users`](BulkDelete::erase_users)).
    pub still_bound: Option<Vec<String>>,
    /// Why the second lookup failed, if it did.
    pub verify_error: Option<Error>,
}

impl ErasedUser {
    fn new(alias: String, registration_ids: Vec<String>) -> ErasedUser {
        ErasedUser {
            alias,
            registration_ids,
            still_bound: None,
            verify_error: None,
        }
    }

    /// Whether the alias was resolved again and no device is bound to it.
    pub fn is_verified(&self) -> bool {
        self.still_bound.as_ref().is_some_and(Vec::is_empty)
    }

    /// The user as a JSON object: `alias`, `registration_ids`,
    /// `still_bound` (`null` when not checked) and, after a failed second
    /// lookup, `verify_error` with every field of the error.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "alias": self.alias,
            "registration_ids": self.registration_ids,
            "still_bound": self.still_bound,
        });
        if let (Some(e), Value::Object(m)) = (&self.verify_error, &mut v) {
            m.insert("verify_error".into(), e.to_json());
        }
        v
    }
}

/// What an erasure did: each user, and the bulk run over their devices.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Erasure {
    /// Each alias, in the order given (a repeated alias once).
    pub users: Vec<ErasedUser>,
    /// The bulk run over every registration id the aliases resolved to.
    pub summary: BulkSummary,
}

impl Erasure {
    /// True when every device was deleted (or was already gone), the run was
    /// not interrupted, and, unless it was a dry run, every alias was
    /// resolved again with no device still bound.
    pub fn is_success(&self) -> bool {
        self.summary.is_success()
            && (self.summary.dry_run || self.users.iter().all(ErasedUser::is_verified))
    }

    /// The registration ids still bound after the erasure, alias by alias.
    pub fn still_bound(&self) -> impl Iterator<Item = (&str, &str)> {
        self.users.iter().flat_map(|u| {
            u.still_bound
                .iter()
                .flatten()
                .map(move |id| (u.alias.as_str(), id.as_str()))
        })
    }

    /// The erasure as a JSON object: the summary's fields and `users`, one
    /// [`ErasedUser::to_json`] each.
    pub fn to_json(&self) -> Value {
        let mut v = self.summary.to_json();
        if let Value::Object(m) = &mut v {
            let users: Vec<Value> = self.users.iter().map(ErasedUser::to_json).collect();
            m.insert("users".into(), Value::Array(users));
        }
        v
    }
}

impl Client {
    /// Erases one user: resolves `alias` to the registration ids bound to it
    /// ([`get_alias`](Self::get_alias), every platform), deletes them with
    /// the bulk engine's defaults ([`DEFAULT_QPS`](crate::DEFAULT_QPS), the
    /// [`DEFAULT_MAX_DELETIONS`](crate::DEFAULT_MAX_DELETIONS) guard), then
    /// resolves the alias again to confirm that no device is still bound.
    /// An alias with no device succeeds, having deleted nothing. For a
    /// backup, a report, a journal, a dry run or many aliases, configure a
    /// run: [`bulk_delete`](Self::bulk_delete) then
    /// [`erase_users`](BulkDelete::erase_users).
    ///
    /// ```no_run
    /// use engagelab_push::Client;
    ///
    /// let client = Client::from_env()?;
    /// let erasure = client.erase_user("user-42")?;
    /// let user = &erasure.users[0];
    /// println!("deleted {:?}; still bound: {:?}", user.registration_ids, user.still_bound);
    /// assert!(erasure.is_success());
    /// # Ok::<(), engagelab_push::BulkError>(())
    /// ```
    ///
    /// # Errors
    /// As [`erase_users`](BulkDelete::erase_users).
    pub fn erase_user(&self, alias: &str) -> Result<Erasure, BulkError> {
        self.bulk_delete().erase_users([alias])
    }
}

impl<'a> BulkDelete<'a> {
    /// Called on the thread that runs [`erase_users`](Self::erase_users)
    /// once per alias, as soon as it is resolved and before anything is
    /// deleted (`still_bound` is `None` then): to show an operator what will
    /// be deleted, before [`confirm`](Self::confirm) asks.
    pub fn on_resolved(mut self, f: impl FnMut(&ErasedUser) + Send + 'a) -> Self {
        self.on_resolved = Some(Box::new(f));
        self
    }

    /// Erases users by alias, as a GDPR or account-deletion request asks:
    ///
    /// 1. every alias is checked (nothing is sent if one is bad), then
    ///    resolved, one lookup at a time within [`qps`](Self::qps);
    /// 2. the registration ids of every alias go through one bulk run,
    ///    configured as usual: backup, report, journal, guard (counting the
    ///    ids of all aliases together), dry run, confirm, cancel;
    /// 3. unless it was a dry run or was interrupted, each alias is resolved
    ///    again: [`ErasedUser::still_bound`] lists any device still bound;
    /// 4. a device still bound that step 2 was to delete (the journal held
    ///    it as done, but EngageLab bound it again, or has not finished
    ///    deleting it) is deleted once more, journal or not, and its alias
    ///    resolved again. A device bound since step 1 is only reported: a
    ///    rerun shows it, and its confirmation covers it.
    ///
    /// A cancel during step 3 or 4 marks the summary `interrupted`; users not
    /// checked keep `still_bound` `None`.
    ///
    /// A repeated alias is erased once. The report, when configured, gets
    /// one line `{"alias","registration_ids"}` per alias once the run is
    /// confirmed, before the deletions (an erasure refused before then
    /// writes nothing), the run's lines and summary (and those of step 4),
    /// then one line `{"alias","still_bound"}` per alias checked and, last,
    /// the erasure's summary: the one returned, both passes counted. A journal belongs to
    /// the list of aliases: rerun with the same aliases and journal to
    /// resume; ids already deleted are not sent again.
    ///
    /// # Errors
    /// [`BulkError`] when the run refuses to start (no alias, a bad alias,
    /// the guard, a journal of other aliases, a declined confirmation, a
    /// file that cannot be opened; nothing is deleted then) or must stop (a
    /// file that cannot be written, or opened again for step 4:
    /// [`BulkErrorKind::WriteFailed`], its summary counting both passes). A first lookup that fails (other than
    /// for an unknown alias) is [`BulkErrorKind::Lookup`], whose
    /// [`source`](std::error::Error::source) is the lookup's [`Error`]:
    /// nothing was deleted. Failed deletions, devices still bound and
    /// cancellation are not errors: see [`Erasure`].
    pub fn erase_users<I>(mut self, aliases: I) -> Result<Erasure, BulkError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let aliases = checked(aliases)?;
        engine::check_settings(&self)?;
        // One pacer for the lookups and both passes of deletions: together
        // they stay within `qps` (EngageLab limits the AppKey, not a phase).
        let pacer = Arc::new(Pacer::new(f64::from(self.qps)));
        let cancel = self.cancel.clone().unwrap_or_default();
        let options = CallOptions::new().cancel(cancel.clone());
        let mut on_resolved = self.on_resolved.take();
        let client = self.client.clone();

        let mut users = Vec::with_capacity(aliases.len());
        for alias in aliases.iter() {
            let Some(found) = lookup(&client, &pacer, &cancel, &options, alias) else {
                return Ok(interrupted(users, self.dry_run));
            };
            let ids = match found {
                Ok(ids) => ids,
                Err(e) if is_unknown_alias(&e) => Vec::new(),
                Err(e) if e.kind() == ErrorKind::Cancelled => {
                    return Ok(interrupted(users, self.dry_run));
                }
                Err(e) if is_not_found(&e) => {
                    return Err(BulkError::with_source(
                        BulkErrorKind::Lookup,
                        format!(
                            "cannot resolve the alias {alias:?}: the answer, HTTP 404 without \
                             an error code of EngageLab's API, does not say the alias is \
                             unknown; check the base URL and any proxy (`engagelab-push \
                             check` tells); nothing was deleted ({e})"
                        ),
                        e,
                    ));
                }
                Err(e) => {
                    return Err(BulkError::with_source(
                        BulkErrorKind::Lookup,
                        format!("cannot resolve the alias {alias:?}: {e}; nothing was deleted"),
                        e,
                    ));
                }
            };
            let user = ErasedUser::new(alias.clone(), ids);
            if let Some(f) = on_resolved.as_mut() {
                f(&user);
            }
            users.push(user);
        }

        // The report opens with them once the run is confirmed: an erasure
        // refused before deleting (the guard, a declined confirmation)
        // writes nothing, as a bulk run does not.
        let resolved: Vec<Value> = users
            .iter()
            .map(|u| json!({"alias": u.alias, "registration_ids": u.registration_ids}))
            .collect();
        let ids: Vec<String> = users
            .iter()
            .flat_map(|u| u.registration_ids.iter().cloned())
            .collect();
        if ids.is_empty() {
            // Nothing to delete: nothing to confirm either.
            self.confirm = None;
        }
        let report = self.report.clone();
        let fingerprint = fingerprint(&aliases);
        let first_outcomes = Outcomes::default();
        let mut summary = engine::run(
            &mut self,
            BulkInput::ids(ids),
            Some(fingerprint.clone()),
            false,
            &resolved,
            Some(first_outcomes.clone()),
            Some(Arc::clone(&pacer)),
        )?;

        if !summary.dry_run && !summary.interrupted && summary.stopped.is_none() {
            let mut complete = verify(&client, &pacer, &cancel, &options, &mut users, |_| true);
            // A device still bound that the run was to delete (a journal held
            // it as done, or EngageLab bound it again) is deleted once more,
            // journal or not, then checked again. A device bound since the
            // first lookup is left for a rerun, which shows and confirms it.
            let again: Vec<String> = users
                .iter()
                .flat_map(|u| {
                    u.still_bound
                        .iter()
                        .flatten()
                        .filter(|id| u.registration_ids.contains(id))
                        .cloned()
                })
                .collect();
            if complete && !again.is_empty() {
                let second_outcomes = Outcomes::default();
                let both = |first: BulkSummary, second: &BulkSummary| {
                    merged(
                        first,
                        second,
                        &first_outcomes.lock().unwrap_or_else(|p| p.into_inner()),
                        &second_outcomes.lock().unwrap_or_else(|p| p.into_inner()),
                    )
                };
                let second = match engine::run(
                    &mut self,
                    BulkInput::ids(again),
                    Some(fingerprint),
                    true,
                    &[],
                    Some(second_outcomes.clone()),
                    Some(Arc::clone(&pacer)),
                ) {
                    Ok(second) => second,
                    Err(e) => return Err(after_first_pass(e, summary, both)),
                };
                summary = both(summary, &second);
                if !second.interrupted && second.stopped.is_none() {
                    complete = verify(&client, &pacer, &cancel, &options, &mut users, |u| {
                        u.still_bound.as_ref().is_some_and(|ids| !ids.is_empty())
                    });
                }
            }
            summary.interrupted |= !complete;
            if let Some(path) = &report {
                let lines = users
                    .iter()
                    .filter(|u| u.still_bound.is_some() || u.verify_error.is_some())
                    .map(|u| {
                        let mut v = u.to_json();
                        if let Value::Object(m) = &mut v {
                            m.remove("registration_ids");
                        }
                        v
                    });
                write_report(path, lines, &summary)?;
            }
        }
        Ok(Erasure { users, summary })
    }
}

/// Resolves again each user `which` picks, setting `still_bound` (or
/// `verify_error`); false when a cancel stopped it (the users not reached
/// are left unchecked).
fn verify(
    client: &Client,
    pacer: &Pacer,
    cancel: &CancelToken,
    options: &CallOptions,
    users: &mut [ErasedUser],
    which: impl Fn(&ErasedUser) -> bool,
) -> bool {
    for user in users.iter_mut().filter(|u| which(u)) {
        match lookup(client, pacer, cancel, options, &user.alias) {
            None => return false,
            Some(Err(e)) if e.kind() == ErrorKind::Cancelled => return false,
            Some(Ok(ids)) => user.still_bound = Some(ids),
            Some(Err(e)) if is_unknown_alias(&e) => user.still_bound = Some(Vec::new()),
            Some(Err(e)) => user.verify_error = Some(e),
        }
    }
    true
}

/// The summary of an erasure's two passes: the first's entries, each id
/// counted once, by its last outcome. A device deleted by the first pass and
/// not found by the second stays deleted; one that failed and was then
/// deleted is deleted.
fn merged(
    first: BulkSummary,
    second: &BulkSummary,
    before: &HashMap<String, Outcome>,
    after: &HashMap<String, Outcome>,
) -> BulkSummary {
    let mut counts = first.counts;
    for (id, &last) in after {
        let earlier = before.get(id).copied();
        if let Some(o) = earlier {
            let slot = counts.slot(o);
            *slot = slot.saturating_sub(1);
        }
        let kept = match (earlier, last) {
            (Some(Outcome::Deleted), Outcome::NotFound) => Outcome::Deleted,
            _ => last,
        };
        *counts.slot(kept) += 1;
    }
    BulkSummary {
        counts,
        rate_limited: first.rate_limited + second.rate_limited,
        elapsed: first.elapsed + second.elapsed,
        interrupted: first.interrupted || second.interrupted,
        stopped: first.stopped.or_else(|| second.stopped.clone()),
        ..first
    }
}

/// The aliases, each checked, a repeated one once, in the order given.
fn checked<I>(aliases: I) -> Result<Vec<String>, BulkError>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for (i, alias) in aliases.into_iter().enumerate() {
        let alias = alias.as_ref();
        if let Err(e) = validate::alias(alias) {
            let shown: String = alias.chars().take(48).collect();
            return Err(BulkError::with_source(
                BulkErrorKind::InvalidArgument,
                format!(
                    "alias {} ({shown:?}): {}; nothing was sent",
                    i + 1,
                    e.message()
                ),
                e,
            ));
        }
        if !out.iter().any(|a| a == alias) {
            out.push(alias.to_owned());
        }
    }
    if out.is_empty() {
        return Err(BulkError::invalid("no alias to erase"));
    }
    Ok(out)
}

/// One paced lookup of every platform; `None` when the run was cancelled
/// while waiting for its slot.
fn lookup(
    client: &Client,
    pacer: &Pacer,
    cancel: &CancelToken,
    options: &CallOptions,
    alias: &str,
) -> Option<Result<Vec<String>, Error>> {
    pacer.acquire(cancel)?;
    Some(client.get_alias_with(alias, &[], options))
}

/// The journal's fingerprint of an erasure: its set of aliases (in any
/// order), so that a rerun of the same aliases resumes whatever they resolve
/// to by then.
fn fingerprint(aliases: &[String]) -> String {
    let mut sorted: Vec<&String> = aliases.iter().collect();
    sorted.sort();
    let mut digest = Sha256::new();
    digest.update(b"erase-users\n");
    for alias in sorted {
        digest.update(alias.as_bytes());
        digest.update(b"\n");
    }
    hex(&digest.finalize())
}

/// An erasure cancelled while its aliases were being resolved: nothing
/// was deleted.
fn interrupted(users: Vec<ErasedUser>, dry_run: bool) -> Erasure {
    Erasure {
        users,
        summary: BulkSummary {
            entries: 0,
            ids: 0,
            counts: Counts::default(),
            not_started: 0,
            rate_limited: 0,
            elapsed: std::time::Duration::ZERO,
            interrupted: true,
            stopped: None,
            dry_run,
        },
    }
}

/// The failure of an erasure's second pass, after the first pass deleted:
/// [`BulkErrorKind::WriteFailed`] with what both passes did, as every other
/// kind says nothing was sent. A second pass that could not start (its
/// journal, backup or report could not be opened again) did only what the
/// first did.
fn after_first_pass(
    e: BulkError,
    first: BulkSummary,
    both: impl FnOnce(BulkSummary, &BulkSummary) -> BulkSummary,
) -> BulkError {
    match (e.kind(), e.summary()) {
        (BulkErrorKind::WriteFailed, Some(second)) => {
            let done = both(first, second);
            e.with_summary(done)
        }
        _ => BulkError::new(
            BulkErrorKind::WriteFailed,
            format!("stopped after the first pass of deletions: {e}"),
        )
        .with_summary(first),
    }
}

/// Appends `lines` to the report after the deletions, then the erasure's
/// summary `done` as its last line (a pass's own summary line counts that
/// pass alone); a failure is [`BulkErrorKind::WriteFailed`] with `done`.
fn write_report(
    path: &std::path::Path,
    lines: impl Iterator<Item = Value>,
    done: &BulkSummary,
) -> Result<(), BulkError> {
    let what = format!("cannot write the report {}", path.display());
    let io = |e: std::io::Error| BulkError::mid_run(what.clone(), &e).with_summary(done.clone());
    let report = Report::open(path, false).map_err(io)?;
    for line in lines {
        report.write(&line).map_err(io)?;
    }
    report.summary(done).map_err(io)
}

/// EngageLab's answer for an alias it does not know: `NOT_FOUND` with an
/// error code of EngageLab's own (such as 27002). A bare 404, with no code
/// or with the HTTP status repeated as one, is what a wrong base URL or a
/// proxy answers: it says nothing of the alias, and an erasure that read it
/// as "no device" would report users erased whose devices were never found.
fn is_unknown_alias(e: &Error) -> bool {
    is_not_found(e)
        && e.http_status()
            .is_some_and(|status| answer::has_api_code(status, e.api_code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_checked_and_deduplicated() {
        assert_eq!(checked(["a", "b", "a"]).unwrap(), ["a", "b"]);
        let e = checked(["ok", "a/b"]).unwrap_err();
        assert_eq!(e.kind(), BulkErrorKind::InvalidArgument);
        assert!(
            e.message()
                .starts_with("alias 2 (\"a/b\"): alias contains '/'"),
            "{}",
            e.message()
        );
        assert!(e.message().ends_with("nothing was sent"));
        let e = checked(Vec::<String>::new()).unwrap_err();
        assert_eq!(e.message(), "no alias to erase");
    }

    #[test]
    fn the_second_pass_counts_each_id_once_by_its_last_outcome() {
        use std::time::Duration;
        let summary = |counts: Counts, rate_limited, secs, stopped: Option<&str>| BulkSummary {
            entries: 9,
            ids: 8,
            counts,
            not_started: 7,
            rate_limited,
            elapsed: Duration::from_secs(secs),
            interrupted: stopped.is_some(),
            stopped: stopped.map(str::to_owned),
            dry_run: false,
        };
        let outcomes = |pairs: &[(&str, Outcome)]| -> HashMap<String, Outcome> {
            pairs.iter().map(|(id, o)| ((*id).to_owned(), *o)).collect()
        };
        use Outcome::*;
        let before = outcomes(&[
            ("deleted-then-not-found", Deleted),
            ("failed-then-deleted", Failed),
            ("done-then-deleted", AlreadyDone),
            ("deleted-then-failed", Deleted),
            ("not-found-twice", NotFound),
            ("deleted-once", Deleted),
        ]);
        let after = outcomes(&[
            ("deleted-then-not-found", NotFound),
            ("failed-then-deleted", Deleted),
            ("done-then-deleted", Deleted),
            ("deleted-then-failed", Failed),
            ("not-found-twice", NotFound),
        ]);
        // The first pass's counts hold more than the ids above: the others
        // are kept as they are.
        let first = Counts {
            deleted: 5,
            not_found: 2,
            failed: 2,
            invalid: 4,
            duplicate: 5,
            already_done: 1,
            would_delete: 0,
        };
        let second = Counts {
            deleted: 2,
            not_found: 2,
            failed: 1,
            ..Counts::default()
        };
        let both = merged(
            summary(first, 2, 1, None),
            &summary(second, 3, 2, Some("AUTH")),
            &before,
            &after,
        );
        let want = Counts {
            deleted: 6,
            not_found: 2,
            failed: 2,
            invalid: 4,
            duplicate: 5,
            already_done: 0,
            would_delete: 0,
        };
        assert_eq!(both.counts, want);
        assert_eq!(both.counts.total(), first.total());
        assert_eq!((both.entries, both.ids, both.not_started), (9, 8, 7));
        assert_eq!(
            (both.rate_limited, both.elapsed),
            (5, Duration::from_secs(3))
        );
        assert!(both.interrupted);
        assert_eq!(both.stopped.as_deref(), Some("AUTH"));
    }

    #[test]
    fn the_fingerprint_follows_the_set_of_aliases() {
        let a = fingerprint(&["u1".into(), "u2".into()]);
        assert_eq!(a, fingerprint(&["u1".into(), "u2".into()]));
        assert_eq!(a, fingerprint(&["u2".into(), "u1".into()]));
        assert_ne!(a, fingerprint(&["u1".into()]));
        assert_ne!(a, fingerprint(&["u1u2".into()]));
    }
}

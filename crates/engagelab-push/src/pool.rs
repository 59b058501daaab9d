//! `Pool`: the bounded set of threads a client runs its asynchronous calls
//! on, and the watcher that ends calls cancelled or out of time while they
//! wait for one of them.
//!
//! The design is a bounded pool of blocking workers, not one event loop
//! driving many sockets. The reasons:
//! - every call keeps the one HTTP path the blocking calls use (ureq, its
//!   pool, the resolver with its deadline, the retry loop, the redaction):
//!   asynchronous calls cannot drift from the synchronous ones;
//! - a worker is a plain thread that lives [`ASYNC_IDLE`] past its last call,
//!   so threads and their pooled connections are reused under load and
//!   nothing stays behind once calls stop;
//! - an event loop over ureq's sans-IO layer would need its own TLS driving,
//!   timers and resolver, a second HTTP stack in all but name.
//!
//! At most [`ASYNC_THREADS`] workers run calls; later calls wait in order.
//! While calls wait, one watcher thread looks at them every
//! [`CANCEL_CHECK_INTERVAL`] and ends those cancelled or past their
//! deadline, so a waiting call is never held beyond its own limits. A forked
//! child never touches its parent's pool (its threads did not survive the
//! fork, and its lock may be held forever): the client gives the child a
//! pool of its own, and a pool thread that forked (in a call back) ends in
//! the child rather than run the parent's waiting calls a second time.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Instant;

use crate::cancel::CancelToken;
use crate::error::Error;
use crate::error_kind::ErrorKind;
use crate::settings::{ASYNC_IDLE, ASYNC_THREADS, CANCEL_CHECK_INTERVAL};

/// One asynchronous call, queued until a worker runs it.
pub(crate) trait Task: Send {
    /// Runs the call and calls back with its result.
    fn run(self: Box<Self>);
    /// Calls back with `error` without running the call.
    fn abandon(self: Box<Self>, error: Error);
    /// The call's cancel token, if it has one.
    fn cancel(&self) -> Option<&CancelToken>;
    /// When the call must have ended.
    fn deadline(&self) -> Instant;
}

/// The threads of one client's asynchronous calls, in the process that made
/// it.
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    /// The process that made the pool: the only one its threads work in.
    owner: u32,
    state: Mutex<State>,
    /// Wakes an idle worker: a call was queued, or the pool closed.
    work: Condvar,
    /// Wakes the watcher: the pool closed.
    watch: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Box<dyn Task>>,
    workers: usize,
    idle: usize,
    watching: bool,
    closed: bool,
    threads: Vec<(ThreadId, JoinHandle<()>)>,
}

impl Pool {
    /// A pool with no thread yet: threads start with the first calls.
    pub(crate) fn new() -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                watch: Condvar::new(),
                owner: std::process::id(),
            }),
        }
    }

    /// Queues `task`, starting a worker when none is idle and fewer than
    /// [`ASYNC_THREADS`] run, else the watcher.
    ///
    /// # Errors
    /// `Internal` when no thread runs and none could be started; `task` is
    /// then dropped without a call back.
    pub(crate) fn submit(&self, task: Box<dyn Task>) -> Result<(), Error> {
        let mut state = self.shared.lock();
        state.queue.push_back(task);
        if state.queue.len() <= state.idle {
            self.shared.work.notify_one();
            return Ok(());
        }
        if state.workers < ASYNC_THREADS {
            match self.start(&mut state, "engagelab-async", worker) {
                Ok(()) => {
                    state.workers += 1;
                    return Ok(());
                }
                Err(e) if state.workers == 0 => {
                    state.queue.pop_back();
                    return Err(e);
                }
                // The running workers will get to it.
                Err(_) => {}
            }
        }
        if !state.watching && self.start(&mut state, "engagelab-watch", watcher).is_ok() {
            state.watching = true;
        }
        Ok(())
    }

    fn start(&self, state: &mut State, name: &str, body: fn(Arc<Shared>)) -> Result<(), Error> {
        let shared = self.shared.clone();
        let handle = thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || body(shared))
            .map_err(|e| Error::internal(format!("could not start a thread for the call: {e}")))?;
        state.threads.retain(|(_, h)| !h.is_finished());
        state.threads.push((handle.thread().id(), handle));
        Ok(())
    }

    /// How many threads the pool runs now (workers and watcher).
    #[cfg(test)]
    fn threads(&self) -> usize {
        let state = self.shared.lock();
        state.workers + usize::from(state.watching)
    }
}

impl Drop for Pool {
    /// Ends the threads once they are idle and waits for them, except the
    /// one dropping the pool (a call back may drop the last client). Queued
    /// calls each hold the client, so none is left when this runs. In a
    /// forked child nothing is touched (see the module's doc).
    fn drop(&mut self) {
        if !self.shared.in_owner() {
            return;
        }
        let threads = {
            let mut state = self.shared.lock();
            state.closed = true;
            std::mem::take(&mut state.threads)
        };
        self.shared.work.notify_all();
        self.shared.watch.notify_all();
        let me = thread::current().id();
        for (id, handle) in threads {
            if id != me {
                let _ = handle.join();
            }
        }
    }
}

impl Shared {
    /// Whether this is the process that made the pool (not a child forked
    /// from it, whose copy of the pool no thread serves).
    fn in_owner(&self) -> bool {
        std::process::id() == self.owner
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic never happens under this lock (tasks run outside it), so a
        // poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A worker: runs queued calls in order; ends when the pool closes or after
/// [`ASYNC_IDLE`] without a call.
fn worker(shared: Arc<Shared>) {
    loop {
        // Back from a call back that forked, in the child: the parent runs
        // the waiting calls, and the lock may be held forever.
        if !shared.in_owner() {
            return;
        }
        let mut state = shared.lock();
        let task = loop {
            if let Some(task) = state.queue.pop_front() {
                break Some(task);
            }
            if state.closed {
                break None;
            }
            state.idle += 1;
            let (next, waited) = shared
                .work
                .wait_timeout(state, ASYNC_IDLE)
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            state.idle -= 1;
            if waited.timed_out() && state.queue.is_empty() {
                break None;
            }
        };
        if task.is_none() {
            state.workers -= 1;
        }
        drop(state);
        match task {
            // A panic in the caller's call back must not end the worker, and
            // has nowhere to go.
            Some(task) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.run()));
            }
            None => return,
        }
    }
}

/// The watcher: while calls wait, ends those cancelled or past their
/// deadline every [`CANCEL_CHECK_INTERVAL`]; ends when none waits.
fn watcher(shared: Arc<Shared>) {
    loop {
        if !shared.in_owner() {
            return;
        }
        let ended = {
            let mut state = shared.lock();
            if state.queue.is_empty() || state.closed {
                state.watching = false;
                return;
            }
            let now = Instant::now();
            let mut ended = Vec::new();
            let mut kept = VecDeque::with_capacity(state.queue.len());
            for task in state.queue.drain(..) {
                if task.cancel().is_some_and(CancelToken::is_flagged) {
                    ended.push((task, ErrorKind::Cancelled));
                } else if task.deadline() <= now {
                    ended.push((task, ErrorKind::Timeout));
                } else {
                    kept.push_back(task);
                }
            }
            state.queue = kept;
            if ended.is_empty() {
                let (state, _) = shared
                    .watch
                    .wait_timeout(state, CANCEL_CHECK_INTERVAL)
                    .unwrap_or_else(|p| p.into_inner());
                drop(state);
                continue;
            }
            ended
        };
        for (task, kind) in ended {
            let error = match kind {
                ErrorKind::Cancelled => crate::retry::cancelled(0),
                _ => Error::new(kind, "the deadline passed before a request could be sent"),
            };
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.abandon(error)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    struct Probe {
        gate: Arc<(Mutex<bool>, Condvar)>,
        cancel: Option<CancelToken>,
        deadline: Instant,
        done: mpsc::Sender<Result<usize, ErrorKind>>,
        n: usize,
    }

    impl Task for Probe {
        fn run(self: Box<Self>) {
            let (lock, open) = &*self.gate;
            let mut g = lock.lock().unwrap();
            while !*g {
                g = open.wait(g).unwrap();
            }
            let _ = self.done.send(Ok(self.n));
        }
        fn abandon(self: Box<Self>, error: Error) {
            let _ = self.done.send(Err(error.kind()));
        }
        fn cancel(&self) -> Option<&CancelToken> {
            self.cancel.as_ref()
        }
        fn deadline(&self) -> Instant {
            self.deadline
        }
    }

    #[test]
    fn threads_stay_within_the_bound_and_waiting_calls_end_on_cancel_and_deadline() {
        let pool = Pool::new();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (tx, rx) = mpsc::channel();
        let far = Instant::now() + Duration::from_secs(60);
        let token = CancelToken::new();
        let probe = |n, cancel: Option<CancelToken>, deadline| {
            Box::new(Probe {
                gate: gate.clone(),
                cancel,
                deadline,
                done: tx.clone(),
                n,
            })
        };
        for n in 0..ASYNC_THREADS + 10 {
            pool.submit(probe(n, None, far)).unwrap();
        }
        pool.submit(probe(1000, Some(token.clone()), far)).unwrap();
        pool.submit(probe(
            1001,
            None,
            Instant::now() + Duration::from_millis(50),
        ))
        .unwrap();
        assert_eq!(pool.threads(), ASYNC_THREADS + 1);
        let started = Instant::now();
        token.cancel();
        let mut early = vec![rx.recv().unwrap(), rx.recv().unwrap()];
        early.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(early, [Err(ErrorKind::Cancelled), Err(ErrorKind::Timeout)]);
        assert!(started.elapsed() < Duration::from_secs(5));
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let mut ran: Vec<usize> = (0..ASYNC_THREADS + 10)
            .map(|_| rx.recv().unwrap().unwrap())
            .collect();
        ran.sort_unstable();
        assert_eq!(ran, (0..ASYNC_THREADS + 10).collect::<Vec<_>>());
        assert!(pool.threads() <= ASYNC_THREADS + 1);
    }
}

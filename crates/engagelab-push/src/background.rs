//! The client's asynchronous calls: `delete_device_async`, `get_device_async`
//! and `get_alias_async`, run on the client's own bounded threads (see
//! [`pool`](crate::pool)) and reported through a completion.

use std::time::Instant;

use crate::cancel::CancelToken;
use crate::client::Client;
use crate::device::Device;
use crate::error::Error;
use crate::options::CallOptions;
use crate::platform::Platform;
use crate::pool::Task;

/// A call and its completion, waiting in the pool.
struct Background<T, C, D> {
    client: Client,
    options: CallOptions,
    deadline: Instant,
    call: C,
    done: D,
    _result: std::marker::PhantomData<fn() -> T>,
}

impl<T, C, D> Task for Background<T, C, D>
where
    C: FnOnce(&Client, &CallOptions) -> Result<T, Error> + Send,
    D: FnOnce(Result<T, Error>) + Send,
{
    fn run(self: Box<Self>) {
        let this = *self;
        // The deadline counts from the start, time in the queue included.
        let options = this
            .options
            .timeout(this.deadline.saturating_duration_since(Instant::now()));
        let client = this.client;
        let call = this.call;
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(&client, &options)))
                .unwrap_or_else(|_| {
                    Err(Error::internal(
                        "a panic was caught in an asynchronous call",
                    ))
                });
        (this.done)(result);
    }

    fn abandon(self: Box<Self>, error: Error) {
        (self.done)(Err(error));
    }

    fn cancel(&self) -> Option<&CancelToken> {
        self.options.cancel.as_ref()
    }

    fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Client {
    /// Starts `call` on the client's threads; `done` gets its result.
    fn spawn<T: 'static>(
        &self,
        options: &CallOptions,
        call: impl FnOnce(&Client, &CallOptions) -> Result<T, Error> + Send + 'static,
        done: impl FnOnce(Result<T, Error>) + Send + 'static,
    ) -> Result<(), Error> {
        let task = Background {
            client: self.clone(),
            options: options.clone(),
            deadline: self.deadline_from_now(options),
            call,
            done,
            _result: std::marker::PhantomData,
        };
        self.submit(Box::new(task))
    }

    /// [`delete_device_with`](Self::delete_device_with) on the client's own
    /// threads: returns at once, and `done` is called exactly once with the
    /// call's result, on one of those threads (never the caller's).
    ///
    /// At most [`ASYNC_THREADS`](crate::settings::ASYNC_THREADS) calls run at
    /// once per client (per process, after a `fork()`); later ones wait in
    /// order. The deadline counts from this call, time spent waiting
    /// included, and a waiting call that is cancelled or runs out of time
    /// ends within [`CANCEL_CHECK_INTERVAL`](crate::CANCEL_CHECK_INTERVAL)
    /// with `Cancelled` or `Timeout`, nothing sent. `done` may call the
    /// client (an asynchronous call included) and may drop the last clone of
    /// it; it should return quickly, as the thread runs the next call after
    /// it.
    ///
    /// ```no_run
    /// let client = engagelab_push::Client::from_env()?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// client.delete_device_async("1a0018970a5c4e0b", &Default::default(), move |r| {
    ///     let _ = tx.send(r);
    /// })?;
    /// rx.recv().unwrap()?;
    /// # Ok::<(), engagelab_push::Error>(())
    /// ```
    ///
    /// # Errors
    /// `Internal` when no thread could be started for the call: it did not
    /// start, and `done` is not called. Every other failure goes to `done`.
    pub fn delete_device_async(
        &self,
        registration_id: &str,
        options: &CallOptions,
        done: impl FnOnce(Result<(), Error>) + Send + 'static,
    ) -> Result<(), Error> {
        let id = registration_id.to_owned();
        self.spawn(options, move |c, o| c.delete_device_with(&id, o), done)
    }

    /// [`get_device_with`](Self::get_device_with) on the client's own
    /// threads, as [`delete_device_async`](Self::delete_device_async).
    ///
    /// # Errors
    /// As [`delete_device_async`](Self::delete_device_async).
    pub fn get_device_async(
        &self,
        registration_id: &str,
        options: &CallOptions,
        done: impl FnOnce(Result<Device, Error>) + Send + 'static,
    ) -> Result<(), Error> {
        let id = registration_id.to_owned();
        self.spawn(options, move |c, o| c.get_device_with(&id, o), done)
    }

    /// [`get_alias_with`](Self::get_alias_with) on the client's own
    /// threads, as [`delete_device_async`](Self::delete_device_async).
    ///
    /// # Errors
    /// As [`delete_device_async`](Self::delete_device_async).
    pub fn get_alias_async(
        &self,
        alias: &str,
        platforms: &[Platform],
        options: &CallOptions,
        done: impl FnOnce(Result<Vec<String>, Error>) + Send + 'static,
    ) -> Result<(), Error> {
        let alias = alias.to_owned();
        let platforms = platforms.to_vec();
        self.spawn(
            options,
            move |c, o| c.get_alias_with(&alias, &platforms, o),
            done,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::mpsc;
    use std::time::Duration;

    fn client() -> Client {
        // Nothing listens on port 9 of loopback: a refused connection.
        Client::builder("k", "s")
            .base_url("http://127.0.0.1:9")
            .allow_insecure_http(true)
            .max_retries(0)
            .build()
            .unwrap()
    }

    #[test]
    fn a_bad_id_comes_back_through_done_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        let me = std::thread::current().id();
        client()
            .delete_device_async("bad id", &CallOptions::new(), move |r| {
                let _ = tx.send((r, std::thread::current().id()));
            })
            .unwrap();
        let (result, thread) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_ne!(thread, me);
    }

    #[test]
    fn a_per_call_timeout_of_zero_sends_nothing() {
        let (tx, rx) = mpsc::channel();
        let options = CallOptions::new().timeout(Duration::ZERO);
        client()
            .get_alias_async("user", &[], &options, move |r| {
                let _ = tx.send(r);
            })
            .unwrap();
        let e = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap_err();
        assert_eq!((e.kind(), e.attempts()), (ErrorKind::Timeout, 0));
    }

    #[test]
    fn dropping_the_last_client_in_done_is_allowed() {
        let (tx, rx) = mpsc::channel();
        let c = client();
        let held = c.clone();
        c.get_device_async("abc", &CallOptions::new(), move |r| {
            drop(held);
            let _ = tx.send(r.map(|_| ()));
        })
        .unwrap();
        drop(c);
        let e = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network);
    }
}

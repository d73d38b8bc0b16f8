//! [`Call`]: what a client method returns. Await it to perform the operation, or set per-call
//! options on it first.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use crate::{Error, RequestOptions};

/// The future an awaited [`Call`] becomes.
pub type CallFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

type SendFn<'a, T> = Box<dyn FnOnce(RequestOptions) -> CallFuture<'a, T> + Send + 'a>;

/// One operation, ready to send: `client.op(request).await` performs it with the client's
/// settings, and the `with_*`-style methods set [`RequestOptions`] for this call only.
///
/// Nothing is sent until the call is awaited.
///
/// ```
/// # use std::time::Duration;
/// # use codearts_transport::{call::Call, RequestOptions};
/// # async fn demo() -> Result<(), codearts_transport::Error> {
/// // A stand-in for a client method: it echoes the options it receives.
/// let call = Call::new(|options: RequestOptions| Box::pin(async move { Ok(options) }));
/// let seen = call.attempt_timeout(Duration::from_secs(5)).never_retry().await?;
/// assert_eq!(seen.attempt_timeout(), Some(Duration::from_secs(5)));
/// assert_eq!(seen.retry().map(|r| r.max_attempts), Some(1));
/// # Ok(())
/// # }
/// ```
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, T> {
    options: RequestOptions,
    // A header that could not be set: reported when the call is awaited, so the builder
    // methods stay infallible.
    error: Option<Error>,
    send: SendFn<'a, T>,
}

impl<'a, T: 'a> Call<'a, T> {
    /// A call that runs `send` with its options when awaited (what generated clients use).
    pub fn new(send: impl FnOnce(RequestOptions) -> CallFuture<'a, T> + Send + 'a) -> Self {
        Call {
            options: RequestOptions::default(),
            error: None,
            send: Box::new(send),
        }
    }

    /// The options set so far.
    pub fn options(&self) -> &RequestOptions {
        &self.options
    }

    /// Replaces all options of this call.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// Limits each attempt of this call.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_attempt_timeout(timeout);
        self
    }

    /// Limits this call as a whole, retries and waits included.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.with_operation_timeout(timeout);
        self
    }

    /// Sends this call once, whatever happens.
    pub fn never_retry(mut self) -> Self {
        self.options = self.options.with_never_retry();
        self
    }

    /// Declares this call safe (or not) to repeat, overriding the operation's marking.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options = self.options.with_idempotent(idempotent);
        self
    }

    /// Adds a header to the request; an invalid name or value makes the call fail with
    /// [`crate::ErrorKind::InvalidRequest`] when awaited, before anything is sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if self.error.is_none() {
            match self.options.clone().with_header(name, value) {
                Ok(options) => self.options = options,
                Err(error) => self.error = Some(error),
            }
        }
        self
    }
}

impl<'a, T: 'a> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<'a, T>;

    fn into_future(self) -> Self::IntoFuture {
        match self.error {
            Some(error) => Box::pin(async move { Err(error) }),
            None => (self.send)(self.options),
        }
    }
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn echo<'a>() -> Call<'a, RequestOptions> {
        Call::new(|options| Box::pin(async move { Ok(options) }))
    }

    #[tokio::test]
    async fn options_reach_the_operation() {
        assert!(echo().await.unwrap().is_default());
        let seen = echo()
            .operation_timeout(Duration::from_secs(30))
            .idempotent(true)
            .header("x-a", "1")
            .await
            .unwrap();
        assert_eq!(seen.operation_timeout(), Some(Duration::from_secs(30)));
        assert_eq!(seen.idempotent(), Some(true));
        assert_eq!(seen.headers()["x-a"], "1");
        let replaced = echo()
            .idempotent(true)
            .with_options(RequestOptions::never_retry())
            .await
            .unwrap();
        assert_eq!(replaced, RequestOptions::never_retry());
    }

    #[tokio::test]
    async fn a_bad_header_fails_the_call_without_running_it() {
        let call: Call<'_, ()> = Call::new(|_| panic!("must not run"));
        let err = call.header("x-a", "bad\nvalue").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn debug_shows_the_options() {
        let text = format!("{:?}", echo().idempotent(false));
        assert!(text.contains("idempotent: Some(false)"), "{text}");
    }
}

//! Streams over paged list operations: fetch a page, yield its items, ask for the next page
//! only when the caller wants more, stop at the end.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::stream::{self, Stream};

use crate::Error;

/// A stream of the items of a paged operation: boxed, so it is `Unpin` and `.next().await`
/// works on it directly.
pub type ItemStream<T> = std::pin::Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>;

/// The most pages one stream fetches: a guard against a service that never says "last page".
pub const MAX_PAGES: usize = 100_000;

/// Where a paged stream stands.
struct State<Req, Item> {
    next: Option<Req>,
    buffer: VecDeque<Item>,
    pages: usize,
}

/// A stream of every item of a paged operation.
///
/// - `first`: the request for the first page;
/// - `fetch`: performs one request;
/// - `split`: takes a page's items out of its response, and from the request and the response
///   decides the request for the next page (`None` at the end).
///
/// An error ends the stream after it is yielded.
pub fn paginate<Req, Resp, Item, F, Fut, S>(first: Req, fetch: F, split: S) -> ItemStream<Item>
where
    Req: Clone + Send + 'static,
    Item: Send + 'static,
    Resp: 'static,
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Resp, Error>> + Send + 'static,
    S: Fn(&Req, Resp) -> (Vec<Item>, Option<Req>) + Send + Sync + 'static,
{
    let state = State {
        next: Some(first),
        buffer: VecDeque::new(),
        pages: 0,
    };
    Box::pin(stream::unfold(
        (state, fetch, split),
        |(mut state, fetch, split)| async move {
            loop {
                if let Some(item) = state.buffer.pop_front() {
                    return Some((Ok(item), (state, fetch, split)));
                }
                let request = state.next.take()?;
                if state.pages >= MAX_PAGES {
                    return None;
                }
                state.pages += 1;
                match fetch_one(&fetch, &split, request).await {
                    Ok((items, next)) => {
                        state.buffer.extend(items);
                        state.next = next;
                    }
                    Err(error) => return Some((Err(error), (state, fetch, split))),
                }
            }
        },
    ))
}

async fn fetch_one<Req, Resp, Item, F, Fut, S>(
    fetch: &F,
    split: &S,
    request: Req,
) -> Result<(Vec<Item>, Option<Req>), Error>
where
    F: Fn(Req) -> Fut,
    Fut: Future<Output = Result<Resp, Error>>,
    S: Fn(&Req, Resp) -> (Vec<Item>, Option<Req>),
    Req: Clone,
{
    let response = fetch(request.clone()).await?;
    Ok(split(&request, response))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use futures_util::StreamExt;

    use super::*;
    use crate::ErrorKind;

    /// Pages of 2 over 5 items, by offset.
    fn pages(
        calls: Arc<AtomicUsize>,
        fail_at: Option<i64>,
    ) -> impl Stream<Item = Result<i64, Error>> {
        paginate(
            0i64,
            move |offset: i64| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if Some(offset) == fail_at {
                        return Err(Error::new(ErrorKind::Service, "boom"));
                    }
                    Ok((offset..(offset + 2).min(5)).collect::<Vec<i64>>())
                }
            },
            |offset, items: Vec<i64>| {
                let next = offset + items.len() as i64;
                let more = items.len() == 2;
                (items, more.then_some(next))
            },
        )
    }

    #[tokio::test]
    async fn yields_every_item_and_stops_at_the_short_page() {
        let calls = Arc::new(AtomicUsize::new(0));
        let items: Vec<i64> = pages(calls.clone(), None)
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert_eq!(items, vec![0, 1, 2, 3, 4]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn fetches_lazily() {
        let calls = Arc::new(AtomicUsize::new(0));
        let first: Vec<_> = pages(calls.clone(), None).take(2).collect().await;
        assert_eq!(first.len(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one page covers two items");
    }

    #[tokio::test]
    async fn an_error_is_yielded_and_ends_the_stream() {
        let calls = Arc::new(AtomicUsize::new(0));
        let all: Vec<_> = pages(calls, Some(2)).collect().await;
        assert_eq!(all.len(), 3);
        assert!(all[..2].iter().all(Result::is_ok));
        assert_eq!(all[2].as_ref().unwrap_err().kind(), ErrorKind::Service);
    }
}

//! Response bodies: whole in memory, or a stream for downloads.

use std::fmt;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream, StreamExt};

use crate::{Error, ErrorKind};

/// A stream of body chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send + 'static>>;

/// The body of a response.
///
/// Small answers arrive whole; downloads arrive as a stream that the caller reads at its pace.
pub struct Body {
    inner: Inner,
}

enum Inner {
    Full(Bytes),
    Stream(ByteStream),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Body::from(Bytes::new())
    }

    /// A body read from a stream of chunks.
    pub fn from_stream(stream: impl Stream<Item = Result<Bytes, Error>> + Send + 'static) -> Self {
        Body {
            inner: Inner::Stream(Box::pin(stream)),
        }
    }

    /// Reads the whole body, refusing to hold more than `limit` bytes.
    pub async fn collect(self, limit: usize) -> Result<Bytes, Error> {
        match self.inner {
            Inner::Full(bytes) if bytes.len() > limit => Err(too_large(limit)),
            Inner::Full(bytes) => Ok(bytes),
            Inner::Stream(mut stream) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    if buf.len() + chunk.len() > limit {
                        return Err(too_large(limit));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(buf.freeze())
            }
        }
    }

    /// True when the body is still arriving (not held whole in memory).
    pub(crate) fn is_stream(&self) -> bool {
        matches!(self.inner, Inner::Stream(_))
    }

    /// The body as a stream of chunks, however it arrived.
    pub fn into_stream(self) -> ByteStream {
        match self.inner {
            Inner::Full(bytes) if bytes.is_empty() => Box::pin(stream::empty()),
            Inner::Full(bytes) => Box::pin(stream::once(async move { Ok(bytes) })),
            Inner::Stream(stream) => stream,
        }
    }
}

fn too_large(limit: usize) -> Error {
    Error::new(
        ErrorKind::BodyTooLarge,
        format!("the response body is larger than the limit of {limit} bytes"),
    )
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body {
            inner: Inner::Full(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::from(Bytes::from(bytes))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::from(Bytes::from(text))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Full(bytes) => write!(f, "Body({} bytes)", bytes.len()),
            Inner::Stream(_) => f.write_str("Body(stream)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collect_enforces_the_limit_on_streams() {
        let chunks = || {
            stream::iter(vec![
                Ok(Bytes::from_static(b"abc")),
                Ok(Bytes::from_static(b"def")),
            ])
        };
        let body = Body::from_stream(chunks());
        assert_eq!(
            body.collect(6).await.unwrap(),
            Bytes::from_static(b"abcdef")
        );
        let body = Body::from_stream(chunks());
        assert_eq!(
            body.collect(5).await.unwrap_err().kind(),
            ErrorKind::BodyTooLarge
        );
    }

    #[tokio::test]
    async fn full_bodies_stream_as_one_chunk() {
        let mut s = Body::from("hello").into_stream();
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Bytes::from_static(b"hello")
        );
        assert!(s.next().await.is_none());
        assert!(Body::empty().into_stream().next().await.is_none());
    }
}

//! A service endpoint bound to a client stack, and the region tables facades resolve.

use std::fmt;

use crate::operation::{execute, execute_streaming, RawResponse, StreamingResponse};
use crate::{Endpoint, Error, OperationRequest, SharedHttpClient, DEFAULT_BODY_LIMIT};

/// One region where a service is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The region id, e.g. `cn-north-4`.
    pub id: &'static str,
    /// The service endpoint in that region.
    pub endpoint: &'static str,
}

impl Region {
    /// A region entry.
    pub const fn new(id: &'static str, endpoint: &'static str) -> Self {
        Region { id, endpoint }
    }

    /// The endpoint of region `id` in `table`; an unknown region is a [`crate::ErrorKind::Config`]
    /// error that lists the known ones.
    pub fn resolve(table: &[Region], service: &str, id: &str) -> Result<Endpoint, Error> {
        match table.iter().find(|r| r.id == id) {
            Some(region) => Endpoint::parse(region.endpoint),
            None => {
                let known: Vec<&str> = table.iter().map(|r| r.id).collect();
                Err(Error::config(format!(
                    "unknown region `{id}` for {service}; known regions: {}",
                    known.join(", ")
                )))
            }
        }
    }
}

/// A client stack bound to one service endpoint: what generated facades send through.
#[derive(Clone)]
pub struct ServiceHttp {
    http: SharedHttpClient,
    endpoint: Endpoint,
    body_limit: usize,
}

impl ServiceHttp {
    /// Binds `http` to `endpoint`, with the default body limit.
    pub fn new(http: SharedHttpClient, endpoint: Endpoint) -> Self {
        ServiceHttp {
            http,
            endpoint,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets the largest response body read into memory.
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// The service endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The largest response body read into memory.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The client stack.
    pub fn http(&self) -> &SharedHttpClient {
        &self.http
    }

    /// Sends an operation and reads its answer whole.
    pub async fn execute(&self, op: OperationRequest) -> Result<RawResponse, Error> {
        let request = op.into_request(&self.endpoint)?;
        execute(self.http.as_ref(), request, self.body_limit).await
    }

    /// Sends an operation whose answer is a download.
    pub async fn execute_streaming(
        &self,
        op: OperationRequest,
    ) -> Result<StreamingResponse, Error> {
        let request = op.into_request(&self.endpoint)?;
        execute_streaming(self.http.as_ref(), request, self.body_limit).await
    }
}

impl fmt::Debug for ServiceHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceHttp")
            .field("endpoint", &self.endpoint)
            .field("http", &self.http)
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Region] = &[
        Region::new("cn-north-4", "https://svc.cn-north-4.example.com"),
        Region::new("ap-southeast-3", "https://svc.ap-southeast-3.example.com"),
    ];

    #[test]
    fn regions_resolve_or_explain() {
        let e = Region::resolve(TABLE, "svc", "ap-southeast-3").unwrap();
        assert_eq!(e.as_str(), "https://svc.ap-southeast-3.example.com");
        let err = Region::resolve(TABLE, "svc", "mars-1").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("unknown region `mars-1`"));
        assert!(err.to_string().contains("cn-north-4, ap-southeast-3"));
    }
}

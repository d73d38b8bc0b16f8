//! [`UntypedClient`]: requests the spec does not describe, through a typed client's stack.

use std::fmt;

use codearts_transport::http::Method;
use codearts_transport::{Bytes, Endpoint, Error, OperationRequest, RawResponse, ServiceHttp};

/// Sends any request to a service through the same stack as its typed client: retries,
/// authentication (signature or token), the endpoint and the response body limit.
///
/// For operations the spec lacks (new, undocumented or preview APIs). Build one with
/// `ClientBuilder::build_untyped` (e.g. `PipelineClient::builder().region(..).build_untyped()`).
/// A non-2xx answer is an [`Error`] with the status, error code, message and request id, as
/// for typed calls; [`Self::send_any_status`] hands back every answer instead.
///
/// Retries follow the configured policy by HTTP method: a `POST` is not repeated once it may
/// have reached the server.
///
/// ```no_run
/// # async fn run(client: codearts_runtime::UntypedClient) -> Result<(), codearts_transport::Error> {
/// let response = client
///     .send(
///         "GET",
///         "/v5/my-project/api/pipelines/my-pipeline/pipeline-runs/detail",
///         &[("pipeline_run_id", "run-1")],
///         &[],
///         None,
///     )
///     .await?;
/// println!("{}", response.text()?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct UntypedClient {
    http: ServiceHttp,
}

impl UntypedClient {
    pub(crate) fn new(http: ServiceHttp) -> Self {
        UntypedClient { http }
    }

    /// The service endpoint requests are sent to.
    pub fn endpoint(&self) -> &Endpoint {
        self.http.endpoint()
    }

    /// Sends `method` on `path` (already percent-escaped, starting with `/`) with these query
    /// pairs (escaped here), headers and body. A body is sent as `application/json` unless a
    /// `Content-Type` header says otherwise. A malformed method, header or path is an
    /// [`codearts_transport::ErrorKind::InvalidRequest`] error; a non-2xx answer an error with
    /// its status and the service's error code.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Result<RawResponse, Error> {
        let request = Self::request(method, path, query, headers, body)?;
        self.execute(request).await
    }

    /// Sends a request built with [`OperationRequest`]; a non-2xx answer is an [`Error`].
    pub async fn execute(&self, request: OperationRequest) -> Result<RawResponse, Error> {
        self.http.execute(request).await
    }

    /// Sends a request and returns the answer whatever its status (a tool that shows error
    /// bodies verbatim); only failures to get an answer are errors.
    pub async fn send_any_status(&self, request: OperationRequest) -> Result<RawResponse, Error> {
        let request = request.into_request(self.http.endpoint())?;
        let response = self.http.http().send(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect(self.http.body_limit()).await?;
        Ok(RawResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// The [`OperationRequest`] [`Self::send`] would send, for callers that add to it.
    pub fn request(
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Result<OperationRequest, Error> {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| Error::invalid_request(format!("`{method}` is not an HTTP method")))?;
        if !path.starts_with('/') {
            return Err(Error::invalid_request(format!(
                "the path must start with `/` (got `{path}`)"
            )));
        }
        let mut request = OperationRequest::new(method, path);
        for (key, value) in query {
            request = request.query(*key, value);
        }
        let mut has_content_type = false;
        for (name, value) in headers {
            has_content_type |= name.eq_ignore_ascii_case("content-type");
            request = request.header(name, value)?;
        }
        if let Some(body) = body {
            if !has_content_type {
                request = request.content_type("application/json")?;
            }
            request = request.body(body);
        }
        Ok(request)
    }
}

impl fmt::Debug for UntypedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntypedClient")
            .field("endpoint", self.http.endpoint())
            .finish_non_exhaustive()
    }
}

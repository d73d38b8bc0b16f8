//! The operation deadline covers reading the body: a server trickling bytes cannot hold a
//! call forever.

mod common;

use std::sync::Arc;
use std::time::Duration;

use codearts_transport::retry::{RetryConfig, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT};
use codearts_transport::{
    execute, execute_streaming, Bytes, ErrorKind, ReqwestClient, RetryLayer, SharedHttpClient,
};
use common::{reply, Answer, Server};
use futures_util::StreamExt;

fn stack(config: RetryConfig) -> SharedHttpClient {
    Arc::new(RetryLayer::new(
        Arc::new(ReqwestClient::new().unwrap()),
        config,
    ))
}

fn get(url: &str) -> codearts_transport::Request {
    codearts_transport::http::Request::get(url)
        .body(Bytes::new())
        .unwrap()
}

async fn trickling() -> Server {
    // Headers at once, then a byte every 200 ms (5 s in all): each read is quick, the whole
    // is not. Without a deadline on the body the call would succeed after 5 s.
    Server::start(|_| Answer::Trickle(200, 25, Duration::from_millis(200))).await
}

fn short() -> RetryConfig {
    RetryConfig::disabled().with_operation_timeout(Duration::from_secs(1))
}

#[test]
fn calls_have_deadlines_by_default() {
    let config = RetryConfig::default();
    assert_eq!(config.attempt_timeout, Some(DEFAULT_ATTEMPT_TIMEOUT));
    assert_eq!(config.operation_timeout, Some(DEFAULT_OPERATION_TIMEOUT));
    assert_eq!(DEFAULT_ATTEMPT_TIMEOUT, Duration::from_secs(60));
    assert_eq!(DEFAULT_OPERATION_TIMEOUT, Duration::from_secs(180));
    assert_eq!(
        RetryConfig::disabled().operation_timeout,
        Some(DEFAULT_OPERATION_TIMEOUT)
    );
}

#[tokio::test]
async fn a_trickled_answer_ends_with_a_timeout() {
    let server = trickling().await;
    let err = execute(stack(short()).as_ref(), get(&server.url), 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.http_status_code(), Some(200));
}

#[tokio::test]
async fn a_trickled_download_ends_with_a_timeout() {
    let server = trickling().await;
    let response = execute_streaming(stack(short()).as_ref(), get(&server.url), 1 << 20)
        .await
        .unwrap();
    let mut stream = response.into_stream();
    let mut last = None;
    while let Some(chunk) = stream.next().await {
        if let Err(e) = chunk {
            last = Some(e);
        }
    }
    let err = last.expect("the download ends with an error");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn a_limit_beyond_the_clock_means_no_limit() {
    let server = Server::start(|_| reply(200, &[], "{\"ok\":true}")).await;
    let config = RetryConfig::default()
        .with_operation_timeout(Duration::MAX)
        .with_attempt_timeout(Duration::MAX);
    let answer = execute(stack(config).as_ref(), get(&server.url), 1 << 20)
        .await
        .unwrap();
    assert_eq!(&answer.body[..], b"{\"ok\":true}");
}

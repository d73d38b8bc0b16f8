//! Redirects against two loopback servers: API calls never follow them; downloads follow
//! them, and never carry a credential to another origin.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use codearts_transport::http::{Method, StatusCode};
use codearts_transport::redirect::is_anonymous;
use codearts_transport::retry::RetryConfig;
use codearts_transport::{
    execute, execute_streaming, Bytes, Error, ErrorKind, HttpClient, Request, ReqwestClient,
    Response, RetryLayer, SharedHttpClient,
};
use common::{reply, Seen, Server};
use futures_util::StreamExt;

const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// Adds credential headers as an auth layer would, unless the request is anonymous.
#[derive(Debug)]
struct Creds(SharedHttpClient);

#[async_trait]
impl HttpClient for Creds {
    async fn send(&self, mut request: Request) -> Result<Response, Error> {
        if !is_anonymous(&request) {
            let h = request.headers_mut();
            h.insert(
                "authorization",
                "SDK-HMAC-SHA256 secret-signature".parse().unwrap(),
            );
            h.insert("x-auth-token", "secret-token".parse().unwrap());
            h.insert("x-security-token", "secret-security-token".parse().unwrap());
            h.insert("x-sdk-date", "20260101T000000Z".parse().unwrap());
        }
        self.0.send(request).await
    }
}

/// Retry over credentials over reqwest: the order of the real stack.
fn stack() -> SharedHttpClient {
    let http: SharedHttpClient = Arc::new(ReqwestClient::new().unwrap());
    Arc::new(RetryLayer::new(
        Arc::new(Creds(http)),
        RetryConfig::disabled(),
    ))
}

fn get(url: &str) -> Request {
    let mut request = codearts_transport::http::Request::get(url)
        .body(Bytes::new())
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", "session=secret-cookie".parse().unwrap());
    request
}

fn assert_nothing_secret(seen: &Seen) {
    for name in [
        "authorization",
        "x-auth-token",
        "x-security-token",
        "cookie",
        "proxy-authorization",
    ] {
        assert_eq!(seen.header(name), None, "{name} reached {}", seen.target);
    }
    assert!(
        !seen.headers.iter().any(|(k, _)| k.starts_with("x-sdk-")),
        "{:?}",
        seen.headers
    );
    assert!(
        !seen.everything().contains("secret"),
        "{}",
        seen.everything()
    );
}

fn assert_credentials(seen: &Seen) {
    assert_eq!(
        seen.header("authorization"),
        Some("SDK-HMAC-SHA256 secret-signature")
    );
    assert_eq!(seen.header("x-auth-token"), Some("secret-token"));
}

#[tokio::test]
async fn reqwest_client_hands_back_redirects_unfollowed() {
    let other = Server::start(|_| reply(200, &[], "followed")).await;
    let location = format!("{}/elsewhere", other.url);
    let server = Server::start(move |_| reply(302, &[("location", &location)], "")).await;
    let client = ReqwestClient::new().unwrap();
    let response = client
        .send(get(&format!("{}/x", server.url)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(other.seen().is_empty());
}

#[tokio::test]
async fn api_calls_turn_every_redirect_into_an_error() {
    let other = Server::start(|_| reply(200, &[], "{}")).await;
    for status in STATUSES {
        for method in [Method::GET, Method::POST] {
            let location = format!("http://user:hunter2@{}/v5/x", &other.url[7..]);
            let server = Server::start(move |_| {
                reply(
                    status,
                    &[("location", &location), ("x-request-id", "rid-7")],
                    "",
                )
            })
            .await;
            let request = codearts_transport::http::Request::builder()
                .method(method.clone())
                .uri(format!("{}/v5/run", server.url))
                .body(Bytes::from_static(b"{}"))
                .unwrap();
            let err = execute(stack().as_ref(), request, 1 << 20)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Redirect, "{status} {method}");
            assert_eq!(err.http_status_code(), Some(status));
            assert_eq!(err.request_id(), Some("rid-7"));
            let text = err.to_string();
            assert!(
                text.contains(&format!("http://***@{}/v5/x", &other.url[7..])),
                "{text}"
            );
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!format!("{err:?}").contains("hunter2"));
            assert_eq!(server.seen().len(), 1);
        }
    }
    assert!(other.seen().is_empty(), "{:?}", other.seen());
}

#[tokio::test]
async fn downloads_to_the_same_origin_are_authenticated_again() {
    for status in STATUSES {
        let server = Server::start(move |seen| {
            if seen.target == "/download" {
                reply(status, &[("location", "/blob?part=1")], "")
            } else {
                reply(200, &[], "payload")
            }
        })
        .await;
        let request = get(&format!("{}/download", server.url));
        let response = execute_streaming(stack().as_ref(), request, 1 << 20)
            .await
            .unwrap();
        let body = response.body.collect(1 << 20).await.unwrap();
        assert_eq!(&body[..], b"payload");
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{status}");
        assert_eq!(seen[1].target, "/blob?part=1");
        assert_credentials(&seen[0]);
        assert_credentials(&seen[1]);
    }
}

#[tokio::test]
async fn downloads_to_another_origin_carry_no_credential() {
    for status in STATUSES {
        let storage = Server::start(|_| reply(200, &[], "blob")).await;
        let location = format!("{}/bucket/object", storage.url);
        let server = Server::start(move |_| reply(status, &[("location", &location)], "")).await;
        let request = get(&format!("{}/download", server.url));
        let response = execute_streaming(stack().as_ref(), request, 1 << 20)
            .await
            .unwrap();
        let mut stream = response.into_stream();
        assert_eq!(&stream.next().await.unwrap().unwrap()[..], b"blob");
        assert_credentials(&server.seen()[0]);
        let seen = storage.seen();
        assert_eq!(seen.len(), 1, "{status}");
        assert_eq!(seen[0].method, "GET");
        assert_eq!(seen[0].target, "/bucket/object");
        assert_nothing_secret(&seen[0]);
    }
}

#[tokio::test]
async fn returning_to_the_first_origin_stays_anonymous() {
    // origin /download -> storage /away -> origin /back: the last hop is to the origin the
    // call started at, but the storage server chose it, so it goes without credentials.
    let back_to: Arc<std::sync::Mutex<String>> = Arc::default();
    let cell = back_to.clone();
    let storage = Server::start(move |_| {
        let back = cell.lock().unwrap().clone();
        reply(302, &[("location", &back)], "")
    })
    .await;
    let away = format!("{}/away", storage.url);
    let origin = Server::start(move |seen| {
        if seen.target == "/download" {
            reply(302, &[("location", &away)], "")
        } else {
            reply(200, &[], "done")
        }
    })
    .await;
    *back_to.lock().unwrap() = format!("{}/back", origin.url);
    let response = execute_streaming(
        stack().as_ref(),
        get(&format!("{}/download", origin.url)),
        1 << 20,
    )
    .await
    .unwrap();
    assert_eq!(&response.body.collect(64).await.unwrap()[..], b"done");
    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    assert_credentials(&seen[0]);
    assert_eq!(seen[1].target, "/back");
    assert_nothing_secret(&seen[1]);
    assert_nothing_secret(&storage.seen()[0]);
}

#[tokio::test]
async fn downloads_stop_after_five_hops() {
    let server = Server::start(|_| reply(302, &[("location", "/again")], "")).await;
    let err = execute_streaming(stack().as_ref(), get(&format!("{}/d", server.url)), 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert!(err.to_string().contains("more than 5"), "{err}");
    assert_eq!(server.seen().len(), 6);
}

#[tokio::test]
async fn only_get_downloads_follow() {
    let other = Server::start(|_| reply(200, &[], "x")).await;
    let location = format!("{}/x", other.url);
    let server = Server::start(move |_| reply(307, &[("location", &location)], "")).await;
    let request = codearts_transport::http::Request::post(format!("{}/d", server.url))
        .body(Bytes::from_static(b"secret-body"))
        .unwrap();
    let err = execute_streaming(stack().as_ref(), request, 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert!(other.seen().is_empty());
    // A 3xx that is not a redirect to follow (300, 304) is an error for a GET too.
    let server = Server::start(|_| reply(300, &[("location", "/x")], "")).await;
    let err = execute_streaming(stack().as_ref(), get(&format!("{}/d", server.url)), 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn unusable_locations_are_errors_without_user_info() {
    for location in [
        "ftp://user:hunter2@h/x",
        "http://user:hunter2@127.0.0.1:1/x",
    ] {
        let loc = location.to_owned();
        let server = Server::start(move |_| reply(302, &[("location", &loc)], "")).await;
        let err = execute_streaming(stack().as_ref(), get(&format!("{}/d", server.url)), 1 << 20)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect);
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}

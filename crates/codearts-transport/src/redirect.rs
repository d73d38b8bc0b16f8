//! Redirects, and keeping credentials and URL user-info where they belong.
//!
//! The transport never lets the HTTP client follow a redirect: the services' gateways answer
//! API calls directly, so a 3xx on an API call is an [`ErrorKind::Redirect`] error naming the
//! `Location`. Only a download (a `GET` sent with [`crate::execute_streaming`]) may be sent on,
//! to storage say, and then at most [`MAX_REDIRECTS`] times. A hop to the same origin goes
//! through the whole client stack again, so the auth layer signs it afresh; a hop to another
//! origin goes without any credential header and carries the [`Anonymous`] extension, which
//! tells the auth layer to add none. Once the origin has changed, later hops stay anonymous
//! even if they come back: the host that sent us away chose where we go next.

use http::header::{HeaderMap, HeaderName, LOCATION};
use http::{Method, StatusCode, Uri};

use crate::client::clone_request;
use crate::{Error, ErrorKind, HttpClient, Request, Response};

/// The most redirects a download follows.
pub const MAX_REDIRECTS: usize = 5;

/// The headers that carry credentials, besides every `X-Sdk-*` header.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "x-auth-token",
    "x-security-token",
    "cookie",
    "proxy-authorization",
];

/// A request extension: send this request without credentials.
///
/// Set by the redirect follower on hops to another origin; the auth layer of `codearts-auth`
/// adds no credentials to a request that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Anonymous;

/// True when `request` is to be sent without credentials.
pub fn is_anonymous(request: &Request) -> bool {
    request.extensions().get::<Anonymous>().is_some()
}

/// Removes every credential header: [`CREDENTIAL_HEADERS`] and all `X-Sdk-*`.
pub fn strip_credentials(headers: &mut HeaderMap) {
    for name in CREDENTIAL_HEADERS {
        headers.remove(*name);
    }
    let signed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("x-sdk-"))
        .cloned()
        .collect();
    for name in signed {
        headers.remove(name);
    }
}

/// `url` with any user-info (`user:password@`) replaced by `***@`, for messages.
///
/// Works on any text, URL or not, so that even an endpoint that does not parse is never
/// repeated with its password.
pub fn redact_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &rest[at..]),
        None => url.to_owned(),
    }
}

/// True for the statuses a download follows: 301, 302, 303, 307 and 308.
pub fn is_followable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn header_text(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The error for a redirect the SDK does not follow: it names the `Location` (without
/// user-info) and carries the status and request id.
pub fn redirect_error(status: StatusCode, headers: &HeaderMap) -> Error {
    let message = match header_text(headers, LOCATION) {
        Some(location) => format!(
            "the service answered HTTP {} redirecting to `{}`; the SDK does not follow \
             redirects on API calls",
            status.as_u16(),
            redact_userinfo(location)
        ),
        None => format!(
            "the service answered HTTP {} (a redirect) without a Location",
            status.as_u16()
        ),
    };
    Error::new(ErrorKind::Redirect, message)
        .with_status(status)
        .with_request_id_opt(crate::request_id_of(headers).map(str::to_owned))
}

/// Scheme, host and port (the default one when absent), lower-cased.
fn origin(uri: &Uri) -> Option<(String, String, u16)> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(match scheme.as_str() {
        "https" => 443,
        _ => 80,
    });
    Some((scheme, host, port))
}

/// `location` resolved against `base`: absolute, scheme-relative, absolute-path or relative.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let text = if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{dir}{location}")
    };
    let uri: Uri = text.parse().ok()?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return None,
    }
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    Some(uri)
}

/// Sends `request` and, for a `GET` answered with a followable redirect, follows it as the
/// module documentation describes. Any other 3xx, or a redirect of any other method, is an
/// [`ErrorKind::Redirect`] error.
pub(crate) async fn send_following(
    client: &dyn HttpClient,
    request: Request,
) -> Result<Response, Error> {
    let follow = request.method() == Method::GET;
    let start = origin(request.uri());
    let mut trusted = !is_anonymous(&request);
    let mut current = clone_request(&request);
    let mut response = client.send(request).await?;
    let mut hops = 0;
    while response.status().is_redirection() {
        let status = response.status();
        if !follow || !is_followable(status) {
            return Err(redirect_error(status, response.headers()));
        }
        if hops == MAX_REDIRECTS {
            return Err(Error::new(
                ErrorKind::Redirect,
                format!("the download was redirected more than {MAX_REDIRECTS} times"),
            )
            .with_status(status));
        }
        let location = header_text(response.headers(), LOCATION).unwrap_or_default();
        let Some(target) = resolve(current.uri(), location) else {
            return Err(Error::new(
                ErrorKind::Redirect,
                format!(
                    "the download was redirected to `{}`, which is not a usable http(s) URL",
                    redact_userinfo(location)
                ),
            )
            .with_status(status)
            .with_request_id_opt(crate::request_id_of(response.headers()).map(str::to_owned)));
        };
        hops += 1;
        if origin(&target) != start {
            trusted = false;
        }
        let mut next = clone_request(&current);
        *next.uri_mut() = target;
        if !trusted {
            strip_credentials(next.headers_mut());
            next.extensions_mut().insert(Anonymous);
        }
        tracing::debug!(hop = hops, trusted, "following a download redirect");
        // Frees the connection before the next hop takes one.
        drop(response);
        current = clone_request(&next);
        response = client.send(next).await?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_never_survives() {
        assert_eq!(
            redact_userinfo("http://user:secret@host:8/p?q=a@b"),
            "http://***@host:8/p?q=a@b"
        );
        assert_eq!(redact_userinfo("user:secret@host/x"), "***@host/x");
        assert_eq!(redact_userinfo("https://a:b@c@d/"), "https://***@d/");
        assert_eq!(redact_userinfo("https://h/p@q"), "https://h/p@q");
    }

    #[test]
    fn locations_resolve_against_the_request() {
        let base: Uri = "https://h:8443/a/b?x=1".parse().unwrap();
        let r = |l: &str| resolve(&base, l).map(|u| u.to_string());
        assert_eq!(r("/c").as_deref(), Some("https://h:8443/c"));
        assert_eq!(r("c?y=2").as_deref(), Some("https://h:8443/a/c?y=2"));
        assert_eq!(r("//s3.example/k").as_deref(), Some("https://s3.example/k"));
        assert_eq!(r("http://o/k").as_deref(), Some("http://o/k"));
        assert_eq!(r("ftp://o/k"), None);
        assert_eq!(r("http://u:p@o/k"), None);
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let o = |s: &str| origin(&s.parse().unwrap());
        assert_eq!(o("https://H/x"), o("https://h:443/y"));
        assert_ne!(o("http://h/x"), o("https://h/x"));
        assert_ne!(o("http://h:1/x"), o("http://h:2/x"));
    }

    #[test]
    fn every_credential_header_is_stripped() {
        let mut headers = HeaderMap::new();
        for name in [
            "authorization",
            "x-auth-token",
            "x-security-token",
            "x-sdk-date",
            "x-sdk-content-sha256",
            "cookie",
            "proxy-authorization",
        ] {
            headers.insert(HeaderName::from_static(name), "secret".parse().unwrap());
        }
        headers.insert("accept", "*/*".parse().unwrap());
        strip_credentials(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("accept"));
    }
}

//! The `Retry-After` header: delay-seconds or an HTTP date.

use std::time::{Duration, SystemTime};

/// The longest wait a server may ask for; a larger value is clamped so a bad header cannot
/// park a caller for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Reads `Retry-After` from response headers, relative to now.
pub fn parse(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    parse_value(value, SystemTime::now())
}

/// Reads one `Retry-After` value relative to `now`.
pub fn parse_value(value: &str, now: SystemTime) -> Option<Duration> {
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 22 Nov 2026 10:00:00 GMT").unwrap();
        assert_eq!(parse_value("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_value("Sun, 22 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_value("Sun, 22 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_value("99999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_value("soon", now), None);
    }
}

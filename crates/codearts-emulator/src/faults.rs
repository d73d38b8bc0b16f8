//! Fault injection: per route, deterministic from a seed.
//!
//! A rule is `ROUTE=KIND[:PROBABILITY]` (see `docs/emulator.md`): ROUTE is an operation name,
//! a path prefix starting with `/`, or `*`; KIND is one of `latency-<ms>`, `429`,
//! `429-<seconds>`, `500`, `502`, `503`, `reset`, each optionally suffixed `-after` (the
//! operation is applied first, then its answer is lost), `truncate` or `malformed` (always
//! after). Whether a rule fires on the n-th request it matches depends only on the seed, the
//! rule's position and n, so a run is reproducible whatever other routes are called.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::state::splitmix;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Waits this long before answering (then answers normally).
    Latency(Duration),
    /// 429 with `Retry-After: <seconds>`.
    Throttle(u64),
    /// This 5xx status (500, 502 or 503).
    Status(u16),
    /// Drops the connection without an answer.
    Reset,
    /// Sends half the body, then drops the connection.
    Truncate,
    /// Answers 200 with a body that is not JSON.
    Malformed,
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteMatch {
    /// Every request.
    Any,
    /// Requests for this operation name.
    Op(String),
    /// Requests whose path starts with this.
    PathPrefix(String),
}

/// One fault rule.
#[derive(Debug)]
pub struct FaultRule {
    /// Which requests.
    pub route: RouteMatch,
    /// What happens.
    pub kind: FaultKind,
    /// Whether the operation is applied before the fault hits.
    pub after: bool,
    /// How likely, 0 to 1.
    pub probability: f64,
    seen: AtomicU64,
}

impl Clone for FaultRule {
    fn clone(&self) -> Self {
        FaultRule {
            route: self.route.clone(),
            kind: self.kind,
            after: self.after,
            probability: self.probability,
            seen: AtomicU64::new(0),
        }
    }
}

impl FaultRule {
    /// A rule firing with `probability` on requests matching `route`.
    pub fn new(route: RouteMatch, kind: FaultKind, probability: f64) -> Self {
        let after = matches!(kind, FaultKind::Truncate | FaultKind::Malformed);
        FaultRule {
            route,
            kind,
            after,
            probability: probability.clamp(0.0, 1.0),
            seen: AtomicU64::new(0),
        }
    }

    /// Applies the operation before the fault (its answer is lost, not the operation).
    pub fn after_applying(mut self) -> Self {
        self.after = true;
        self
    }

    /// Parses `ROUTE=KIND[:PROBABILITY]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (route, rest) = text
            .split_once('=')
            .ok_or_else(|| format!("fault `{text}`: expected ROUTE=KIND[:PROBABILITY]"))?;
        let (kind, probability) = match rest.rsplit_once(':') {
            Some((k, p)) => (
                k,
                p.parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| {
                        format!("fault `{text}`: probability `{p}` is not between 0 and 1")
                    })?,
            ),
            None => (rest, 1.0),
        };
        let route = match route {
            "" => return Err(format!("fault `{text}`: empty route")),
            "*" => RouteMatch::Any,
            r if r.starts_with('/') => RouteMatch::PathPrefix(r.to_owned()),
            r => RouteMatch::Op(r.to_owned()),
        };
        let (kind, after) = match kind.strip_suffix("-after") {
            Some(k) => (k, true),
            None => (kind, false),
        };
        let bad = || format!("fault `{text}`: unknown kind `{kind}`");
        let kind = match kind {
            "429" => FaultKind::Throttle(1),
            "500" | "502" | "503" => FaultKind::Status(kind.parse().map_err(|_| bad())?),
            "reset" => FaultKind::Reset,
            "truncate" => FaultKind::Truncate,
            "malformed" => FaultKind::Malformed,
            k => {
                if let Some(ms) = k.strip_prefix("latency-") {
                    let ms = ms.strip_suffix("ms").unwrap_or(ms);
                    FaultKind::Latency(Duration::from_millis(ms.parse().map_err(|_| bad())?))
                } else if let Some(secs) = k.strip_prefix("429-") {
                    FaultKind::Throttle(secs.parse().map_err(|_| bad())?)
                } else {
                    return Err(bad());
                }
            }
        };
        let rule = FaultRule::new(route, kind, probability);
        Ok(if after { rule.after_applying() } else { rule })
    }

    fn matches(&self, op: Option<&str>, path: &str) -> bool {
        match &self.route {
            RouteMatch::Any => true,
            RouteMatch::Op(name) => op == Some(name.as_str()),
            RouteMatch::PathPrefix(prefix) => path.starts_with(prefix.as_str()),
        }
    }
}

/// The fault rules and the seed of their draws.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    seed: u64,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Sets the seed of the draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds a rule given as `ROUTE=KIND[:PROBABILITY]`.
    pub fn parse_rule(self, text: &str) -> Result<Self, String> {
        Ok(self.rule(FaultRule::parse(text)?))
    }

    /// The first rule that fires for this request, if any. Every matching rule counts the
    /// request, so draws stay reproducible.
    pub(crate) fn draw(&self, op: Option<&str>, path: &str) -> Option<(FaultKind, bool)> {
        let mut fired = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches(op, path) {
                continue;
            }
            let n = rule.seen.fetch_add(1, Ordering::SeqCst);
            let x =
                splitmix(self.seed ^ splitmix(index as u64) ^ splitmix(n.wrapping_add(1) << 20));
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            if fired.is_none() && unit < rule.probability {
                fired = Some((rule.kind, rule.after));
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let r = FaultRule::parse("run_pipeline=503:0.5").unwrap();
        assert_eq!(r.kind, FaultKind::Status(503));
        assert_eq!(r.route, RouteMatch::Op("run_pipeline".into()));
        assert!(!r.after);
        let r = FaultRule::parse("/v3/=latency-250ms").unwrap();
        assert_eq!(r.kind, FaultKind::Latency(Duration::from_millis(250)));
        assert_eq!(r.probability, 1.0);
        let r = FaultRule::parse("*=502-after:1").unwrap();
        assert!(r.after);
        assert_eq!(
            FaultRule::parse("x=429-7").unwrap().kind,
            FaultKind::Throttle(7)
        );
        assert!(FaultRule::parse("x=teapot").is_err());
        assert!(FaultRule::parse("x=500:2").is_err());
        assert!(FaultRule::parse("nothing").is_err());
    }

    #[test]
    fn draws_are_deterministic() {
        let make = || Faults::none().seed(7).parse_rule("op=500:0.5").unwrap();
        let a = make();
        let b = make();
        let da: Vec<_> = (0..64).map(|_| a.draw(Some("op"), "/").is_some()).collect();
        let db: Vec<_> = (0..64).map(|_| b.draw(Some("op"), "/").is_some()).collect();
        assert_eq!(da, db);
        let fired = da.iter().filter(|f| **f).count();
        assert!((16..48).contains(&fired), "{fired} of 64");
    }
}

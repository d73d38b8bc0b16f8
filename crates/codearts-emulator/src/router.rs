//! Matching a method and path against the generated route tables.

use crate::adapter::Route;
use crate::generated;

/// Which service an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// CodeArts Pipeline.
    Pipeline,
    /// CodeArts Build.
    Build,
}

/// A matched route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The service.
    pub service: Service,
    /// The route.
    pub route: Route,
    /// Path parameters, percent-decoded once.
    pub params: Vec<(String, String)>,
}

/// What matching found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A route for this method and path.
    Route(Matched),
    /// The path is known, the method is not; the allowed methods.
    WrongMethod(Vec<&'static str>),
    /// No route has this path.
    NotFound,
}

/// Every route of both services, with its service.
pub fn all_routes() -> impl Iterator<Item = (Service, &'static Route)> {
    generated::pipeline::ROUTES
        .iter()
        .map(|r| (Service::Pipeline, r))
        .chain(generated::build::ROUTES.iter().map(|r| (Service::Build, r)))
}

/// Matches `template` against the raw `path`; a literal segment beats a parameter, so the
/// score (one bit per segment, literal = 1, most significant first) ranks candidates.
fn match_template(template: &str, path: &str) -> Option<(u128, Vec<(String, String)>)> {
    let t: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if t.len() != p.len() || t.len() > 127 {
        return None;
    }
    let mut score: u128 = 0;
    let mut params = Vec::new();
    for (ts, ps) in t.iter().zip(&p) {
        score <<= 1;
        if let Some(name) = ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if ps.is_empty() {
                return None;
            }
            let value = codearts_transport::encoding::decode(ps).into_owned();
            params.push((name.to_owned(), value));
        } else if ts == ps {
            score |= 1;
        } else {
            return None;
        }
    }
    Some((score, params))
}

/// Finds the route for `method` and the raw (still percent-encoded) `path`.
pub fn find(method: &str, path: &str) -> Found {
    let mut best: Option<(u128, Matched)> = None;
    let mut allowed = Vec::new();
    for (service, route) in all_routes() {
        let Some((score, params)) = match_template(route.path, path) else {
            continue;
        };
        if route.method != method {
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
            continue;
        }
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Matched {
                    service,
                    route: *route,
                    params,
                },
            ));
        }
    }
    match best {
        Some((_, m)) => Found::Route(m),
        None if !allowed.is_empty() => {
            allowed.sort_unstable();
            Found::WrongMethod(allowed)
        }
        None => Found::NotFound,
    }
}

/// The operation the signing rules' reading of `path` reaches, when it is another one than
/// `matched`'s.
///
/// The router keeps an encoded `/` inside its segment, but the `SDK-HMAC-SHA256` canonical URI
/// decodes the whole path before splitting it, so `a%2Fb` and `a/b` carry the same signature.
/// When the decoded path routes to a different operation, a signature cannot say which of the
/// two its signer meant; the caller refuses such a request instead of guessing.
pub fn other_reading(method: &str, path: &str, matched: &Matched) -> Option<&'static str> {
    if !path.contains('%') {
        return None;
    }
    let decoded = codearts_transport::encoding::decode(path);
    if decoded == path {
        return None;
    }
    match find(method, &decoded) {
        Found::Route(other) if other.route.op != matched.route.op => Some(other.route.op),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_and_params_decode() {
        let Found::Route(m) = find("POST", "/v3/jobs/create") else {
            panic!()
        };
        assert_eq!(m.route.op, "create_build_job");
        let Found::Route(m) = find("GET", "/v3/jobs/a%2Fb/status") else {
            panic!()
        };
        assert_eq!(m.route.op, "show_job_status");
        assert_eq!(m.params, vec![("job_id".to_owned(), "a/b".to_owned())]);
        assert!(matches!(
            find("PATCH", "/v3/jobs/x/status"),
            Found::WrongMethod(_)
        ));
        assert_eq!(find("GET", "/nowhere"), Found::NotFound);
    }

    #[test]
    fn a_second_reading_is_found_only_when_it_is_another_route() {
        let check = |path: &str| {
            let Found::Route(m) = find("GET", path) else {
                panic!("{path}")
            };
            (m.route.op, other_reading("GET", path, &m))
        };
        assert_eq!(
            check("/v5/p/api/pipelines/x%2Fpipeline-runs%2Fdetail"),
            ("show_pipeline_detail", Some("show_pipeline_run_detail"))
        );
        assert_eq!(
            check("/v5/p/api/pipelines/a%2Fb"),
            ("show_pipeline_detail", None)
        );
        assert_eq!(
            check("/v5/p/api/pipelines/x/pipeline-runs/detail"),
            ("show_pipeline_run_detail", None)
        );
    }

    #[test]
    fn every_route_finds_itself() {
        for (_, route) in all_routes() {
            let path = route
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            match find(route.method, &path) {
                Found::Route(m) => assert_eq!(m.route.method, route.method),
                other => panic!("{} {path}: {other:?}", route.method),
            }
        }
    }
}

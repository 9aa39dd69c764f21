//! The web console: the files of `console/`, compiled into the binary and served under
//! `/console/` with a strict Content-Security-Policy, so a page can never run a script or load a
//! style that did not come from this table.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::ApiError;

/// No inline script or style, nothing from elsewhere but https images (profile avatars), and
/// the page cannot be framed (clickjacking an agent's Accept button).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'; \
                   form-action 'self'";

/// What a file is, for its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Js,
    Css,
}

impl Kind {
    fn content_type(self) -> &'static str {
        match self {
            Kind::Html => "text/html; charset=utf-8",
            Kind::Js => "text/javascript; charset=utf-8",
            Kind::Css => "text/css; charset=utf-8",
        }
    }
}

/// A page, served at its own path.
struct Page {
    path: &'static str,
    kind: Kind,
    body: &'static [u8],
}

macro_rules! file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $name))
    };
}

const INDEX: Page = Page {
    path: "/console/",
    kind: Kind::Html,
    body: file!("index.html"),
};
const TRY: Page = Page {
    path: "/console/try",
    kind: Kind::Html,
    body: file!("try.html"),
};
const SUPERVISOR: Page = Page {
    path: "/console/supervisor",
    kind: Kind::Html,
    body: file!("supervisor.html"),
};

/// Every file under `console/assets/`, by name.
const ASSETS: &[(&str, Kind, &[u8])] = &[
    ("console.js", Kind::Js, file!("assets/console.js")),
    ("console-view.js", Kind::Js, file!("assets/console-view.js")),
    (
        "console-canned.js",
        Kind::Js,
        file!("assets/console-canned.js"),
    ),
    ("console.css", Kind::Css, file!("assets/console.css")),
    ("try.js", Kind::Js, file!("assets/try.js")),
    ("try.css", Kind::Css, file!("assets/try.css")),
    ("supervisor.js", Kind::Js, file!("assets/supervisor.js")),
    ("supervisor.css", Kind::Css, file!("assets/supervisor.css")),
];

/// The console's routes; `try_page` is `[console] try_page`.
pub fn routes<S: Clone + Send + Sync + 'static>(try_page: bool) -> Router<S> {
    Router::new()
        .route("/console", get(|| async { redirect("/console/") }))
        .route("/console/", get(|| async { page(&INDEX) }))
        .route(
            "/console/try",
            get(move || async move { serve("/console/try", try_page) }),
        )
        .route("/console/supervisor", get(|| async { page(&SUPERVISOR) }))
        .route(
            "/console/assets/{name}",
            get(|axum::extract::Path(name): axum::extract::Path<String>| async move {
                asset(&name)
            }),
        )
}

/// The response for a console path (the routes above; tests call it directly).
fn serve(path: &str, try_page: bool) -> Response {
    match path {
        "/console" => redirect("/console/"),
        p if p == INDEX.path => page(&INDEX),
        p if p == TRY.path && try_page => page(&TRY),
        p if p == SUPERVISOR.path => page(&SUPERVISOR),
        p => match p.strip_prefix("/console/assets/") {
            Some(name) => asset(name),
            None => not_found(),
        },
    }
}

fn page(page: &Page) -> Response {
    file(page.kind, page.body)
}

fn asset(name: &str) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => file(*kind, body),
        None => not_found(),
    }
}

fn file(kind: Kind, body: &'static [u8]) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(kind.content_type()));
    guarded(response)
}

fn redirect(to: &'static str) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static(to));
    guarded(response)
}

fn not_found() -> Response {
    guarded(ApiError::NotFound.into_response())
}

/// The headers every console response carries, whatever its status.
fn guarded(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests;

//! Every console response: its type and the security headers; what is served where; and a
//! static check that no page can run inline code or turn data into markup.

use super::*;
use axum::http::HeaderMap;
use http_body_util::BodyExt;

fn all_paths() -> Vec<String> {
    let mut paths: Vec<String> = [INDEX.path, TRY.path, SUPERVISOR.path, "/console"]
        .map(String::from)
        .to_vec();
    paths.extend(
        ASSETS
            .iter()
            .map(|(n, _, _)| format!("/console/assets/{n}")),
    );
    paths.extend(["/console/assets/nope.js", "/console/assets/../index.html"].map(String::from));
    paths
}

fn assert_guarded(path: &str, headers: &HeaderMap) {
    let get = |name| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(get(CONTENT_SECURITY_POLICY), Some(CSP), "{path}");
    assert_eq!(get(X_CONTENT_TYPE_OPTIONS), Some("nosniff"), "{path}");
    assert_eq!(get(REFERRER_POLICY), Some("no-referrer"), "{path}");
    assert_eq!(get(CACHE_CONTROL), Some("no-cache"), "{path}");
}

#[test]
fn every_response_has_the_security_headers_and_its_type() {
    for try_page in [false, true] {
        for path in all_paths() {
            let response = serve(&path, try_page);
            assert_guarded(&path, response.headers());
            let kind = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let want = match response.status() {
                StatusCode::OK if path.ends_with(".js") => Some(Kind::Js.content_type()),
                StatusCode::OK if path.ends_with(".css") => Some(Kind::Css.content_type()),
                StatusCode::OK => Some(Kind::Html.content_type()),
                StatusCode::NOT_FOUND => Some("application/json"),
                StatusCode::PERMANENT_REDIRECT => None,
                other => panic!("{path}: unexpected {other}"),
            };
            assert_eq!(kind.as_deref(), want, "{path}");
        }
    }
}

#[tokio::test]
async fn the_try_page_is_404_unless_enabled() {
    let off = serve("/console/try", false);
    assert_eq!(off.status(), StatusCode::NOT_FOUND);
    let body = off.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "not_found");
    let on = serve("/console/try", true);
    assert_eq!(on.status(), StatusCode::OK);
    let body = on.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], TRY.body);
}

#[test]
fn what_is_served_where() {
    let cases = [
        ("/console/", StatusCode::OK),
        ("/console/supervisor", StatusCode::OK),
        ("/console/assets/console.js", StatusCode::OK),
        ("/console", StatusCode::PERMANENT_REDIRECT),
        ("/console/assets/", StatusCode::NOT_FOUND),
        ("/console/assets/console.js.map", StatusCode::NOT_FOUND),
        ("/console/index.html", StatusCode::NOT_FOUND),
    ];
    for (path, status) in cases {
        assert_eq!(serve(path, true).status(), status, "{path}");
    }
}

fn files() -> Vec<(String, &'static str)> {
    let mut files: Vec<(String, &[u8])> = [&INDEX, &TRY, &SUPERVISOR]
        .iter()
        .map(|p| (p.path.to_owned(), p.body))
        .collect();
    files.extend(ASSETS.iter().map(|(n, _, b)| (n.to_string(), *b)));
    files
        .into_iter()
        .map(|(n, b)| match std::str::from_utf8(b) {
            Ok(text) => (n, text),
            Err(e) => panic!("{n} is not UTF-8: {e}"),
        })
        .collect()
}

#[test]
fn the_whole_console_is_under_200_kb() {
    let total: usize = files().iter().map(|(_, text)| text.len()).sum();
    assert!(total < 200 * 1024, "the console is {total} bytes");
}

/// A simple static check, not a parser: it errs on the side of refusing.
#[test]
fn no_inline_code_and_no_markup_from_data() {
    let mut problems = Vec::new();
    for (name, text) in files() {
        for (i, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", i + 1);
            let lower = line.to_ascii_lowercase();
            if lower.contains("style=") {
                problems.push(format!("{at}: inline style"));
            }
            // Every script tag names its file; one without src would be inline code.
            if lower.contains("<script") && !lower.contains(" src=") {
                problems.push(format!("{at}: inline <script>"));
            }
            if lower.contains("javascript:") {
                problems.push(format!("{at}: javascript: URL"));
            }
            if name.ends_with("html") && has_inline_handler(&lower) {
                problems.push(format!("{at}: inline event handler"));
            }
            for sink in [
                "innerhtml",
                "outerhtml",
                "insertadjacenthtml",
                "document.write",
            ] {
                if let Some(rest) = lower.split(sink).nth(1) {
                    if !assigns_a_literal(rest) {
                        problems.push(format!("{at}: {sink} with something other than a literal"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// ` onclick=` and the like inside a tag.
fn has_inline_handler(line: &str) -> bool {
    line.split_whitespace().any(|word| {
        word.starts_with("on")
            && word.contains('=')
            && word[2..].split('=').next().is_some_and(|event| {
                !event.is_empty() && event.bytes().all(|b| b.is_ascii_lowercase())
            })
    })
}

/// What follows `innerHTML`: only `= ''` or `= ""` (clearing) is allowed.
fn assigns_a_literal(rest: &str) -> bool {
    let rest = rest.trim_start();
    let Some(value) = rest.strip_prefix('=') else {
        // Read, not written.
        return !rest.starts_with('(');
    };
    let value = value.trim().trim_end_matches(';').trim();
    value == "''" || value == "\"\""
}

#[test]
fn the_static_check_catches_what_it_should() {
    for (line, ok) in [
        ("el.innerHTML = '';", true),
        ("el.innerHTML = text;", false),
        ("el.innerHTML = `<b>${x}</b>`;", false),
        ("el.insertAdjacentHTML('beforeend', x)", false),
    ] {
        let lower = line.to_ascii_lowercase();
        let rest = ["innerhtml", "insertadjacenthtml"]
            .iter()
            .find_map(|s| lower.split(s).nth(1))
            .unwrap_or("");
        assert_eq!(assigns_a_literal(rest), ok, "{line}");
    }
    assert!(has_inline_handler("<button onclick=\"go()\">"));
    assert!(!has_inline_handler("<p>once=twice</p>"));
}

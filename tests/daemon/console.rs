//! The web console on a real daemon: its pages and their headers, the try page only when
//! configured, and the canned replies an agent's console is given in its `welcome`.

use crate::support::agent::{add_agent, authenticate};
use crate::support::*;
use serde_json::json;

async fn get(d: &Daemon, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = d
        .client
        .get(format!("{}{path}", d.base))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

#[tokio::test]
async fn the_console_is_served_with_its_headers_and_the_try_page_only_when_enabled() {
    let (_dir, _sink, d) = fresh().await;
    let (status, headers, body) = get(&d, "/console/").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(body.contains("/console/assets/console.js"));
    let (status, headers, _) = get(&d, "/console/assets/console.js").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    let (status, headers, body) = get(&d, "/console/try").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(headers["referrer-policy"], "no-referrer");

    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let on = Daemon::start_with(dir.path(), &sink.url, "[console]\ntry_page = true", |_| {
        None
    })
    .await;
    let (status, headers, _) = get(&on, "/console/try").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-cache");
}

#[tokio::test]
async fn an_agent_is_welcomed_with_its_accounts_canned_replies() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in ["00-bot.toml", "10-rules.toml"] {
        std::fs::copy(fixture_rules().join(f), rules.join(f)).unwrap();
    }
    let canned =
        "[[canned]]\nname = \"hello\"\ntext = \"Hi {customer.name}, {account.name} here.\"\n";
    std::fs::write(rules.join("20-canned.toml"), canned).unwrap();
    let accounts = format!(
        "[accounts.acme]\nname = \"Acme Mobile\"\nrules_dir = \"{}\"",
        rules.display()
    );
    let sink = FakeSink::start().await;
    let d = Daemon::start_accounts(&dir.path().join("data"), &sink.url, &accounts).await;
    let token = add_agent(&d, "Alissa", &[], 1).await;
    let (_ws, welcome) = authenticate(&d, &token, None).await;
    assert_eq!(
        welcome["canned"],
        json!([{"name": "hello", "text": "Hi {customer.name}, Acme Mobile here."}])
    );
}

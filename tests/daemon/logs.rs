//! The real binary's log as an operator's pipeline reads it: `--log-format json` makes every
//! stderr line a JSON object; the lines about a conversation carry its `conversation_id`;
//! what the customer and the agent wrote never appears at `info`; accept, send, release,
//! escalation and each kind of refused credential are there at `info`, without the secret.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A `baton run --log-format json` child and its stderr lines so far.
pub struct JsonBaton {
    child: Child,
    pub daemon: Daemon,
    lines: Arc<Mutex<Vec<String>>>,
}

impl JsonBaton {
    /// Starts the binary on a config with `extra` appended; waits until it listens.
    pub async fn start(dir: &Path, sink_url: &str, extra: &str) -> JsonBaton {
        let text = config_text(&dir.join("data"), sink_url, "") + extra;
        let config = dir.join("baton.toml");
        std::fs::write(&config, text).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args([
                "run",
                "--config",
                config.to_str().unwrap(),
                "--log-format",
                "json",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut baton = JsonBaton {
            child,
            daemon: Daemon {
                base: String::new(),
                client: reqwest::Client::new(),
                running: None,
            },
            lines,
        };
        let addr = eventually("the daemon says where it listens", || {
            let addr = baton
                .objects()
                .into_iter()
                .find(|o| o["message"] == "baton is listening")
                .and_then(|o| o["addr"].as_str().map(str::to_owned));
            async move { addr }
        })
        .await;
        baton.daemon.base = format!("http://{addr}");
        baton
    }

    /// Every line so far, each of which must be one JSON object.
    pub fn objects(&self) -> Vec<Value> {
        let lines = self.lines.lock().unwrap().clone();
        lines
            .iter()
            .map(|l| match serde_json::from_str::<Value>(l) {
                Ok(v) if v.is_object() => v,
                _ => panic!("a stderr line that is not a JSON object: {l}"),
            })
            .collect()
    }

    /// The lines at `level` whose message contains `needle`.
    pub fn at(&self, level: &str, needle: &str) -> Vec<Value> {
        self.objects()
            .into_iter()
            .filter(|o| o["level"] == level)
            .filter(|o| o["message"].as_str().is_some_and(|m| m.contains(needle)))
            .collect()
    }
}

impl Drop for JsonBaton {
    fn drop(&mut self) {
        // Ended here whether the test passed or not: no daemon outlives its test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for an `info` line with this message about `conversation`, and returns it.
async fn line_about(b: &JsonBaton, needle: &str, conversation: &str) -> Value {
    let what = format!("an info line '{needle}' about {conversation}");
    eventually(&what, || {
        let found = b
            .at("INFO", needle)
            .into_iter()
            .find(|o| o["conversation_id"] == conversation);
        async move { found }
    })
    .await
}

#[tokio::test]
async fn json_lines_name_the_conversation_and_keep_what_people_wrote_out_of_info() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let secret = "whsec-log-test";
    let extra = format!("[channels.webhook]\nsecret = \"{secret}\"\n");
    let b = JsonBaton::start(dir.path(), &sink.url, &extra).await;
    let d = &b.daemon;

    // Refused credentials, each kind: the admin token, a webhook signature, an agent token.
    let wrong_admin = "not-the-admin-token-4711";
    let r = d
        .client
        .get(format!("{}/v1/stats", d.base))
        .bearer_auth(wrong_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body = json!({"id": "e0", "account": "acme", "customer": {"id": "u9"}, "text": "hi"});
    let (status, _) = d
        .post_raw(
            body.to_string().into_bytes(),
            &[("x-baton-signature", "sha256=00")],
        )
        .await;
    assert_eq!(status, 401);
    let wrong_agent = "agent-token-that-was-never-made-0815";
    let mut ws = connect(d).await;
    send(&mut ws, json!({"type": "auth", "token": wrong_agent})).await;
    assert_eq!(closed_after_error(&mut ws).await, "unauthorized");

    // A customer asks for a person in words we can look for; an agent takes it, answers,
    // and gives it back to the bot.
    let token = add_agent(d, "Alissa", &[], 2).await;
    let mut agent = sign_in(d, &token).await;
    let said = "ZEBRA-7731 my parcel never came, I want an agent";
    let (status, v) = signed_dm(d, secret, "l1", "u1", said).await;
    assert_eq!(status, 200, "{v}");
    let offer = next(&mut agent).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    accept(&mut agent, &conv).await;
    let answer = "OKAPI-2290 let me look at your parcel";
    send(
        &mut agent,
        json!({"type": "send", "conversation_id": conv, "text": answer, "client_id": "k1"}),
    )
    .await;
    act(&mut agent, "release", &conv).await;

    let escalated = line_about(&b, "escalated", &conv).await;
    assert_eq!(escalated["reason"], "customer_request", "{escalated}");
    line_about(&b, "accepted", &conv).await;
    let sent = line_about(&b, "agent message sent", &conv).await;
    assert_eq!(sent["agent"], "a0", "{sent}");
    line_about(&b, "released", &conv).await;
    line_about(&b, "offered", &conv).await;

    let lines = b.objects();
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|o| o["level"] == "INFO")
        .filter(|o| {
            let m = o["message"].as_str().unwrap_or("");
            m.contains("not authorized") || m.contains("authentication failed")
        })
        .collect();
    assert!(
        refused.len() >= 3,
        "the admin token, the signature and the agent token: {refused:#?}"
    );
    let all = b.lines.lock().unwrap().join("\n");
    for secret in [wrong_admin, wrong_agent, &token, secret, ADMIN] {
        assert!(!all.contains(secret), "a secret in the log: {secret}");
    }
    // Nothing at info or above carries what people wrote, in any field.
    for line in &lines {
        let text = line.to_string();
        assert!(
            !text.contains("ZEBRA-7731") && !text.contains("OKAPI-2290"),
            "message text at {}: {text}",
            line["level"]
        );
    }
    // Every line about a conversation says which, under the one field name.
    for line in &lines {
        let text = line.to_string();
        if text.contains(&format!("\"{conv}\"")) {
            assert_eq!(line["conversation_id"], conv.as_str(), "{text}");
        }
    }
}

/// The error frame's code, then the close.
async fn closed_after_error(ws: &mut Ws) -> String {
    let f = next(ws).await;
    assert_eq!(f["type"], "error", "{f}");
    let code = f["code"].as_str().unwrap_or_default().to_owned();
    closed(ws).await;
    code
}

/// A customer's DM signed with the webhook secret.
async fn signed_dm(d: &Daemon, secret: &str, id: &str, customer: &str, text: &str) -> (u16, Value) {
    use hmac::{Hmac, Mac};
    let body = json!({"id": id, "account": "acme", "customer": {"id": customer, "name": "Jo"}, "text": text})
        .to_string()
        .into_bytes();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    d.post_raw(body, &[("x-baton-signature", &sig)]).await
}

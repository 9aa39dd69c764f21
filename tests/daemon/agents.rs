//! Agents and Custom Profiles through the admin API and the `baton agent`/`profile` commands.

use crate::support::*;
use serde_json::{json, Value};

fn alissa() -> Value {
    json!({"account": "acme", "name": "Alissa Fast", "profile_name": "Alissa, Acme Mobile",
           "avatar": "https://example.com/alissa.png", "skills": ["retention", "billing"],
           "capacity": 3})
}

#[tokio::test]
async fn an_agent_is_added_listed_without_its_token_and_kept_across_restarts() {
    let (dir, sink, mut d) = fresh().await;

    let (status, created) = d.admin_post("/v1/agents", alissa()).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("bt_") && token.len() >= 40, "{token}");
    let agent = &created["agent"];
    assert_eq!(agent["id"], "a0");
    assert_eq!(agent["skills"], json!(["billing", "retention"]));
    assert_eq!(
        agent["profile"],
        json!({"id": "acme-a0", "name": "Alissa, Acme Mobile", "avatar": "https://example.com/alissa.png"})
    );
    let (_, second) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": "Sam",
        "profile_name": "Sam 🙂", "avatar": "https://example.com/sam.png"}),
        )
        .await;
    assert_eq!(
        (
            second["agent"]["id"].as_str(),
            second["agent"]["capacity"].as_u64()
        ),
        (Some("a1"), Some(1))
    );
    assert_ne!(second["token"], created["token"]);

    d.stop().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    let (status, list) = d.admin("/v1/agents").await;
    assert_eq!(status, 200);
    let agents = list["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert!(
        !list.to_string().contains("bt_"),
        "a listing never shows a token: {list}"
    );
    let (_, profiles) = d.admin("/v1/profiles").await;
    let names: Vec<(&str, bool)> = profiles["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["bot"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("Test Assistant (bot)", true),
            ("Alissa, Acme Mobile", false),
            ("Sam 🙂", false)
        ]
    );
    // A third agent after the restart gets a fresh id (and a profile of its own: names are
    // unique per account).
    let mut another = alissa();
    another["profile_name"] = json!("Alissa F., Acme Mobile");
    let (_, third) = d.admin_post("/v1/agents", another).await;
    assert_eq!(third["agent"]["id"], "a2");
}

#[tokio::test]
async fn bad_agents_are_refused_with_every_problem_named() {
    let (_dir, _sink, d) = fresh().await;

    let mut long = alissa();
    long["profile_name"] = json!("x".repeat(49));
    let (status, v) = d.admin_post("/v1/agents", long).await;
    assert_eq!((status, v["error"].as_str()), (422, Some("invalid")), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("profile name is 49 characters"),
        "{v}"
    );

    let mut many = alissa();
    many["avatar"] = json!("not a url");
    many["capacity"] = json!(0);
    many["skills"] = json!(["Billing"]);
    let (status, v) = d.admin_post("/v1/agents", many).await;
    assert_eq!(status, 422);
    assert_eq!(
        v["message"].as_str().unwrap().matches("; ").count(),
        2,
        "{v}"
    );

    let mut other = alissa();
    other["account"] = json!("globex");
    let (status, v) = d.admin_post("/v1/agents", other).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (421, Some("misdirected")),
        "{v}"
    );
    assert_eq!(v["account"], "globex", "{v}");
    let mut unknown = alissa();
    unknown["nickname"] = json!("Al");
    let (status, v) = d.admin_post("/v1/agents", unknown).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("bad_request")));
    let res = d
        .client
        .post(format!("{}/v1/agents", d.base))
        .json(&alissa())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    // Nothing was added by any of that.
    assert_eq!(d.admin("/v1/agents").await.1["agents"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_and_profile_commands_talk_to_the_running_daemon() {
    let (_dir, _sink, d) = fresh().await;
    let conn = |args: &[&str]| {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend([
            "--url".into(),
            d.base.clone(),
            "--token".into(),
            ADMIN.into(),
            "--config".into(),
            "/nonexistent/baton.toml".into(),
        ]);
        a
    };
    let add = conn(&[
        "agent",
        "add",
        "--account",
        "acme",
        "--name",
        "Alissa F.",
        "--profile-name",
        "Alissa, Acme Mobile",
        "--avatar",
        "https://example.com/a.png",
        "--skills",
        "billing,retention",
        "--capacity",
        "3",
    ]);
    let (ok, out, err) = run_baton(add).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("added a0 \"Alissa F.\" on acme"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("token: bt_")), "{out}");

    let list = conn(&["agent", "list"]);
    let (ok, out, _) = run_baton(list).await;
    assert!(
        ok && out.contains(
            "a0\tacme\tAlissa F.\t\"Alissa, Acme Mobile\"\t[billing, retention]\tcapacity 3"
        ),
        "{out}"
    );
    let profiles = conn(&["profile", "list"]);
    let (ok, out, _) = run_baton(profiles).await;
    assert!(
        ok && out.contains("acme-a0\tacme\ta0\t\"Alissa, Acme Mobile\""),
        "{out}"
    );
    assert!(out.contains("\tbot\t\"Test Assistant (bot)\""), "{out}");

    // A name too long is refused before anything is sent; a bad token is named.
    let long = conn(&[
        "agent",
        "add",
        "--account",
        "acme",
        "--name",
        "X",
        "--profile-name",
        &"y".repeat(49),
        "--avatar",
        "https://example.com/a.png",
    ]);
    let (ok, _, err) = run_baton(long).await;
    assert!(
        !ok && err.contains("--profile-name: profile name is 49 characters"),
        "{err}"
    );
    let mut wrong = conn(&["agent", "list"]);
    let at = wrong.iter().position(|a| a == ADMIN).unwrap();
    wrong[at] = "wrong".into();
    let (ok, _, err) = run_baton(wrong).await;
    assert!(!ok && err.contains("401"), "{err}");
}

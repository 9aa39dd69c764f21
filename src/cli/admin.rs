//! The admin subcommands (`baton agent …`, `baton profile …`): call the daemon, format.

use crate::admin_client::{AdminClient, AdminError};
use serde::Deserialize;
use serde_json::{json, Value};

/// An agent as the admin API returns it (only what the commands print).
#[derive(Deserialize)]
struct Agent {
    id: String,
    account: String,
    name: String,
    profile: Profile,
    skills: Vec<String>,
    capacity: u32,
}

#[derive(Deserialize)]
struct Profile {
    name: String,
}

/// What `baton agent add` sends.
pub struct AgentAdd {
    pub account: String,
    pub name: String,
    pub profile_name: String,
    pub avatar: String,
    pub skills: Vec<String>,
    pub capacity: u32,
}

pub async fn agent_add(client: &AdminClient, a: AgentAdd) -> Result<String, AdminError> {
    let body = json!({
        "account": a.account, "name": a.name, "profile_name": a.profile_name,
        "avatar": a.avatar, "skills": a.skills, "capacity": a.capacity,
    });
    let created: Value = client.post("/v1/agents", &body).await?;
    let agent: Agent = serde_json::from_value(created["agent"].clone())
        .map_err(|e| AdminError::Decode(e.to_string()))?;
    let token = created["token"].as_str().unwrap_or_default();
    Ok(format!(
        "added {} \"{}\" on {}: profile \"{}\", skills [{}], capacity {}\n\
         token: {token}\n\
         (shown once: give it to the agent; Baton keeps only its hash)",
        agent.id,
        agent.name,
        agent.account,
        agent.profile.name,
        agent.skills.join(", "),
        agent.capacity
    ))
}

pub async fn agent_list(client: &AdminClient) -> Result<String, AdminError> {
    let v: Value = client.get("/v1/agents").await?;
    let rows = v["agents"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return Ok("no agents yet: add one with `baton agent add`".into());
    }
    Ok(rows
        .iter()
        .map(|row| {
            let a: Agent = serde_json::from_value(row.clone())
                .map_err(|e| AdminError::Decode(e.to_string()))?;
            Ok(format!(
                "{}\t{}\t{}\t\"{}\"\t[{}]\tcapacity {}\t{}",
                a.id,
                a.account,
                a.name,
                a.profile.name,
                a.skills.join(", "),
                a.capacity,
                row["presence"].as_str().unwrap_or("offline")
            ))
        })
        .collect::<Result<Vec<_>, AdminError>>()?
        .join("\n"))
}

pub async fn profile_list(client: &AdminClient) -> Result<String, AdminError> {
    let v: Value = client.get("/v1/profiles").await?;
    let rows = v["profiles"].as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .map(|p| {
            let who = match p["agent"].as_str() {
                Some(a) => a.to_owned(),
                None => "bot".to_owned(),
            };
            format!(
                "{}\t{}\t{who}\t\"{}\"\t{}",
                p["id"].as_str().unwrap_or(""),
                p["account"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or(""),
                p["avatar"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `baton profile sync [--prune]`: one block per account.
pub async fn profile_sync(client: &AdminClient, prune: bool) -> Result<String, AdminError> {
    let path = format!("/v1/profiles/sync?prune={prune}");
    let v: Value = client.post(&path, &json!({})).await?;
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_owned();
    let rows = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for a in rows(&v, "accounts") {
        out.push(format!("{}:", text(&a, "account")));
        for x in rows(&a, "adopted") {
            out.push(format!(
                "  adopted\t{}\t{}\t\"{}\"",
                text(&x, "profile"),
                text(&x, "platform_id"),
                text(&x, "name")
            ));
        }
        for m in rows(&a, "missing") {
            let what = if m["forgotten"].as_bool() == Some(true) {
                "forgotten: it will be made again"
            } else {
                "not on the platform"
            };
            out.push(format!(
                "  missing\t{}\t{}\t{what}",
                text(&m, "profile"),
                text(&m, "platform_id")
            ));
        }
        let deleted = rows(&a, "deleted");
        for u in rows(&a, "unknown") {
            let id = text(&u, "platform_id");
            let what = if deleted.iter().any(|d| d.as_str() == Some(&id)) {
                "deleted"
            } else {
                "unknown to Baton"
            };
            out.push(format!("  stray\t{id}\t\"{}\"\t{what}", text(&u, "name")));
        }
        for e in rows(&a, "errors") {
            out.push(format!("  error\t{}", e.as_str().unwrap_or("")));
        }
    }
    if out.is_empty() {
        return Ok("no account has Twitter credentials".into());
    }
    if !prune {
        out.push("(nothing deleted: --prune deletes strays)".into());
    }
    Ok(out.join("\n"))
}

/// Checked before sending, so a typo is caught without a round trip.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    crate::domain::check_profile_name(name).map_err(|e| format!("--profile-name: {e}"))
}

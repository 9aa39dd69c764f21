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

/// What `baton agent edit` changes; `None` is left as it is.
pub struct AgentEdit {
    pub name: Option<String>,
    pub profile_name: Option<String>,
    pub avatar: Option<String>,
    pub skills: Option<Vec<String>>,
    pub capacity: Option<u32>,
}

/// The agent id in a path: checked here, so a typo is not sent as a path segment.
fn agent_path(id: &str, rest: &str) -> Result<String, AdminError> {
    let id: crate::domain::AgentId = id.parse().map_err(|e: String| AdminError::Refused {
        status: 400,
        message: e,
    })?;
    Ok(format!("/v1/agents/{id}{rest}"))
}

/// One agent as `list` prints it.
fn agent_line(row: &Value) -> Result<String, AdminError> {
    let a: Agent =
        serde_json::from_value(row.clone()).map_err(|e| AdminError::Decode(e.to_string()))?;
    let disabled = if row["disabled"].as_bool() == Some(true) {
        "\tdisabled"
    } else {
        ""
    };
    Ok(format!(
        "{}\t{}\t{}\t\"{}\"\t[{}]\tcapacity {}\t{}{disabled}",
        a.id,
        a.account,
        a.name,
        a.profile.name,
        a.skills.join(", "),
        a.capacity,
        row["presence"].as_str().unwrap_or("offline")
    ))
}

/// `baton agent disable|enable ID` (`what` is the path's last segment).
pub async fn agent_status(
    client: &AdminClient,
    id: &str,
    what: &str,
) -> Result<String, AdminError> {
    let row: Value = client
        .post(&agent_path(id, &format!("/{what}"))?, &json!({}))
        .await?;
    agent_line(&row)
}

pub async fn agent_remove(client: &AdminClient, id: &str) -> Result<String, AdminError> {
    let v: Value = client.delete(&agent_path(id, "")?).await?;
    Ok(format!(
        "removed {}: its token no longer works and its id is not used again",
        v["removed"].as_str().unwrap_or(id)
    ))
}

pub async fn agent_rotate_token(client: &AdminClient, id: &str) -> Result<String, AdminError> {
    let v: Value = client.post(&agent_path(id, "/token")?, &json!({})).await?;
    let token = v["token"].as_str().unwrap_or_default();
    Ok(format!(
        "new token for {}: {token}\n\
         (shown once: the old token no longer works; Baton keeps only this one's hash)",
        v["agent"]["id"].as_str().unwrap_or(id)
    ))
}

pub async fn agent_edit(
    client: &AdminClient,
    id: &str,
    e: AgentEdit,
) -> Result<String, AdminError> {
    let mut body = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        body.insert(k.to_owned(), v);
    };
    if let Some(v) = e.name {
        put("name", json!(v));
    }
    if let Some(v) = e.profile_name {
        put("profile_name", json!(v));
    }
    if let Some(v) = e.avatar {
        put("avatar", json!(v));
    }
    if let Some(v) = e.skills {
        put("skills", json!(v));
    }
    if let Some(v) = e.capacity {
        put("capacity", json!(v));
    }
    let row: Value = client
        .patch(&agent_path(id, "")?, &Value::Object(body))
        .await?;
    agent_line(&row)
}

pub async fn agent_list(client: &AdminClient) -> Result<String, AdminError> {
    let v: Value = client.get("/v1/agents").await?;
    let rows = v["agents"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return Ok("no agents yet: add one with `baton agent add`".into());
    }
    Ok(rows
        .iter()
        .map(agent_line)
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

//! Human agents: who they are, what they can handle, and the Custom Profile they sign with.

use super::ids::AccountId;
use super::message::Profile;
use std::fmt;
use std::str::FromStr;

/// Twitter's limit for a Custom Profile name, counted in Unicode scalar values.
pub const MAX_PROFILE_NAME: usize = 48;

/// An agent, numbered by the engine, written `a7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(pub u64);

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl FromStr for AgentId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix('a')
            .and_then(|n| n.parse().ok())
            .map(AgentId)
            .ok_or_else(|| format!("'{s}' is not an agent id like a7"))
    }
}

/// Whether a connected agent takes new conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Available,
    Away,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    pub account: AccountId,
    /// How the team knows the agent; customers see the profile instead.
    pub name: String,
    pub profile: Profile,
    pub skills: Vec<String>,
    /// Most conversations the agent holds at once.
    pub capacity: u32,
}

/// What a brand supplies to add an agent, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub account: AccountId,
    pub name: String,
    pub profile_name: String,
    pub avatar: String,
    pub skills: Vec<String>,
    pub capacity: u32,
}

/// Checks a Custom Profile name wherever one enters Baton.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if name.trim().is_empty() {
        return Err("profile name must not be empty".into());
    }
    if n > MAX_PROFILE_NAME {
        return Err(format!(
            "profile name is {n} characters; at most {MAX_PROFILE_NAME} are shown"
        ));
    }
    Ok(())
}

fn check_skill(skill: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&skill.len())
        && skill
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "skill '{skill}' must be 1-32 of a-z, 0-9, '-' or '_'"
        ))
    }
}

impl NewAgent {
    /// Every problem with it, so a form can show them all at once.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            errors.push("name must be 1-100 characters".into());
        }
        if let Err(e) = check_profile_name(&self.profile_name) {
            errors.push(e);
        }
        if !(self.avatar.starts_with("https://") || self.avatar.starts_with("http://")) {
            errors.push(format!("avatar '{}' must be an http(s) URL", self.avatar));
        }
        errors.extend(self.skills.iter().filter_map(|s| check_skill(s).err()));
        if !(1..=50).contains(&self.capacity) {
            errors.push(format!("capacity {} must be 1-50", self.capacity));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The agent this becomes under `id`; its profile id is derived from both.
    pub fn into_agent(self, id: AgentId) -> Agent {
        let mut skills = self.skills;
        skills.sort();
        skills.dedup();
        Agent {
            id,
            profile: Profile {
                id: format!("{}-{id}", self.account),
                name: self.profile_name.trim().to_owned(),
                avatar: self.avatar,
            },
            account: self.account,
            name: self.name.trim().to_owned(),
            skills,
            capacity: self.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_agent() -> NewAgent {
        NewAgent {
            account: AccountId::from("acme"),
            name: "Alissa Fast".into(),
            profile_name: "Alissa, Acme Mobile".into(),
            avatar: "https://example.com/alissa.png".into(),
            skills: vec!["retention".into(), "billing".into(), "billing".into()],
            capacity: 3,
        }
    }

    #[test]
    fn profile_names_are_counted_in_characters() {
        assert!(check_profile_name(&"é".repeat(48)).is_ok());
        assert!(check_profile_name(&"🙂".repeat(48)).is_ok());
        let err = check_profile_name(&"x".repeat(49)).unwrap_err();
        assert_eq!(err, "profile name is 49 characters; at most 48 are shown");
        assert!(check_profile_name("  ").is_err());
    }

    #[test]
    fn a_new_agent_is_checked_whole() {
        assert!(new_agent().check().is_ok());
        let bad = NewAgent {
            name: String::new(),
            profile_name: "y".repeat(60),
            avatar: "ftp://x".into(),
            skills: vec!["Billing!".into()],
            capacity: 0,
            ..new_agent()
        };
        assert_eq!(bad.check().unwrap_err().len(), 5);
    }

    #[test]
    fn the_agent_gets_a_profile_id_and_tidy_skills() {
        let a = new_agent().into_agent(AgentId(7));
        assert_eq!(a.profile.id, "acme-a7");
        assert_eq!(a.skills, ["billing", "retention"]);
        assert_eq!("a7".parse::<AgentId>(), Ok(AgentId(7)));
        assert!("7".parse::<AgentId>().is_err());
    }
}

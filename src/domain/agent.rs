//! Human agents: who they are, what they can handle, and the Custom Profile they sign with.

use super::ids::AccountId;
use super::message::Profile;
use crate::rules::profile_name::{problems, skeleton};
use std::fmt;
use std::str::FromStr;

/// Twitter's limit for a Custom Profile name, counted in Unicode scalar values.
pub use crate::rules::limits::PROFILE_NAME_MAX as MAX_PROFILE_NAME;

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

/// Checks a Custom Profile name wherever one enters Baton: every problem, joined.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    let found = problems(name);
    if found.is_empty() {
        return Ok(());
    }
    let said: Vec<String> = found.iter().map(ToString::to_string).collect();
    Err(said.join("; "))
}

/// Whose profile a new one would pass for: customers must always tell a person from the bot,
/// and one person from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileClash {
    /// Reads as the account's bot profile.
    Bot { bot: String },
    /// Reads as the profile of another agent of the account.
    Agent { agent: AgentId, profile: String },
}

impl fmt::Display for ProfileClash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileClash::Bot { bot } => write!(
                f,
                "profile name reads as the bot's profile {bot:?}; \
                 customers must be able to tell a person from the bot"
            ),
            ProfileClash::Agent { agent, profile } => write!(
                f,
                "profile name reads as {profile:?}, the profile of agent {agent}; \
                 each person on an account needs a name of their own"
            ),
        }
    }
}

/// The profile `name` would be mistaken for, compared by [`skeleton`]: the bot's (`bot`), else
/// one of `agents` (the account's others).
pub fn profile_clash<'a>(
    name: &str,
    bot: Option<&str>,
    agents: impl IntoIterator<Item = &'a Agent>,
) -> Option<ProfileClash> {
    let wanted = skeleton(name);
    if let Some(bot) = bot.filter(|b| skeleton(b) == wanted) {
        return Some(ProfileClash::Bot {
            bot: bot.to_owned(),
        });
    }
    agents
        .into_iter()
        .find(|a| skeleton(&a.profile.name) == wanted)
        .map(|a| ProfileClash::Agent {
            agent: a.id,
            profile: a.profile.name.clone(),
        })
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
        errors.extend(problems(&self.profile_name).iter().map(ToString::to_string));
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
        let err = check_profile_name("Sam\u{202E}\0").unwrap_err();
        assert_eq!(err.matches("; ").count(), 3, "{err}");
    }

    #[test]
    fn a_profile_may_not_pass_for_the_bot_or_a_colleague() {
        let alissa = new_agent().into_agent(AgentId(1));
        let bot = Some("Acme Assistant (bot)");
        let cases = [
            ("Sam, Acme Mobile", None),
            ("Acme Assistant (bot)", Some("bot")),
            ("acme assistant bot", Some("bot")),
            ("Асme Assistant (b0t)", Some("bot")),
            ("ALISSA - Acme Mobile", Some("a1")),
            ("A1issa, Acme Mobile", Some("a1")),
            ("Alissa", None),
        ];
        for (name, want) in cases {
            let got = profile_clash(name, bot, [&alissa]).map(|c| match c {
                ProfileClash::Bot { .. } => "bot".to_owned(),
                ProfileClash::Agent { agent, .. } => agent.to_string(),
            });
            assert_eq!(got.as_deref(), want, "{name:?}");
        }
        let said = profile_clash("Acme  Assistant", Some("Acme Assistant"), []);
        assert_eq!(
            said.map(|c| c.to_string()).as_deref(),
            Some(
                "profile name reads as the bot's profile \"Acme Assistant\"; \
                 customers must be able to tell a person from the bot"
            )
        );
    }

    #[test]
    fn a_new_agent_is_checked_whole() {
        assert!(new_agent().check().is_ok());
        let bad = NewAgent {
            name: String::new(),
            profile_name: format!("{}\n", "y".repeat(60)),
            avatar: "ftp://x".into(),
            skills: vec!["Billing!".into()],
            capacity: 0,
            ..new_agent()
        };
        // Too long and a line break are two problems with the one name.
        assert_eq!(bad.check().unwrap_err().len(), 6);
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

//! Reply templates with `{var}` placeholders, parsed once at load so rendering cannot fail.

use std::fmt;

/// What a reply may say about the conversation it is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vars<'a> {
    pub customer_name: Option<&'a str>,
    pub customer_id: &'a str,
    pub account_name: &'a str,
    pub bot_name: &'a str,
    pub queue_position: Option<usize>,
    pub queue_size: Option<usize>,
    /// How long the wait should be, as a phrase ("a few minutes"); empty when unknown.
    pub queue_wait: Option<&'a str>,
    /// When people are at work, e.g. "Mon–Fri 09:00–17:30 (Europe/London)".
    pub hours: Option<&'a str>,
    /// The first name of the agent the customer was with.
    pub agent_name: Option<&'a str>,
    /// The whole name of the Custom Profile a message is signed with.
    pub profile_name: Option<&'a str>,
}

/// The variables a template may name, as written between braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    CustomerName,
    CustomerId,
    AccountName,
    BotName,
    QueuePosition,
    QueueSize,
    QueueWait,
    Hours,
    AgentName,
    ProfileName,
}

impl Var {
    const ALL: [(&'static str, Var); 10] = [
        ("customer.name", Var::CustomerName),
        ("customer.id", Var::CustomerId),
        ("account.name", Var::AccountName),
        ("bot.name", Var::BotName),
        ("queue.position", Var::QueuePosition),
        ("queue.size", Var::QueueSize),
        ("queue.wait", Var::QueueWait),
        ("hours", Var::Hours),
        ("agent.name", Var::AgentName),
        ("profile.name", Var::ProfileName),
    ];

    fn from_name(name: &str) -> Option<Var> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// A parsed reply: literal text and variables, plus the source it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// Why a template did not parse, and the byte offset in its source where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Parses `{var}` placeholders; `{{` and `}}` stand for literal braces.
    pub(crate) fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = source.char_indices().peekable();
        while let Some((at, c)) = rest.next() {
            match c {
                '{' if rest.next_if(|&(_, n)| n == '{').is_some() => text.push('{'),
                '}' if rest.next_if(|&(_, n)| n == '}').is_some() => text.push('}'),
                '{' => {
                    let var = Self::parse_var(source, at)?;
                    // Skip past the closing brace: the name holds no braces, so it is the next one.
                    for (_, n) in rest.by_ref() {
                        if n == '}' {
                            break;
                        }
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Var(var));
                }
                '}' => {
                    return Err(TemplateError {
                        offset: at,
                        message: "unmatched `}` in template; write `}}` for a literal brace".into(),
                    })
                }
                _ => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    }

    /// Reads the variable whose `{` is at byte `open`.
    fn parse_var(source: &str, open: usize) -> Result<Var, TemplateError> {
        let after = &source[open + 1..];
        let Some(len) = after
            .find(['}', '{'])
            .filter(|&i| after[i..].starts_with('}'))
        else {
            return Err(TemplateError {
                offset: open,
                message: "unclosed `{` in template; write `{{` for a literal brace".into(),
            });
        };
        let name = after[..len].trim();
        Var::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Var::ALL.iter().map(|(n, _)| *n).collect();
            TemplateError {
                offset: open,
                message: format!(
                    "unknown template variable `{{{name}}}`; known: {}",
                    known.join(", ")
                ),
            }
        })
    }

    /// Fills in the variables; a missing customer name reads "there" ("Hi there!"), any other
    /// missing value reads as nothing.
    pub fn render(&self, vars: &Vars<'_>) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(Var::CustomerName) => out.push_str(vars.customer_name.unwrap_or("there")),
                Part::Var(Var::CustomerId) => out.push_str(vars.customer_id),
                Part::Var(Var::AccountName) => out.push_str(vars.account_name),
                Part::Var(Var::BotName) => out.push_str(vars.bot_name),
                Part::Var(Var::QueuePosition) => push_count(&mut out, vars.queue_position),
                Part::Var(Var::QueueSize) => push_count(&mut out, vars.queue_size),
                Part::Var(Var::QueueWait) => out.push_str(vars.queue_wait.unwrap_or_default()),
                Part::Var(Var::Hours) => out.push_str(vars.hours.unwrap_or_default()),
                Part::Var(Var::AgentName) => out.push_str(vars.agent_name.unwrap_or_default()),
                Part::Var(Var::ProfileName) => out.push_str(vars.profile_name.unwrap_or_default()),
            }
        }
        out
    }

    /// The same template with the account's own variables (`{account.name}`, `{bot.name}`)
    /// filled in, for a client that knows only the conversation's; the rest stay variables.
    pub fn with_account(&self, account_name: &str, bot_name: &str) -> Template {
        let value = |var: Var| match var {
            Var::AccountName => Some(account_name),
            Var::BotName => Some(bot_name),
            _ => None,
        };
        let mut source = String::with_capacity(self.source.len());
        let mut parts: Vec<Part> = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let text = match part {
                Part::Text(text) => text.as_str(),
                Part::Var(var) => match value(*var) {
                    Some(text) => text,
                    None => {
                        let name = Var::ALL
                            .iter()
                            .find(|(_, v)| v == var)
                            .map_or("", |(n, _)| n);
                        source.push('{');
                        source.push_str(name);
                        source.push('}');
                        parts.push(Part::Var(*var));
                        continue;
                    }
                },
            };
            source.push_str(&text.replace('{', "{{").replace('}', "}}"));
            match parts.last_mut() {
                Some(Part::Text(last)) => last.push_str(text),
                _ => parts.push(Part::Text(text.to_owned())),
            }
        }
        Template { source, parts }
    }

    /// The template as written in the rule file.
    pub fn source(&self) -> &str {
        &self.source
    }
}

fn push_count(out: &mut String, count: Option<usize>) {
    use fmt::Write;
    if let Some(n) = count {
        // Writing into a String cannot fail.
        let _ = write!(out, "{n}");
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

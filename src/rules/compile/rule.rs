//! Checks one `[[rule]]` and feeds its keywords, patterns and payload to the matcher builder.

use toml::Spanned;

use super::{Compiler, PRIORITY_MAX};
use crate::rules::error::{Diagnostics, Source};
use crate::rules::limits::{
    QUICK_REPLIES_MAX, QUICK_REPLY_LABEL_MAX as LABEL_MAX, QUICK_REPLY_METADATA_MAX,
};
use crate::rules::matcher::{normalise, parse_pattern};
use crate::rules::model::{EscalateToml, QuickReplyToml, RuleToml};
use crate::rules::{Escalate, QuickReply, Rule};

impl<'a> Compiler<'a> {
    pub(super) fn rule(&mut self, src: &Source<'a>, rule: &Spanned<RuleToml>) {
        let (header, r) = (rule.span().start, rule.get_ref());
        let index = self.rules.len();
        let name = r.name.get_ref().trim().to_owned();
        let name_at = Diagnostics::locate(src, r.name.span().start);
        if name.is_empty() {
            self.diag
                .push(src, r.name.span().start, "rule name is empty");
        } else if let Some(first) = self.names.get(&name) {
            let msg = format!("duplicate rule name {name:?}; first defined at {first}");
            self.diag.push(src, r.name.span().start, msg);
        } else {
            self.names.insert(name.clone(), name_at.clone());
        }
        self.rule_at.push(name_at);

        if r.keywords.is_empty() && r.patterns.is_empty() && r.payload.is_none() {
            let msg = format!("rule {name:?} has no matcher; add keywords, patterns or payload");
            self.diag.push(src, header, msg);
        }
        if r.reply.is_none() && r.escalate.is_none() && !r.close {
            let msg = format!("rule {name:?} does nothing; add reply, escalate or close = true");
            self.diag.push(src, header, msg);
        }
        if let (Some(escalate), true) = (&r.escalate, r.close) {
            let msg = format!("rule {name:?} cannot both escalate and close");
            self.diag.push(src, escalate.span().start, msg);
        }
        self.keywords(src, &r.keywords, index);
        self.patterns(src, &r.patterns, index);
        if let Some(payload) = &r.payload {
            self.payload(src, payload, index);
        }
        let reply = r.reply.as_ref().and_then(|reply| self.template(src, reply));
        let quick_replies = match &r.quick_replies {
            Some(qr) if r.reply.is_none() => {
                let msg = "quick_replies need a reply to attach to";
                self.diag.push(src, qr.span().start, msg);
                Vec::new()
            }
            Some(qr) => self.quick_replies(src, qr),
            None => Vec::new(),
        };
        let escalate = r.escalate.as_ref().map(|e| self.escalate(src, e.get_ref()));
        let timeouts = r
            .timeouts
            .as_ref()
            .map(|t| self.timeouts(src, Some(&name), t.get_ref()))
            .unwrap_or_default();
        self.rules.push(Rule {
            name,
            reply,
            quick_replies,
            escalate,
            close: r.close,
            timeouts,
        });
    }

    fn keywords(&mut self, src: &Source<'_>, keywords: &[Spanned<String>], rule: usize) {
        for keyword in keywords {
            let (at, raw) = (keyword.span().start, keyword.get_ref());
            let normalised = normalise(raw);
            let normalised = normalised.trim();
            if raw.is_empty() {
                self.diag.push(src, at, "empty keyword");
            } else if normalised.is_empty() {
                let msg = format!("keyword {raw:?} is empty once case, accents and spaces go");
                self.diag.push(src, at, msg);
            } else {
                self.builder.keyword(normalised.to_owned(), rule);
            }
        }
    }

    fn patterns(&mut self, src: &Source<'_>, patterns: &[Spanned<String>], rule: usize) {
        for pattern in patterns {
            let (span, raw) = (pattern.span(), pattern.get_ref());
            match parse_pattern(raw) {
                Ok(pattern) => self.builder.pattern(pattern, rule),
                Err((offset, message)) => {
                    let at = src.offset_in_string(&span, raw, offset);
                    self.diag.push(src, at, format!("invalid regex: {message}"));
                }
            }
        }
    }

    fn payload(&mut self, src: &Source<'_>, payload: &Spanned<String>, rule: usize) {
        let at = payload.span().start;
        if payload.get_ref().is_empty() {
            self.diag.push(src, at, "payload is empty");
        } else if let Some(msg) = too_long(payload.get_ref()) {
            // A quick reply can never bring it back, so the rule could never match by it.
            self.diag.push(src, at, msg);
        } else if let Some(msg) = reserved(payload.get_ref()) {
            self.diag.push(src, at, msg);
        } else if let Some(first) = self.builder.payload(payload.get_ref().clone(), rule) {
            let owner = self.rules.get(first).map_or("", |r| r.name.as_str());
            let owner_at = self.rule_at.get(first).map_or("", String::as_str);
            let msg = format!(
                "payload {:?} is already handled by rule {owner:?} at {owner_at}",
                payload.get_ref()
            );
            self.diag.push(src, at, msg);
        }
    }

    fn quick_replies(
        &mut self,
        src: &Source<'a>,
        replies: &Spanned<Vec<QuickReplyToml>>,
    ) -> Vec<QuickReply> {
        if replies.get_ref().len() > QUICK_REPLIES_MAX {
            let msg = format!(
                "{} quick replies; the limit is {QUICK_REPLIES_MAX}",
                replies.get_ref().len()
            );
            self.diag.push(src, replies.span().start, msg);
        }
        let mut out = Vec::new();
        for qr in replies.get_ref() {
            let (label, payload) = (qr.label.get_ref(), qr.payload.get_ref());
            self.label(src, &qr.label);
            if payload.is_empty() {
                self.diag
                    .push(src, qr.payload.span().start, "quick reply payload is empty");
            } else if let Some(msg) = too_long(payload) {
                self.diag.push(src, qr.payload.span().start, msg);
            } else if let Some(msg) = reserved(payload) {
                self.diag.push(src, qr.payload.span().start, msg);
            } else {
                self.offered
                    .push((*src, qr.payload.span().start, payload.clone()));
            }
            out.push(QuickReply {
                label: label.clone(),
                payload: payload.clone(),
            });
        }
        out
    }

    /// Checks a quick reply's label against the platform's limits.
    pub(super) fn label(&mut self, src: &Source<'_>, label: &Spanned<String>) {
        let (at, text) = (label.span().start, label.get_ref());
        let length = text.chars().count();
        if text.trim().is_empty() {
            self.diag.push(src, at, "quick reply label is empty");
        } else if length > LABEL_MAX {
            let msg = format!("quick reply label is {length} characters; the limit is {LABEL_MAX}");
            self.diag.push(src, at, msg);
        }
    }

    fn escalate(&mut self, src: &Source<'_>, e: &EscalateToml) -> Escalate {
        let reason = e.reason.get_ref().trim().to_owned();
        if reason.is_empty() {
            self.diag
                .push(src, e.reason.span().start, "escalate reason is empty");
        }
        let priority = e.priority.as_ref().map_or(0, |p| {
            u8::try_from(*p.get_ref())
                .ok()
                .filter(|&n| i64::from(n) <= PRIORITY_MAX)
                .unwrap_or_else(|| {
                    let msg = format!("escalate priority must be 0 to {PRIORITY_MAX}");
                    self.diag.push(src, p.span().start, msg);
                    0
                })
        });
        let mut skills = Vec::new();
        for skill in &e.skills {
            if skill.get_ref().trim().is_empty() {
                self.diag
                    .push(src, skill.span().start, "escalate skill is empty");
            } else {
                skills.push(skill.get_ref().trim().to_owned());
            }
        }
        Escalate {
            reason,
            priority,
            skills,
        }
    }
}

/// A payload travels as a quick reply's metadata, which the platform caps.
fn too_long(payload: &str) -> Option<String> {
    let length = payload.chars().count();
    (length > QUICK_REPLY_METADATA_MAX).then(|| {
        format!(
            "payload is {length} characters; the limit is {QUICK_REPLY_METADATA_MAX} \
             (it is sent as the quick reply's metadata)"
        )
    })
}

/// Payloads starting `baton:` are Baton's own (the keep-waiting / leave-a-message buttons).
fn reserved(payload: &str) -> Option<String> {
    payload.starts_with(crate::rules::RESERVED_PAYLOAD_PREFIX).then(|| {
        format!(
            "payload {payload:?}: payloads starting \"{}\" are reserved for Baton's own quick replies",
            crate::rules::RESERVED_PAYLOAD_PREFIX
        )
    })
}

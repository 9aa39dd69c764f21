//! Checks `[waiting]`, what customers are told around a handoff, filling defaults.

use toml::Spanned;

use super::Compiler;
use crate::rules::error::{Diagnostics, Source};
use crate::rules::model::WaitingToml;
use crate::rules::Waiting;

const DEFAULT_UPDATE: &str =
    "You're number {queue.position} in line. The wait should be {queue.wait}.";
const DEFAULT_UNKNOWN_WAIT: &str = "You're number {queue.position} in line. A person will be \
                                    with you as soon as one is free.";
const DEFAULT_APOLOGY: &str = "Sorry, this is taking longer than we'd like. You can keep \
                               waiting, or leave a message and we'll get back to you.";
const DEFAULT_AFTER_HOURS: &str = "Our team is away right now: we're here {hours}. You can keep \
                                   waiting, or leave a message and we'll get back to you when \
                                   we're back.";
const DEFAULT_KEEP_WAITING_LABEL: &str = "Keep waiting";
const DEFAULT_KEEP_WAITING: &str =
    "Thanks for your patience. You're number {queue.position} in line.";
const DEFAULT_LEAVE_MESSAGE_LABEL: &str = "Leave a message";
const DEFAULT_LEAVE_MESSAGE: &str = "Please write your message below and someone from the team \
                                     will get back to you.";
const DEFAULT_MESSAGE_TAKEN: &str = "Thanks, we have your message. Someone from {account.name} \
                                     will get back to you.";
const DEFAULT_HANDED_BACK: &str = "It looks like you've stepped away, so I've closed your chat \
                                   with {agent.name}. I'm {bot.name}, the automated assistant; \
                                   write any time and I'll help, or say \"agent\" to reach a \
                                   person again.";
const DEFAULT_REQUEUED: &str = "Sorry, {agent.name} couldn't get to your message. I'm finding \
                                you another person; you're number {queue.position} in line.";

const DEFAULT_ANNOUNCEMENT: &str = "Hi, I'm {agent.name}, a person on the {account.name} team. \
                                    I've read our conversation so far.";
const DEFAULT_RELEASED: &str = "You're back with {bot.name}, the automated assistant. Say \
                                \"agent\" any time to reach a person again.";
const DEFAULT_AGENT_GONE: &str = "Sorry, the person helping you was disconnected. You are back \
                                  in line for the next person on the {account.name} team: \
                                  number {queue.position}.";
const DEFAULT_TRANSFERRED: &str = "I'm passing you to a colleague who can help with this. You \
                                   are number {queue.position} in line.";
const DEFAULT_AGENT_ATTRIBUTION: &str = "— {profile.name}";

impl Compiler<'_> {
    /// One `[waiting]` table: compiled if it is the first, else reported as a duplicate.
    pub(super) fn waiting_table(&mut self, src: &Source<'_>, table: &Spanned<WaitingToml>) {
        let at = table.span().start;
        if let Some(first) = &self.waiting_at {
            let msg = format!("duplicate [waiting] table; the first is at {first}");
            self.diag.push(src, at, msg);
        } else {
            self.waiting_at = Some(Diagnostics::locate(src, at));
            self.waiting = self.waiting(src, table.get_ref());
        }
    }

    /// Every message of `[waiting]`, each the default where the table leaves it out.
    pub(super) fn waiting(&mut self, src: &Source<'_>, w: &WaitingToml) -> Option<Waiting> {
        let mut t = |value: &Option<Spanned<String>>, default| {
            self.template_or(src, value.as_ref(), default)
        };
        let update = t(&w.update, DEFAULT_UPDATE);
        let unknown_wait = t(&w.unknown_wait, DEFAULT_UNKNOWN_WAIT);
        let apology = t(&w.apology, DEFAULT_APOLOGY);
        let after_hours = t(&w.after_hours, DEFAULT_AFTER_HOURS);
        let keep_waiting = t(&w.keep_waiting, DEFAULT_KEEP_WAITING);
        let leave_message = t(&w.leave_message, DEFAULT_LEAVE_MESSAGE);
        let message_taken = t(&w.message_taken, DEFAULT_MESSAGE_TAKEN);
        let handed_back = t(&w.handed_back, DEFAULT_HANDED_BACK);
        let requeued = t(&w.requeued, DEFAULT_REQUEUED);
        let announcement = t(&w.announcement, DEFAULT_ANNOUNCEMENT);
        let released = t(&w.released, DEFAULT_RELEASED);
        let agent_gone = t(&w.agent_gone, DEFAULT_AGENT_GONE);
        let transferred = t(&w.transferred, DEFAULT_TRANSFERRED);
        let agent_attribution = t(&w.agent_attribution, DEFAULT_AGENT_ATTRIBUTION);
        let keep_waiting_label =
            self.label_or(src, &w.keep_waiting_label, DEFAULT_KEEP_WAITING_LABEL);
        let leave_message_label =
            self.label_or(src, &w.leave_message_label, DEFAULT_LEAVE_MESSAGE_LABEL);
        Some(Waiting {
            update: update?,
            unknown_wait: unknown_wait?,
            apology: apology?,
            after_hours: after_hours?,
            keep_waiting_label,
            keep_waiting: keep_waiting?,
            leave_message_label,
            leave_message: leave_message?,
            message_taken: message_taken?,
            handed_back: handed_back?,
            requeued: requeued?,
            announcement: announcement?,
            released: released?,
            agent_gone: agent_gone?,
            transferred: transferred?,
            agent_attribution: agent_attribution?,
        })
    }

    fn label_or(
        &mut self,
        src: &Source<'_>,
        value: &Option<Spanned<String>>,
        default: &str,
    ) -> String {
        match value {
            Some(label) => {
                self.label(src, label);
                label.get_ref().clone()
            }
            None => default.to_owned(),
        }
    }
}

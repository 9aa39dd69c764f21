//! Checks one `[[canned]]` reply: a name agents can find it by, and a text the bot could send.

use super::Compiler;
use crate::rules::error::{Diagnostics, Source};
use crate::rules::model::CannedToml;
use crate::rules::Canned;

/// Longest canned reply name, in characters: it is a label in a picker, not a message.
pub(crate) const CANNED_NAME_MAX: usize = 64;

impl Compiler<'_> {
    pub(super) fn canned(&mut self, src: &Source<'_>, canned: &CannedToml) {
        let name = canned.name.get_ref().trim().to_owned();
        let name_at = canned.name.span().start;
        let length = name.chars().count();
        let mut ok = true;
        if name.is_empty() {
            self.diag.push(src, name_at, "canned reply name is empty");
            ok = false;
        } else if length > CANNED_NAME_MAX {
            let msg =
                format!("canned reply name is {length} characters; the limit is {CANNED_NAME_MAX}");
            self.diag.push(src, name_at, msg);
            ok = false;
        } else if let Some(first) = self.canned_at.get(&name) {
            let msg = format!("duplicate canned reply name {name:?}; first defined at {first}");
            self.diag.push(src, name_at, msg);
            ok = false;
        } else {
            self.canned_at
                .insert(name.clone(), Diagnostics::locate(src, name_at));
        }
        if canned.text.get_ref().trim().is_empty() {
            let msg = format!("canned reply {name:?} has an empty text");
            self.diag.push(src, canned.text.span().start, msg);
            return;
        }
        let text = self.template(src, &canned.text);
        if let (Some(text), true) = (text, ok) {
            self.canned.push(Canned { name, text });
        }
    }
}

//! Twitter's limits on what Baton sends, in one place: the rules are checked against them at
//! load (`baton check`), and agents' profile names when they are added.
//!
//! Every count is in Unicode scalar values (`chars`), as the platform counts them.

/// A Custom Profile's name.
pub const PROFILE_NAME_MAX: usize = 48;
/// Quick-reply options under one message.
pub const QUICK_REPLIES_MAX: usize = 20;
/// A quick-reply option's label.
pub const QUICK_REPLY_LABEL_MAX: usize = 36;
/// A quick-reply option's description (Baton sends none today; kept with its siblings).
pub const QUICK_REPLY_DESCRIPTION_MAX: usize = 72;
/// A quick-reply option's metadata, which carries the rule's payload.
pub const QUICK_REPLY_METADATA_MAX: usize = 1_000;
/// A direct message's text.
pub const TEXT_MAX: usize = 10_000;

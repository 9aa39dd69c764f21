//! The request and answer bodies of the v1.1 calls, as the platform spells them.

use super::{Body, CustomProfile, QuickOption};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Event<'a> {
    event: EventBody<'a>,
}

#[derive(Serialize)]
struct EventBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message_create: MessageCreate<'a>,
}

#[derive(Serialize)]
struct MessageCreate<'a> {
    target: Target<'a>,
    message_data: MessageData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_profile_id: Option<&'a str>,
}

#[derive(Serialize)]
struct Target<'a> {
    recipient_id: &'a str,
}

#[derive(Serialize)]
struct MessageData<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quick_reply: Option<QuickReply<'a>>,
}

#[derive(Serialize)]
struct QuickReply<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    options: &'a [QuickOption<'a>],
}

pub(super) fn event<'a>(
    recipient: &'a str,
    text: &'a str,
    options: &'a [QuickOption<'a>],
    custom_profile_id: Option<&'a str>,
) -> Body<'a> {
    let e = Event {
        event: EventBody {
            kind: "message_create",
            message_create: MessageCreate {
                target: Target {
                    recipient_id: recipient,
                },
                message_data: MessageData {
                    text,
                    quick_reply: (!options.is_empty()).then_some(QuickReply {
                        kind: "options",
                        options,
                    }),
                },
                custom_profile_id,
            },
        },
    };
    // Plain strings and slices: serializing cannot fail.
    Body::Json(serde_json::to_vec(&e).unwrap_or_default())
}

#[derive(Deserialize)]
pub(super) struct Created {
    pub event: CreatedEvent,
}

#[derive(Deserialize)]
pub(super) struct CreatedEvent {
    pub id: String,
}

#[derive(Deserialize)]
pub(super) struct Uploaded {
    pub media_id_string: String,
}

#[derive(Deserialize)]
pub(super) struct OneProfile {
    pub custom_profile: CustomProfile,
}

#[derive(Deserialize)]
pub(super) struct ProfilePage {
    #[serde(default)]
    pub custom_profiles: Vec<CustomProfile>,
    pub next_cursor: Option<String>,
}

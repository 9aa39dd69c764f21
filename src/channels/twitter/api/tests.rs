//! The Twitter v1.1 client against canned answers: requests as the platform wants them, and
//! every refusal classified.

use super::*;

fn limit(remaining: Option<u64>, reset: Option<u64>) -> RateLimit {
    RateLimit { remaining, reset }
}

fn errors(code: u32, message: &str) -> Vec<u8> {
    serde_json::json!({"errors": [{"code": code, "message": message}]})
        .to_string()
        .into_bytes()
}

#[test]
fn refusals_are_classified_by_what_the_caller_must_do() {
    let none = RateLimit::default();
    let rejected = |status, code: Option<u32>, message: &str| ApiError::Rejected {
        status,
        code,
        message: message.into(),
    };
    let credentials = |status, code: Option<u32>, message: &str| ApiError::Credentials {
        status,
        code,
        message: message.into(),
    };
    let cases: Vec<(&str, u16, RateLimit, Vec<u8>, ApiError)> = vec![
        (
            "429 with a reset",
            429,
            limit(Some(0), Some(1_700_000_000)),
            errors(88, "Rate limit exceeded"),
            ApiError::RateLimited {
                until: Some(1_700_000_000),
            },
        ),
        (
            "429 without headers",
            429,
            none,
            vec![],
            ApiError::RateLimited { until: None },
        ),
        (
            "a refusal with the window used up",
            420,
            limit(Some(0), Some(1_700_000_100)),
            vec![],
            ApiError::RateLimited {
                until: Some(1_700_000_100),
            },
        ),
        (
            "code 88 on another status",
            400,
            limit(None, Some(5)),
            errors(88, "Rate limit exceeded"),
            ApiError::RateLimited { until: Some(5) },
        ),
        (
            "502",
            502,
            none,
            b"<html>bad gateway</html>".to_vec(),
            ApiError::Unavailable("HTTP 502: HTTP 502".into()),
        ),
        (
            "503 with a message",
            503,
            limit(Some(10), Some(5)),
            errors(130, "Over capacity"),
            ApiError::Unavailable("HTTP 503: Over capacity".into()),
        ),
        (
            "403 code 150",
            403,
            none,
            errors(
                150,
                "You cannot send messages to users who are not following you.",
            ),
            ApiError::CannotDm {
                code: 150,
                message: "You cannot send messages to users who are not following you.".into(),
            },
        ),
        (
            "403 code 349",
            403,
            none,
            errors(349, "You cannot send messages to this user."),
            ApiError::CannotDm {
                code: 349,
                message: "You cannot send messages to this user.".into(),
            },
        ),
        (
            "403 code 151",
            403,
            none,
            errors(151, "There was an error sending your message."),
            rejected(403, Some(151), "There was an error sending your message."),
        ),
        (
            "400 bad request",
            400,
            none,
            errors(214, "event.message_create.target: missing"),
            rejected(400, Some(214), "event.message_create.target: missing"),
        ),
        (
            "404 without a body",
            404,
            none,
            vec![],
            rejected(404, None, "HTTP 404"),
        ),
        (
            "401 could not authenticate",
            401,
            none,
            errors(32, "Could not authenticate you."),
            credentials(401, Some(32), "Could not authenticate you."),
        ),
        (
            "403 without a code",
            403,
            none,
            b"Forbidden".to_vec(),
            credentials(403, None, "HTTP 403"),
        ),
        (
            "403 suspended account",
            403,
            none,
            errors(64, "Your account is suspended."),
            credentials(403, Some(64), "Your account is suspended."),
        ),
        (
            "403 app not allowed",
            403,
            none,
            errors(87, "Client is not permitted to perform this action."),
            credentials(
                403,
                Some(87),
                "Client is not permitted to perform this action.",
            ),
        ),
    ];
    for (what, status, limit, body, want) in cases {
        assert_eq!(classify(status, limit, &body), want, "{what}");
    }
}

#[test]
fn a_window_is_exhausted_only_at_zero_with_a_reset() {
    assert_eq!(limit(Some(0), Some(9)).exhausted_until(), Some(9));
    assert_eq!(limit(Some(1), Some(9)).exhausted_until(), None);
    assert_eq!(limit(Some(0), None).exhausted_until(), None);
    assert_eq!(limit(None, Some(9)).exhausted_until(), None);
}

fn json_of(body: Body<'_>) -> serde_json::Value {
    match body {
        Body::Json(bytes) => serde_json::from_slice(&bytes).unwrap(),
        _ => panic!("a direct message is sent as JSON"),
    }
}

#[test]
fn a_direct_message_is_the_documented_event() {
    let options = [
        QuickOption {
            label: "Talk to a person",
            metadata: "escalate",
        },
        QuickOption {
            label: "Track",
            metadata: "track",
        },
    ];
    let sent = json_of(wire::event("3805104374", "Hi!", &options, Some("100001")));
    assert_eq!(
        sent,
        serde_json::json!({"event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": "3805104374"},
            "message_data": {"text": "Hi!", "quick_reply": {"type": "options", "options": [
                {"label": "Talk to a person", "metadata": "escalate"},
                {"label": "Track", "metadata": "track"}]}},
            "custom_profile_id": "100001"}}})
    );
    let plain = json_of(wire::event("1", "Hi!", &[], None));
    assert_eq!(
        plain,
        serde_json::json!({"event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": "1"}, "message_data": {"text": "Hi!"}}}})
    );
}

#[test]
fn custom_profiles_read_as_listed() {
    let page: wire::ProfilePage = serde_json::from_str(
        r#"{"custom_profiles":[{"id":"100001","created_timestamp":"1479767168196","name":"Jon C, Partner Engineer","avatar":{"media":{"url":"https://pbs.twimg.com/media/Cr7HZpvVYAAYZIX.jpg"}}}],"next_cursor":"MTAwMDAx"}"#,
    )
    .unwrap();
    assert_eq!(
        page.custom_profiles,
        vec![CustomProfile {
            id: "100001".into(),
            name: "Jon C, Partner Engineer".into(),
            avatar: Some("https://pbs.twimg.com/media/Cr7HZpvVYAAYZIX.jpg".into()),
        }]
    );
    assert_eq!(page.next_cursor.as_deref(), Some("MTAwMDAx"));
}

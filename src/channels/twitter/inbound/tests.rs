//! Table tests over realistic deliveries (`tests/fixtures/twitter/`), and `parse` never panics.

use super::*;
use proptest::prelude::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/twitter/", $name)).as_slice()
    };
}

fn message(id: &str, customer: &str, text: &str, at_ms: u64) -> CustomerMessage {
    CustomerMessage {
        id: id.into(),
        customer: customer.into(),
        name: None,
        screen_name: None,
        text: text.into(),
        payload: None,
        attachments: vec![],
        at_ms,
    }
}

fn alice(m: CustomerMessage) -> CustomerMessage {
    CustomerMessage {
        name: Some("Alice Example".into()),
        screen_name: Some("alice_ex".into()),
        ..m
    }
}

#[test]
fn deliveries() {
    let cases: Vec<(&str, &[u8], Vec<Event>)> = vec![
        (
            "two customers, an echo from another app and one from Baton",
            fixture!("two_customers_and_echoes.json"),
            vec![
                Event::Message(alice(message(
                    "1600000000000000001",
                    "4001",
                    "where is my order?",
                    1_767_225_600_000,
                ))),
                Event::Message(CustomerMessage {
                    screen_name: Some("bob_b".into()),
                    ..message("1600000000000000002", "4002", "hello there", 1_767_225_600_500)
                }),
                Event::Echo(Echo {
                    id: "1600000000000000003".into(),
                    recipient: "4001".into(),
                    source_app_id: Some("268278".into()),
                    text: "Sent from the phone app by someone on the team".into(),
                    attachments: vec![],
                }),
                Event::Echo(Echo {
                    id: "1600000000000000004".into(),
                    recipient: "4002".into(),
                    source_app_id: Some("17000001".into()),
                    text: "Hi! I'm an automated assistant.".into(),
                    attachments: vec![],
                }),
            ],
        ),
        (
            "a quick-reply choice, a photo, a GIF without text",
            fixture!("quick_reply_and_attachment.json"),
            vec![
                Event::Message(alice(CustomerMessage {
                    payload: Some("escalate".into()),
                    ..message(
                        "1600000000000000011",
                        "4001",
                        "Talk to a person",
                        1_767_225_700_000,
                    )
                })),
                Event::Message(alice(CustomerMessage {
                    attachments: vec![Attachment {
                        kind: AttachmentKind::Photo,
                        url: "https://ton.twitter.com/1.1/ton/data/dm/1600000000000000012/1600000000000000099/xyz.jpg".into(),
                    }],
                    ..message(
                        "1600000000000000012",
                        "4001",
                        "the screen is cracked https://t.co/AbCdEf123",
                        1_767_225_701_000,
                    )
                })),
                Event::Message(alice(CustomerMessage {
                    attachments: vec![Attachment {
                        kind: AttachmentKind::AnimatedGif,
                        url: "https://pbs.twimg.com/dm_gif_preview/1600000000000000098/abc.jpg"
                            .into(),
                    }],
                    ..message("1600000000000000013", "4001", "", 1_767_225_702_000)
                })),
            ],
        ),
        (
            "typing and read, the brand's own typing ignored",
            fixture!("typing_and_read.json"),
            vec![
                Event::Typing {
                    customer: "4001".into(),
                },
                Event::Ignored(TYPING_EVENTS.into()),
                Event::Read {
                    customer: "4002".into(),
                    last_read: Some("1600000000000000004".into()),
                },
            ],
        ),
        (
            "kinds Baton does not use, beside a message",
            fixture!("other_kinds.json"),
            vec![
                Event::Message(CustomerMessage {
                    screen_name: Some("carol_c".into()),
                    ..message(
                        "1600000000000000021",
                        "4003",
                        "hi from a new follower",
                        1_767_225_900_100,
                    )
                }),
                Event::Ignored("follow_events".into()),
                Event::Ignored("tweet_create_events".into()),
                Event::Ignored("tweet_create_events".into()),
            ],
        ),
        (
            "nothing but the account",
            br#"{"for_user_id":"3001"}"#,
            vec![],
        ),
        (
            "an empty message, and one to someone else",
            br#"{"for_user_id":"3001","direct_message_events":[
                {"type":"message_create","id":"1","created_timestamp":"1","message_create":
                  {"target":{"recipient_id":"3001"},"sender_id":"9","message_data":{"text":"  "}}},
                {"type":"message_create","id":"2","created_timestamp":"1","message_create":
                  {"target":{"recipient_id":"8"},"sender_id":"9","message_data":{"text":"hi"}}},
                {"type":"something_else","id":"3","created_timestamp":"1"}]}"#,
            vec![
                Event::Ignored(DM_EVENTS.into()),
                Event::Ignored(DM_EVENTS.into()),
                Event::Ignored(DM_EVENTS.into()),
            ],
        ),
    ];
    for (what, body, want) in cases {
        let got = parse(body).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got.for_user_id, "3001", "{what}");
        assert_eq!(got.events, want, "{what}");
    }
}

#[test]
fn refused_deliveries() {
    let long = format!(
        r#"{{"for_user_id":"3001","direct_message_events":[{{"type":"message_create","id":"1",
        "created_timestamp":"1","message_create":{{"target":{{"recipient_id":"3001"}},
        "sender_id":"9","message_data":{{"text":"{}"}}}}}}]}}"#,
        "x".repeat(10_001)
    );
    let cases: Vec<(&[u8], &str)> = vec![
        (fixture!("malformed.json"), "invalid delivery"),
        (fixture!("missing_sender.json"), "sender_id"),
        (b"", "invalid delivery"),
        (b"[]", "invalid delivery"),
        (br#"{"direct_message_events":[]}"#, "for_user_id"),
        (br#"{"for_user_id":""}"#, "for_user_id must be"),
        (br#"{"for_user_id":3001}"#, "invalid delivery"),
        (
            br#"{"for_user_id":"3001","direct_message_events":[{"type":"message_create","id":"1",
            "created_timestamp":"yesterday","message_create":{"target":{"recipient_id":"3001"},
            "sender_id":"9","message_data":{"text":"hi"}}}]}"#,
            "created_timestamp",
        ),
        (
            br#"{"for_user_id":"3001","direct_message_indicate_typing_events":[{"sender_id":""}]}"#,
            "sender_id must be",
        ),
        (long.as_bytes(), "longer than 10000"),
    ];
    for (body, want) in cases {
        let err = parse(body).unwrap_err();
        assert!(
            matches!(&err, TwitterError::Malformed(m) if m.contains(want)),
            "{}: {err}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn an_echo_is_never_a_customer_message() {
    let d = parse(fixture!("two_customers_and_echoes.json")).unwrap();
    let from: Vec<&str> = d
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.customer.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(from, ["4001", "4002"]);
    let Some(Event::Message(m)) = d.events.into_iter().next() else {
        panic!("the first event is a message");
    };
    let dm = m.into_inbound(AccountId("acme".into()));
    assert_eq!(
        (dm.event.0.as_str(), dm.channel, dm.customer.0.as_str()),
        ("1600000000000000001", Channel::Twitter, "4001")
    );
    assert_eq!(dm.name.as_deref(), Some("Alice Example"));
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z_0-9 ]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("3001"),
            Just("4001"),
            Just("message_create"),
            Just("media")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    let keys = prop_oneof![
        Just("for_user_id".to_owned()),
        Just(DM_EVENTS.to_owned()),
        Just(TYPING_EVENTS.to_owned()),
        Just(READ_EVENTS.to_owned()),
        Just("users".to_owned()),
        Just("type".to_owned()),
        Just("id".to_owned()),
        Just("created_timestamp".to_owned()),
        Just("message_create".to_owned()),
        Just("target".to_owned()),
        Just("recipient_id".to_owned()),
        Just("sender_id".to_owned()),
        Just("message_data".to_owned()),
        Just("text".to_owned()),
        Just("attachment".to_owned()),
        Just("media".to_owned()),
        Just("media_url_https".to_owned()),
        Just("quick_reply_response".to_owned()),
        Just("metadata".to_owned()),
        Just("tweet_create_events".to_owned()),
        "[a-z_]{1,8}",
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&body);
    }

    #[test]
    fn never_panics_on_json(v in json_value()) {
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(d) = parse(&body) {
            // Whatever parsed, nothing the brand sent came out as a customer's message.
            for e in d.events {
                if let Event::Message(m) = e {
                    prop_assert_ne!(m.customer, d.for_user_id.clone());
                }
            }
        }
    }

    #[test]
    fn never_panics_on_mutated_fixtures(cut in 0usize..4096, byte in any::<u8>()) {
        let mut body = fixture!("quick_reply_and_attachment.json").to_vec();
        let at = cut % body.len();
        body[at] = byte;
        let _ = parse(&body);
        let _ = parse(&body[..at]);
    }
}

#[test]
fn an_echo_keeps_the_media_the_brand_sent() {
    let body = br#"{"for_user_id": "3001", "direct_message_events": [{
        "type": "message_create", "id": "1600000000000000077", "created_timestamp": "1767225600000",
        "message_create": {"target": {"recipient_id": "4001"}, "sender_id": "3001",
            "source_app_id": "268278",
            "message_data": {"text": "", "attachment": {"type": "media", "media": {
                "id_str": "1600000000000000097", "type": "photo",
                "media_url_https": "https://ton.twitter.com/1.1/ton/data/dm/1/2/abc.jpg"}}}}}]}"#;
    let delivery = parse(body).unwrap();
    assert_eq!(
        delivery.events,
        [Event::Echo(Echo {
            id: "1600000000000000077".into(),
            recipient: "4001".into(),
            source_app_id: Some("268278".into()),
            text: String::new(),
            attachments: vec![Attachment {
                kind: AttachmentKind::Photo,
                url: "https://ton.twitter.com/1.1/ton/data/dm/1/2/abc.jpg".into(),
            }],
        })]
    );
}

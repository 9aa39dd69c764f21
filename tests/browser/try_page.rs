//! The try page, a customer's phone, across a whole handoff: the bot, a person, the bot again,
//! each named as the customer sees them.

use crate::driver::{testid, with_browser, Browser};
use crate::pages::with_attr;
use crate::support::{fresh, BOT};
use crate::ws::Agent;

/// Types `text` into the try page and sends it.
async fn say(b: &Browser, text: &str) {
    b.fill("try-input", text).await;
    b.click("try-send").await;
}

#[tokio::test]
async fn a_customer_goes_from_the_bot_to_a_person_and_back() {
    with_browser(|b| async move {
        let (_dir, _sink, mut d) = fresh().await;
        let token = d.add_agent("Alissa", "Alissa, Acme").await;
        let mut alissa = Agent::online(&d, &token).await;

        b.goto(&format!("{}/console/try", d.base)).await;
        b.fill("try-customer", "try-jo").await;
        b.fill("try-customer-name", "Jo").await;
        say(&b, "hi").await;
        b.find(&with_attr("try-switch", "data-to", "bot")).await;
        b.until_attr(&testid("try-switch"), "data-profile-name", BOT)
            .await;
        b.until_text_in(&testid("try-messages"), "Hi Jo!").await;

        say(&b, "agent").await;
        let cid = alissa.take().await;
        alissa.write(&cid, "Hi Jo, Alissa here.").await;
        let person = with_attr("try-switch", "data-to", "person");
        b.until_attr(&person, "data-profile-name", "Alissa, Acme")
            .await;
        b.until_text_in(&testid("try-messages"), "Hi Jo, Alissa here.")
            .await;
        b.until_attr(&testid("try-answering"), "data-answering", "person")
            .await;

        alissa.act("release", &cid).await;
        let to_bot = with_attr("try-switch", "data-to", "bot");
        b.until("a switch back to the bot", || async {
            (b.count(&to_bot).await == 2).then_some(())
        })
        .await;
        b.until_attr(&testid("try-answering"), "data-answering", "bot")
            .await;
        let names = b.all(&testid("try-sender-name")).await;
        let mut seen = Vec::new();
        for n in names {
            seen.push(n.text().await.unwrap_or_default());
        }
        assert!(seen.iter().any(|n| n == BOT), "the bot is named: {seen:?}");
        assert!(
            seen.iter().any(|n| n == "Alissa, Acme"),
            "the person is named: {seen:?}"
        );
        b.screenshot("try").await;
        d.stop().await;
    })
    .await;
}

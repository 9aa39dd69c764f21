//! What a person does on the console's pages, by the test ids of `console/TESTIDS.md`: sign in
//! and go available, find an offer, read a conversation.

use crate::driver::{testid, Browser};
use crate::support::Daemon;

/// The CSS selector of the element with test id `id` carrying `attr="value"`.
pub fn with_attr(id: &str, attr: &str, value: &str) -> String {
    format!("{}[{attr}=\"{value}\"]", testid(id))
}

impl Browser {
    /// The value of `attr` on the first element matching `css`, if there is one.
    pub async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        let el = self.client.find(fantoccini::Locator::Css(css)).await.ok()?;
        el.attr(attr).await.ok().flatten()
    }

    /// Waits until the first element matching `css` has `attr="value"`.
    pub async fn until_attr(&self, css: &str, attr: &str, value: &str) {
        let what = format!("{css} has {attr}={value:?}");
        self.until(&what, || async {
            (self.attr(css, attr).await.as_deref() == Some(value)).then_some(())
        })
        .await
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.len()
    }

    /// Opens the agent console, signs in with `token` and goes available.
    pub async fn sign_in(&self, d: &Daemon, token: &str) {
        self.goto(&format!("{}/console/", d.base)).await;
        self.fill("token-input", token).await;
        self.click("sign-in").await;
        self.until_attr(&testid("connection-state"), "data-state", "connected")
            .await;
        let presence = testid("presence-toggle");
        if self.attr(&presence, "data-presence").await.as_deref() != Some("available") {
            self.click("presence-toggle").await;
        }
        self.until_attr(&presence, "data-presence", "available")
            .await;
    }

    /// Waits for an offer; returns the offered conversation's id.
    pub async fn offer(&self) -> String {
        let card = testid("offer-card");
        self.find(&card).await;
        self.attr(&card, "data-conversation-id")
            .await
            .expect("an offer card names its conversation")
    }

    /// Accepts the offer on screen and waits for the conversation's panel.
    pub async fn accept(&self, cid: &str) {
        self.click("offer-accept").await;
        self.find(&with_attr("conversation", "data-conversation-id", cid))
            .await;
    }

    /// The texts of the transcript items of the open conversation `cid`, in order, with the
    /// message ids: what the agent sees.
    pub async fn transcript(&self, cid: &str) -> Vec<(String, String)> {
        let css = format!(
            "{} {} {}",
            with_attr("conversation", "data-conversation-id", cid),
            testid("transcript"),
            testid("transcript-item")
        );
        let mut out = Vec::new();
        for item in self.all(&css).await {
            let id = item.attr("data-message-id").await.ok().flatten();
            let text = match item
                .find(fantoccini::Locator::Css(&testid("message-text")))
                .await
            {
                Ok(t) => t.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            out.push((id.unwrap_or_default(), text));
        }
        out
    }

    /// Waits until conversation `cid` shows a message saying `text`.
    pub async fn until_message(&self, cid: &str, text: &str) {
        let what = format!("{cid} shows {text:?}");
        self.until(&what, || async {
            self.transcript(cid)
                .await
                .iter()
                .any(|(_, t)| t == text)
                .then_some(())
        })
        .await
    }

    /// Types `text` into conversation `cid`'s composer and sends it.
    pub async fn send(&self, cid: &str, text: &str) {
        let panel = with_attr("conversation", "data-conversation-id", cid);
        let input = self
            .find(&format!("{panel} {}", testid("composer-input")))
            .await;
        input.send_keys(text).await.expect("type a reply");
        self.find(&format!("{panel} {}", testid("composer-send")))
            .await
            .click()
            .await
            .expect("click send");
    }
}

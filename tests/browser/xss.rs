//! Customers' text is only ever text: markup and `javascript:` links a customer sends are shown
//! as they were written, and nothing of them runs or becomes an element.

use crate::driver::{testid, with_browser, Browser};
use crate::support::fresh;

const IMG: &str = "<img src=x onerror=document.title='pwned'>";
const LINK: &str = "javascript:alert(1)";

/// Asserts nothing the customer sent became an element or ran.
async fn nothing_ran(b: &Browser, title: &str) {
    assert_eq!(b.title().await, title, "the page's title changed");
    assert_eq!(
        b.count("img[src='x']").await,
        0,
        "an img was made from customer text"
    );
    assert_eq!(b.count("[onerror]").await, 0, "an onerror handler exists");
    assert_eq!(
        b.count("a[href^='javascript']").await,
        0,
        "a javascript: link exists"
    );
    let links = format!("{} a", testid("message-text"));
    assert_eq!(
        b.count(&links).await,
        0,
        "a link was made from customer text"
    );
}

#[tokio::test]
async fn markup_and_script_links_from_a_customer_stay_text() {
    with_browser(|b| async move {
        let (_dir, _sink, mut d) = fresh().await;
        let token = d.add_agent("Alissa", "Alissa, Acme").await;
        b.sign_in(&d, &token).await;
        let title = b.title().await;

        // The markup first, so it is in the offer's transcript as well as the conversation's.
        d.dm("e1", "u1", IMG, IMG).await;
        d.dm("e2", "u1", IMG, "agent").await;
        let cid = b.offer().await;
        b.until_text_in(&testid("offer-transcript"), IMG).await;
        nothing_ran(&b, &title).await;

        b.accept(&cid).await;
        d.dm("e3", "u1", IMG, LINK).await;
        b.until_message(&cid, IMG).await;
        b.until_message(&cid, LINK).await;
        nothing_ran(&b, &title).await;
        d.stop().await;
    })
    .await;
}

#[tokio::test]
async fn markup_typed_on_the_try_page_stays_text() {
    with_browser(|b| async move {
        let (_dir, _sink, mut d) = fresh().await;
        b.goto(&format!("{}/console/try", d.base)).await;
        let title = b.title().await;
        b.fill("try-customer", "try-xss").await;
        b.fill("try-customer-name", IMG).await;
        for text in [IMG, LINK] {
            b.fill("try-input", text).await;
            b.click("try-send").await;
            b.until_text_in(&testid("try-messages"), text).await;
        }
        // The bot greets the customer by the name given: markup there stays text too.
        b.until_text_in(&testid("try-messages"), &format!("Hi {IMG}!"))
            .await;
        assert_eq!(b.title().await, title, "the page's title changed");
        assert_eq!(
            b.count("img[src='x']").await,
            0,
            "an img was made from customer text"
        );
        assert_eq!(b.count("[onerror]").await, 0, "an onerror handler exists");
        assert_eq!(
            b.count("a[href^='javascript']").await,
            0,
            "a javascript: link exists"
        );
        d.stop().await;
    })
    .await;
}

//! The supervisor view, signed in with the admin token, lists who waits in the queue.

use crate::driver::{testid, with_browser};
use crate::support::{fresh, ADMIN};

#[tokio::test]
async fn the_supervisor_view_lists_the_queue() {
    with_browser(|b| async move {
        let (_dir, _sink, mut d) = fresh().await;
        d.dm("e1", "u-waiting", "Jo", "agent").await;
        b.goto(&format!("{}/console/supervisor", d.base)).await;
        b.fill("sup-token-input", ADMIN).await;
        b.click("sup-sign-in").await;
        b.until_attr(&testid("sup-status"), "data-state", "ok")
            .await;
        let entry = format!(
            "{} {}",
            testid("sup-queue-entry"),
            testid("sup-queue-customer")
        );
        b.until_text_in(&entry, "u-waiting").await;
        d.stop().await;
    })
    .await;
}

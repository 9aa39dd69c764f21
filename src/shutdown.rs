//! Shutdown as a broadcast: one trigger, any number of listeners that can wait or poll.

use tokio::sync::watch;

/// Held by whoever may stop the daemon (signals, tests).
#[derive(Debug, Clone)]
pub struct Trigger(watch::Sender<bool>);

/// Held by every task that must stop when asked.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Resolves once shutdown was triggered (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means every trigger is gone, which also means nobody can keep us running.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }
}

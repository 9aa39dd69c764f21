//! The engine's side of a reload: the accounts (rules, timeouts, hours) compiled by
//! `crate::reload` replace the ones in force, all of them in one command, so no input is ever
//! handled by half an old set and half a new one.
//!
//! Nothing already decided is revisited: a deadline set under the old timeouts keeps its time
//! (it is a field of its conversation and in the scheduler's index), and the next one a state
//! makes uses the new timeouts. A new `ageing` reorders the account's line at once, as a
//! restart with the new rules would order it (places already told to customers are not
//! announced again; the next `queue_update` tells the new one).

use super::{Command, Engine, EngineError, EngineHandle, Reply};
use crate::domain::Account;
use tokio::sync::oneshot;

impl EngineHandle {
    /// Puts `accounts` in force in one turn of the engine's loop; answers once it has.
    pub async fn reload(&self, accounts: Vec<Account>) -> Result<(), EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::Reload(accounts, reply), rx).await
    }
}

impl Engine {
    /// Replaces each account known to the engine; an account it does not serve is ignored (the
    /// set of accounts is fixed at start, and `crate::reload` refuses a change to it).
    pub(super) fn swap_accounts(&mut self, accounts: Vec<Account>, reply: Reply<()>) {
        for account in accounts {
            if let Some(slot) = self.accounts.get_mut(&account.id) {
                self.desk.reload(&account);
                *slot = account;
            }
        }
        let _ = reply.send(Ok(()));
    }
}

//! Ownership of accounts, for several daemons behind a router (docs/scaling.md): a request
//! that names an account with `?account=` (an agent socket, the console, an admin call the
//! router must place) is served only by the daemon that owns it; any other answers 421
//! `misdirected` before a handler runs, so nothing is stored or changed. It comes before the
//! admin token is checked: what it tells a stranger (which accounts this daemon has) is what
//! the router's map says anyway, and nothing stored.
//!
//! Bodies that name an account (a webhook DM, a Twitter delivery, an agent added) are checked
//! by their handlers, after the signature or token, with the same 421.

use super::ApiError;
use axum::extract::Query;
use foldhash::{HashMap, HashSet};

/// The query parameter that names the account a request is for.
pub const ACCOUNT_PARAM: &str = "account";

/// The account a request's query names, if it names one. A query that does not decode names
/// none here: the handler's own extractor refuses it with its usual 400.
pub fn named_account(uri: &axum::http::Uri) -> Option<String> {
    // Most requests (every webhook DM) have no query: nothing to decode.
    uri.query()?;
    let Query(q) = Query::<HashMap<String, String>>::try_from_uri(uri).ok()?;
    q.get(ACCOUNT_PARAM).cloned()
}

/// The refusal of a request whose `?account=` this daemon does not own (`guard` answers it
/// before any handler). An empty one names no account at all: the handler refuses it as a bad
/// parameter.
pub fn misdirected(uri: &axum::http::Uri, owned: &HashSet<String>) -> Option<ApiError> {
    named_account(uri)
        .filter(|account| !account.is_empty() && !owned.contains(account))
        .map(ApiError::Misdirected)
}

#[cfg(test)]
mod tests {
    use super::{misdirected, named_account};
    use foldhash::HashSet;

    #[test]
    fn the_account_is_read_from_the_query_only() {
        let named = |u: &str| named_account(&u.parse().unwrap());
        assert_eq!(named("/v1/agents/ws?account=acme"), Some("acme".into()));
        assert_eq!(
            named("/v1/stats?x=1&account=glo%20bex"),
            Some("glo bex".into())
        );
        assert_eq!(named("/v1/stats?account="), Some(String::new()));
        assert_eq!(named("/v1/stats"), None);
        assert_eq!(named("/v1/stats?accounts=acme"), None);
    }

    #[test]
    fn only_an_account_named_and_not_owned_is_misdirected() {
        let owned = HashSet::from_iter(["acme".to_owned()]);
        let refused = |u: &str| misdirected(&u.parse().unwrap(), &owned).map(|e| e.to_string());
        assert_eq!(refused("/v1/agents/ws?account=acme"), None);
        assert_eq!(
            refused("/v1/agents/ws?account=globex"),
            Some("this daemon does not own account 'globex'".into())
        );
        assert_eq!(refused("/v1/stats?account="), None);
        assert_eq!(refused("/v1/stats"), None);
        assert_eq!(refused("/v1/stats?"), None);
        assert_eq!(refused("/v1/stats?other=globex"), None);
    }
}

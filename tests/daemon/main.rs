//! One integration binary: a real daemon on 127.0.0.1:0 with a temp sled dir, driven over real
//! HTTP, delivering to a local fake of the outbound platform.

mod support;

mod agents;
mod backup;
mod bad_input;
mod bot;
mod channels;
mod cli;
mod console;
mod crash;
mod damage;
mod delivery;
mod gateway;
mod handoff;
mod history;
mod lifecycle;
mod limits;
mod logs;
mod metrics;
mod outage;
mod outbound;
mod people_admin;
mod power_cut;
mod profiles;
mod reload;
mod restart;
mod routing;
mod scaling;
mod slow_agent;
mod timeouts;
mod transcripts;
mod try_page;
mod twitter_e2e;
mod twitter_echo;
mod twitter_in;
mod twitter_out;
mod twitter_setup;
mod upgrade;
mod upgrade_v4;
mod wedged;

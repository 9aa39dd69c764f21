//! Real-browser tests of the console: a headless Chromium over WebDriver against a real daemon
//! on 127.0.0.1, its webhook delivering to a local fake platform. Skipped without a browser,
//! except under `CI=true`.

mod driver;
mod pages;
mod support;
mod ws;

mod handoff;
mod harness;
mod reconnect;
mod supervisor;
mod try_page;
mod xss;

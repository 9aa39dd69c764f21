//! Real-browser tests of the console: a headless Chromium over WebDriver against a real daemon
//! on 127.0.0.1, its webhook delivering to a local fake platform. Skipped without a browser,
//! except under `CI=true`.

// Helpers grow ahead of the pages that use them.
#![allow(dead_code)]

mod driver;
mod support;

mod harness;

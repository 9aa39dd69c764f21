//! A headless Chromium driven over WebDriver: starts `chromedriver` on a free port, opens a
//! session with fantoccini, and waits on the DOM (every wait polls a condition with a deadline).
//! Without a browser the tests are skipped with a note on how to install one, except under
//! `CI=true`, where a missing browser fails them.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a wait on the page lasts before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One browser at a time: the machine is small, and parallel Chromiums only make every test
/// slower and the deadlines flakier. A tokio mutex, so each test's runtime can wait on it.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running `chromedriver`, in a process group of its own so the browsers it started end
/// with it.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group is ours: chromedriver was made its leader, and Chromium inherits it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first of `names` on `PATH`.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn chromedriver() -> Option<PathBuf> {
    find(&["chromedriver"])
}

fn chromium() -> Option<PathBuf> {
    // Debian's name first, then others' for the same browser.
    find(&["chromium", "chromium-browser", "google-chrome"])
}

/// A port nobody listens on right now; another process may still take it before chromedriver
/// does, which [`Driver::start`] survives by trying again.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("a bound address").port()
}

impl Driver {
    async fn start(binary: &Path) -> Driver {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(binary);
            cmd.arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let child = cmd.spawn().expect("chromedriver starts");
            let mut driver = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
            };
            match driver.ready().await {
                Ok(()) => return driver,
                Err(e) => last = e,
            }
        }
        panic!("chromedriver did not start: {last}");
    }

    /// Waits until the driver answers `/status` ready, or exits (its port was taken).
    async fn ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver on {} exited: {status}", self.url));
            }
            if let Ok(r) = client.get(format!("{}/status", self.url)).send().await {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("no ready answer from {} in {PATIENCE:?}", self.url))
    }
}

/// A browser session; ends with the test that made it (see [`with_browser`]).
pub struct Browser {
    pub client: Client,
}

/// Runs `test` with a fresh headless Chromium, one test at a time. Skips (passes) when there is
/// no browser on this machine, unless `CI=true`. The session is closed and the driver stopped
/// whether the test passes or panics.
pub async fn with_browser<F, Fut>(test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let (Some(driver_bin), Some(chrome)) = (chromedriver(), chromium()) else {
        let note = "browser tests need Chromium and its WebDriver: apt-get install chromium chromium-driver";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no browser: {note}"
        );
        eprintln!("skipped: {note}");
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let driver = Driver::start(&driver_bin).await;
    let client = session(&driver.url, &chrome).await;
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(test(Browser {
        client: client.clone(),
    })))
    .await;
    let _ = client.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn session(url: &str, chrome: &Path) -> Client {
    let mut args = vec![
        "--headless=new",
        "--disable-gpu",
        "--window-size=1280,800",
        "--disable-dev-shm-usage",
    ];
    if is_root() {
        args.push("--no-sandbox");
    }
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chrome, "args": args},
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("a Chromium session: {e}"))
}

/// Chromium refuses to sandbox itself as root (containers, CI).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// The CSS selector of an element by its `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Polls until `check` gives `Some`; fails the test saying `what` did not happen.
    pub async fn until<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        self.until_within(PATIENCE, what, check).await
    }

    /// [`Browser::until`] with a deadline of `limit`.
    pub async fn until_within<T, F, Fut>(&self, limit: Duration, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element matching `css`, once there is one.
    pub async fn find(&self, css: &str) -> Element {
        let what = format!("an element {css}");
        self.until(&what, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// The element with this `data-testid`, once there is one.
    pub async fn by_testid(&self, id: &str) -> Element {
        self.find(&testid(id)).await
    }

    /// Every element matching `css` right now.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// The text of the page's body right now.
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the element `css` shows text containing `needle`; returns its text.
    pub async fn until_text_in(&self, css: &str, needle: &str) -> String {
        let what = format!("{css} shows {needle:?}");
        self.until(&what, || async {
            let el = self.client.find(Locator::Css(css)).await.ok()?;
            let text = el.text().await.ok()?;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// Clicks the element with this `data-testid` once it is there and enabled.
    pub async fn click(&self, id: &str) {
        let css = testid(id);
        let what = format!("{css} can be clicked");
        let el = self
            .until(&what, || async {
                let el = self.client.find(Locator::Css(&css)).await.ok()?;
                (el.is_displayed().await.ok()? && el.is_enabled().await.ok()?).then_some(el)
            })
            .await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into the field with this `data-testid`, replacing what was there.
    pub async fn fill(&self, id: &str, text: &str) {
        let el = self.by_testid(id).await;
        let _ = el.clear().await;
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    /// Runs `script` in the page with `arguments` and returns its value. WebDriver's scripts
    /// are not the page's, so the page's strict CSP does not stop them.
    pub async fn eval_with(&self, script: &str, arguments: Vec<Value>) -> Value {
        self.client
            .execute(script, arguments)
            .await
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    pub async fn title(&self) -> String {
        self.client.title().await.unwrap_or_default()
    }

    /// Saves a PNG of the window to `docs/screenshots/<name>.png`, only when
    /// `BATON_SCREENSHOTS=1`, so ordinary runs leave the tree as it was.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("BATON_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot written");
    }
}

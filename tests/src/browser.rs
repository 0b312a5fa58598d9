//! A real headless Chromium for the mini app's tests, driven over
//! WebDriver: Debian's `chromium` and `chromium-driver` (`.ci/run`
//! installs them when missing; `CHROMIUM` and `CHROMEDRIVER` point
//! elsewhere). chromedriver listens on a loopback port of its own; the
//! browser runs headless with a fresh profile, its viewport set to a
//! phone's. Chrome DevTools commands go through chromedriver's
//! `goog/cdp/execute`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// The first of `candidates` that exists, or `$var`.
fn binary(var: &str, candidates: &[&str], package: &str) -> PathBuf {
    if let Ok(p) = std::env::var(var) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "no {package} here: apt-get install chromium chromium-driver (as .ci/run does), or set {var}"
            )
        })
}

/// A command of chromedriver's own: `POST session/{id}/{path}`.
#[derive(Debug)]
struct Vendor {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Vendor {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Chromium with a `width` x `height` phone viewport (touch, scale 1).
    pub async fn start(width: u32, height: u32) -> Browser {
        let driver_bin = binary(
            "CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
            "chromedriver",
        );
        let chrome = binary(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
            "chromium",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // In a process group of its own, with the browsers it starts: a
        // test that fails takes them all down (`Drop`), none is orphaned.
        let driver = Command::new(&driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", driver_bin.display()));
        let profile = tempfile::tempdir().unwrap();
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--no-first-run",
                    "--disable-extensions",
                    "--disable-background-networking",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://{address}"))
            .await
            .expect("a WebDriver session with Chromium");
        let b = Browser {
            client,
            driver,
            _profile: profile,
        };
        b.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true }),
        )
        .await;
        b
    }

    /// A Chrome DevTools command's result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Vendor {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// What the page wrote to its console (errors included) since last
    /// asked.
    pub async fn console(&self) -> Vec<String> {
        let logs = self
            .client
            .issue_cmd(Vendor {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .unwrap_or_default();
        logs.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `condition` (a JavaScript expression) is true in the
    /// page; panics with `what` and the page's text after `within`.
    pub async fn until(&self, what: &str, condition: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let script = format!("return !!({condition});");
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(&script, vec![]).await {
                return;
            }
            if Instant::now() > deadline {
                let text = self
                    .client
                    .execute("return document.body.innerText", vec![])
                    .await
                    .unwrap_or_default();
                let console = self.console().await.join("\n");
                panic!(
                    "{what}: not within {within:?}; the page says:\n{text}\nits console:\n{console}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css` (it must be there). A live
    /// page may redraw between finding and clicking: found again then.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            // In the middle of the screen: clear of fixed bars.
            let _ = self
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'}); return true;",
                    vec![json!(css)],
                )
                .await;
            let found = self.client.find(fantoccini::Locator::Css(css)).await;
            let clicked = match found {
                Ok(e) => e.click().await,
                Err(e) => Err(e),
            };
            match clicked {
                Ok(()) => return,
                Err(_) if tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}"),
            }
        }
    }

    /// Types into the first element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        png
    }

    /// Runs axe-core (fetched from the npm registry by .ci/fetch_axe.py)
    /// on the page: the serious and critical violations of WCAG 2.1 A/AA,
    /// each as "rule: target".
    pub async fn axe(&self) -> Vec<String> {
        let source = std::fs::read_to_string(axe_js()).expect("axe.min.js");
        self.js(&format!("{source}\n;return true;"), vec![]).await;
        let result = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
                  .then(r => done(r.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .flatMap(v => v.nodes.map(n => v.id + ": " + n.target.join(" ") + " (" + n.failureSummary.replace(/\s+/g, " ") + ")"))))
                  .catch(e => done(["axe failed: " + e]));"#,
                vec![],
            )
            .await
            .expect("axe.run");
        serde_json::from_value(result).unwrap_or_default()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's script, fetched once into `target/` (pinned version and
/// checksum, .ci/fetch_axe.py).
pub fn axe_js() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dest = root.join("target/axe-core/axe.min.js");
    if !dest.exists() {
        let out = Command::new("python3")
            .arg(root.join(".ci/fetch_axe.py"))
            .arg(&dest)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "cannot fetch axe-core: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dest
}

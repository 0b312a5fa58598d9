//! Files over HTTP beside the WebSocket: `GET /v1/files/{file_id}` saves an
//! attachment, `POST /v1/files?name=...` uploads a file to send with the
//! `attach` command. Same server, token and TLS settings as the socket.

use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use shared::{FILES_PATH, MAX_UPLOAD_BYTES, Uploaded};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ClientTls;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Url(String),
    #[error("cannot reach the server: {0}")]
    Connect(String),
    /// The server answered with an error (its reason).
    #[error("the server refused ({status}): {reason}")]
    Refused { status: u16, reason: String },
    #[error("{0}")]
    Io(String),
    #[error("{path} is {size} bytes; Telegram takes files up to {max} MB")]
    TooBig { path: String, size: u64, max: u64 },
}

/// Where the files endpoint is, from the WebSocket URL.
#[derive(Debug, Clone)]
pub struct Files {
    tls_on: bool,
    host: String,
    port: u16,
    /// What comes before `/v1/ws` in the socket's URL (a proxy's prefix).
    prefix: String,
    token: String,
    tls: ClientTls,
}

impl Files {
    /// From `ws://host:port/v1/ws` (or `wss://`).
    pub fn new(ws_url: &str, token: &str, tls: ClientTls) -> Result<Files, FileError> {
        let u = url::Url::parse(ws_url).map_err(|e| FileError::Url(format!("{ws_url}: {e}")))?;
        let tls_on = match u.scheme() {
            "ws" => false,
            "wss" => true,
            s => {
                return Err(FileError::Url(format!(
                    "{ws_url}: {s}:// is not a WebSocket URL"
                )));
            }
        };
        let host = u
            .host_str()
            .ok_or_else(|| FileError::Url(format!("{ws_url} has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = u
            .port_or_known_default()
            .unwrap_or(if tls_on { 443 } else { 80 });
        let prefix = u
            .path()
            .strip_suffix(shared::WS_PATH)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        Ok(Files {
            tls_on,
            host,
            port,
            prefix,
            token: token.to_owned(),
            tls,
        })
    }

    /// Downloads attachment `file_id` into `dir` under the name the server
    /// gives (made unique), and returns its path.
    pub async fn download(&self, file_id: &str, dir: &Path) -> Result<PathBuf, FileError> {
        let id: String = url::form_urlencoded::byte_serialize(file_id.as_bytes()).collect();
        let req = self.request("GET", &format!("{FILES_PATH}/{id}"), Bytes::new())?;
        let resp = timed(self.send(req)).await?;
        let name = resp
            .headers()
            .get(hyper::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(disposition_name)
            .unwrap_or_else(|| "attachment".into());
        let body = timed(async {
            resp.into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .map_err(|e| FileError::Io(format!("the download broke off: {e}")))
        })
        .await?;
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| FileError::Io(format!("{}: {e}", dir.display())))?;
        // Written aside, then given its name: never a half file under it,
        // and never over a file that is there already.
        let partial = dir.join(format!(".{name}.part{}", std::process::id()));
        let io = |p: &Path, e: std::io::Error| FileError::Io(format!("{}: {e}", p.display()));
        let mut f = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| io(&partial, e))?;
        // tokio writes in the background: flush before anyone reads it.
        let wrote = async {
            f.write_all(&body).await?;
            f.flush().await?;
            f.sync_all().await
        };
        if let Err(e) = wrote.await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(io(&partial, e));
        }
        loop {
            let path = unique(dir, &name);
            // hard_link fails when the name was taken meanwhile: try the next.
            match std::fs::hard_link(&partial, &path) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&partial);
                    return Ok(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(io(&path, e));
                }
            }
        }
    }

    /// Uploads the file at `path`; checks Telegram's limit first.
    pub async fn upload(&self, path: &Path) -> Result<Uploaded, FileError> {
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| FileError::Io(format!("{}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(FileError::Io(format!("{} is not a file", path.display())));
        }
        if meta.len() > MAX_UPLOAD_BYTES {
            return Err(FileError::TooBig {
                path: path.display().to_string(),
                size: meta.len(),
                max: MAX_UPLOAD_BYTES >> 20,
            });
        }
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| FileError::Io(format!("{}: {e}", path.display())))?;
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("name", &name)
            .finish();
        let req = self.request("POST", &format!("{FILES_PATH}?{q}"), Bytes::from(bytes))?;
        let resp = timed(self.send(req)).await?;
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| FileError::Io(e.to_string()))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| FileError::Io(format!("unexpected answer: {e}")))
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, FileError> {
        let host = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header(hyper::header::HOST, host)
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(hyper::header::CONTENT_LENGTH, body.len())
            .body(Full::new(body))
            .map_err(|e| FileError::Url(e.to_string()))
    }

    /// One request on its own connection; an error status becomes `Refused`.
    async fn send(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, FileError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| FileError::Connect(format!("{}:{}: {e}", self.host, self.port)))?;
        let resp = if self.tls_on {
            let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                .map_err(|e| FileError::Url(format!("{}: {e}", self.host)))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.client_config())
                .connect(name, tcp)
                .await
                .map_err(|e| FileError::Connect(format!("TLS: {e}")))?;
            exchange(tls, req).await?
        } else {
            exchange(tcp, req).await?
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let reason = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(FileError::Refused {
            status: status.as_u16(),
            reason,
        })
    }
}

/// Longest a file transfer may take.
const TRANSFER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

async fn timed<T>(
    f: impl std::future::Future<Output = Result<T, FileError>>,
) -> Result<T, FileError> {
    tokio::time::timeout(TRANSFER_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err(FileError::Connect("the transfer timed out".into())))
}

async fn exchange<S>(
    io: S,
    req: Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, FileError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| FileError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
        .send_request(req)
        .await
        .map_err(|e| FileError::Connect(e.to_string()))
}

/// The file name in a Content-Disposition header (`filename*=UTF-8''...`
/// preferred), reduced to a bare name.
fn disposition_name(v: &str) -> Option<String> {
    let star = v
        .split(';')
        .find_map(|p| p.trim().strip_prefix("filename*=UTF-8''"));
    let name = match star {
        Some(enc) => url::form_urlencoded::parse(format!("n={enc}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?,
        None => v
            .split(';')
            .find_map(|p| p.trim().strip_prefix("filename="))?
            .trim_matches('"')
            .to_owned(),
    };
    let base = name
        .rsplit(['/', '\\'])
        .next()?
        .trim()
        .trim_start_matches('.');
    (!base.is_empty()).then(|| base.to_owned())
}

/// `dir/name`, or `dir/name (2)` ... when taken.
fn unique(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.to_owned(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .expect("a free name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_server_stay_in_the_folder() {
        assert_eq!(
            disposition_name(
                "attachment; filename=\"a.pdf\"; filename*=UTF-8''%D0%B7%D0%B2%D1%96%D1%82.pdf"
            ),
            Some("звіт.pdf".into())
        );
        assert_eq!(
            disposition_name("attachment; filename=\"../../.bashrc\""),
            Some("bashrc".into())
        );
        assert_eq!(disposition_name("attachment"), None);
        let dir = std::env::temp_dir().join(format!("files-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.pdf"), "x").unwrap();
        assert_eq!(unique(&dir, "a.pdf"), dir.join("a (2).pdf"));
        assert_eq!(unique(&dir, "b.pdf"), dir.join("b.pdf"));
        std::fs::remove_dir_all(&dir).unwrap();
        let f = Files::new("wss://desk.example.com/v1/ws", "t", ClientTls::default()).unwrap();
        assert_eq!((f.port, f.tls_on, f.prefix.as_str()), (443, true, ""));
        // Behind a proxy under a prefix, files are under it too.
        let f = Files::new("wss://x.example/desk/v1/ws", "t", ClientTls::default()).unwrap();
        assert_eq!(f.prefix, "/desk");
        assert!(Files::new("http://x/v1/ws", "t", ClientTls::default()).is_err());
    }
}

//! The web client: the files of `--web-dir` served at `/`, with a strict
//! Content-Security-Policy. Paths without a file extension that match no file get
//! `index.html`, so that the client's own routes survive a reload.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Everything from this origin, nothing inline, no plugins, no framing: other participants'
/// text can never run as code, even if a bug rendered it as HTML.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; \
    font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// `--web-dir`: where the built web client's files are.
#[derive(Clone)]
pub struct WebDir(pub Arc<Path>);

/// Answers what no other route matched: a file of the web client, or a JSON 404.
pub async fn serve(State(WebDir(web_dir)): State<WebDir>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let no_endpoint = || ApiError::not_found("not_found", "no such endpoint").into_response();
    if !matches!(method, Method::GET | Method::HEAD)
        || path.starts_with("/api/")
        || path.starts_with("/ws/")
    {
        return no_endpoint();
    }
    let Some(relative) = safe_relative(path) else {
        return no_endpoint();
    };
    let file = web_dir.join(&relative);
    if let Ok(bytes) = tokio::fs::read(&file).await {
        return file_response(&relative, bytes);
    }
    if relative.extension().is_some() {
        return no_endpoint();
    }
    match tokio::fs::read(web_dir.join("index.html")).await {
        Ok(bytes) => file_response(Path::new("index.html"), bytes),
        Err(_) => ApiError::not_found(
            "web_client_not_built",
            format!(
                "the web client is not built in {}: run `npm ci && npm run build` in web-client/ (make run does this)",
                web_dir.display()
            ),
        )
        .into_response(),
    }
}

/// The request path as a path inside the web directory: no `..`, no hidden files.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let trimmed = path.trim_start_matches('/');
    let relative = if trimmed.is_empty() {
        PathBuf::from("index.html")
    } else {
        PathBuf::from(trimmed)
    };
    let safe = relative.components().all(|c| match c {
        Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
        _ => false,
    });
    safe.then_some(relative)
}

fn file_response(path: &Path, bytes: Vec<u8>) -> Response {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let content_type = match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    // Vite names built assets by content hash: they never change under the same name.
    let cache = if path.starts_with("assets") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

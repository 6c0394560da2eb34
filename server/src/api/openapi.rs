//! `GET /api/openapi.json`: the OpenAPI 3.1 description of this API, so that an integrator
//! (a participation portal, a CMS embedding a session) generates a client instead of writing
//! one by hand. The description is `openapi.json` beside this file, kept by hand; the server
//! tests validate every answer they get against it and hold its paths to the router's, so it
//! cannot drift from what the server does (server/README.md, "OpenAPI").

use std::sync::LazyLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The description as kept in the repository; its `info.version` is filled in when served.
pub const DESCRIPTION: &str = include_str!("openapi.json");

/// The served document and its entity tag, made once.
struct Served {
    body: String,
    etag: HeaderValue,
}

static SERVED: LazyLock<Served> = LazyLock::new(|| {
    let mut document: serde_json::Value =
        serde_json::from_str(DESCRIPTION).expect("openapi.json is JSON (the tests parse it)");
    document["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    let body = document.to_string();
    let digest = Sha256::digest(body.as_bytes());
    let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header value");
    Served { body, etag }
});

/// `GET /api/openapi.json`, without a token. `no-cache` with an `ETag`: clients revalidate
/// (a 304 costs nothing) and so never keep a description older than the server they talk to.
pub async fn openapi(headers: HeaderMap) -> Response {
    let served = &*SERVED;
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (ETAG, served.etag.clone()),
    ];
    if fresh(&headers, &served.etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let json = (CONTENT_TYPE, HeaderValue::from_static("application/json"));
    (cache, [json], served.body.clone()).into_response()
}

/// Whether `If-None-Match` names `etag` (or `*`): the client's copy is current.
fn fresh(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(Ok(tags)) = headers.get(IF_NONE_MATCH).map(HeaderValue::to_str) else {
        return false;
    };
    let etag = etag.to_str().unwrap_or_default();
    tags.split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

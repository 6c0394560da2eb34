//! `GET /api/openapi.json`: the OpenAPI 3.1 description of this API, so that an integrator
//! (a participation portal, a CMS embedding a session) generates a client instead of writing
//! one by hand. The description is `openapi.json` beside this file, kept by hand; the server
//! tests validate every answer they get against it and hold its paths to the router's, so it
//! cannot drift from what the server does (server/README.md, "OpenAPI").

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use super::revalidate::{etag_of, revalidated};

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
    let etag = etag_of(&body);
    Served { body, etag }
});

/// `GET /api/openapi.json`, without a token. `no-cache` with an `ETag`: clients revalidate
/// (a 304 costs nothing) and so never keep a description older than the server they talk to.
pub async fn openapi(headers: HeaderMap) -> Response {
    let served = &*SERVED;
    revalidated(
        &headers,
        "no-cache",
        served.etag.clone(),
        served.body.clone(),
    )
}

//! Answers that caches keep and revalidate: an entity tag (a hash of the body) and a
//! `Cache-Control`; a request whose `If-None-Match` names the tag gets `304 Not Modified`
//! without the body. For what is read without a token and often: the API description,
//! receipts and published results.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The entity tag of a body: a strong tag, the start of its SHA-256.
pub fn etag_of(body: &str) -> HeaderValue {
    let digest = Sha256::digest(body.as_bytes());
    let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header value")
}

/// A JSON `body` with its entity tag and `cache_control`, or 304 when the client's copy is it.
pub fn revalidated(
    headers: &HeaderMap,
    cache_control: &'static str,
    etag: HeaderValue,
    body: String,
) -> Response {
    let fresh = fresh(headers, &etag);
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static(cache_control)),
        (ETAG, etag),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let json = (CONTENT_TYPE, HeaderValue::from_static("application/json"));
    (cache, [json], body).into_response()
}

/// [`revalidated`] of a JSON value.
pub fn revalidated_json(
    headers: &HeaderMap,
    cache_control: &'static str,
    value: &serde_json::Value,
) -> Response {
    let body = value.to_string();
    revalidated(headers, cache_control, etag_of(&body), body)
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

//! Creating rooms over HTTP before anyone joins, for servers whose clients are expected to do
//! so (y-sweet: `POST /doc/new {"docId"}`): y-sweet creates a document on a WebSocket's first
//! connection too, but concurrent first connections to one room can end up on different copies.
//! A bare HTTP/1.1 request on loopback: not worth an HTTP client dependency.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a room could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("room creation URL must be http://HOST:PORT/PATH, got {0}")]
    Url(String),
    #[error("creating room {room}: {source}")]
    Io {
        room: String,
        source: std::io::Error,
    },
    #[error("creating room {room}: the server answered {status}")]
    Refused { room: String, status: String },
}

/// POSTs `{"docId": room}` to `url` for each room.
pub async fn create_rooms(url: &str, rooms: &[String]) -> Result<(), CreateError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| CreateError::Url(url.into()))?;
    let (host, path) = rest
        .split_once('/')
        .ok_or_else(|| CreateError::Url(url.into()))?;
    for room in rooms {
        let io = |source| CreateError::Io {
            room: room.clone(),
            source,
        };
        let body = serde_json::json!({ "docId": room }).to_string();
        let request = format!(
            "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(host).await.map_err(io)?;
        stream.write_all(request.as_bytes()).await.map_err(io)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.map_err(io)?;
        let status = answer.lines().next().unwrap_or_default();
        if !status.contains(" 200 ") {
            return Err(CreateError::Refused {
                room: room.clone(),
                status: status.to_owned(),
            });
        }
    }
    Ok(())
}

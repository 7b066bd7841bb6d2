//! A loopback server whose answers never end, for the response-size limits. Include with
//! `#[path = "support/oversized_server.rs"] mod oversized_server;`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves, to every request, a body that never ends (chunked, 16 KiB chunks of spaces: valid
/// JSON padding, so only the size limit can stop a reader) or that declares `declared` bytes.
/// Returns `http://127.0.0.1:PORT` and the server task (abort it when done).
pub async fn oversized_server(declared: Option<usize>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = conn.read(&mut buf).await;
                let head = match declared {
                    Some(n) => format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n"),
                    None => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
                };
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
                while conn.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    (url, task)
}

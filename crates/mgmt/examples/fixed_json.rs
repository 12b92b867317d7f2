//! The benchmark's reference server: one axum route, `GET /fixed`, answering a fixed small JSON
//! object about the size of a property. `bench/run.sh` compares the management API against it.
//!
//! Usage: `fixed_json [ADDR]` (default 127.0.0.1:8290). Prints one line when ready.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

const BODY: &str = r#"{"id":"/properties/p1","name":"p1","value":"v","secret":false}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8290".to_owned());
    let app = Router::new().route(
        "/fixed",
        get(|| async { ([(CONTENT_TYPE, "application/json")], BODY) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("fixed_json: http://{}/fixed", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

//! A small TCP echo server that shuts down gracefully on Ctrl-C or `SIGTERM`: it stops
//! accepting, lets the open connections finish (for up to 5 s), and writes its statistics
//! before the process ends, by the signal, as a supervisor expects.
//!
//! ```text
//! cargo run --example tcp_server            # prints the address it listens on
//! nc 127.0.0.1 PORT                         # in another terminal; type lines, they echo
//! kill -TERM PID                            # or Ctrl-C in the server's terminal
//! ```
//!
//! With `graceful`, the first signal does not start the cleanup: `on_exit::signalled()`
//! resolves, `main` does its async teardown, and the synchronous cleanup runs once `main`
//! has returned. A second Ctrl-C skips the wait; the `timeout` bounds it.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use on_exit::{on_exit, Reason};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Where the server tells its address (for scripts and the example's test).
fn address_file() -> std::path::PathBuf {
    std::env::var_os("TCP_SERVER_ADDRESS_FILE").map_or_else(
        || std::env::temp_dir().join(format!("on-exit-tcp-{}.addr", std::process::id())),
        Into::into,
    )
}

#[tokio::main]
#[on_exit(cleanup, graceful, timeout = "10s")]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    std::fs::write(address_file(), address.to_string())?;
    println!("listening on {address}; Ctrl-C or SIGTERM to stop");

    let echoed = Arc::new(AtomicU64::new(0));
    let mut connections = JoinSet::new();
    let stop = on_exit::signalled();
    tokio::pin!(stop);
    let signal = loop {
        tokio::select! {
            signal = &mut stop => break signal,
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                connections.spawn(echo(stream, Arc::clone(&echoed)));
            }
        }
    };
    drop(listener); // stop accepting
    eprintln!("{signal}: draining {} connection(s)", connections.len());
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!("some connections did not finish in time; closing them");
    }
    let stats = format!("echoed {} bytes\n", echoed.load(Ordering::Relaxed));
    std::fs::write(address_file().with_extension("stats"), stats)?;
    Ok(())
}

async fn echo(mut stream: TcpStream, echoed: Arc<AtomicU64>) {
    let mut buffer = [0_u8; 1024];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 || stream.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        echoed.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Runs after `main` returned (or when the timeout cut it off): synchronous, so it also
/// works on the `exit` path, where nothing can be awaited.
fn cleanup(reason: Reason) {
    let _ = std::fs::remove_file(address_file());
    let _ = writeln!(std::io::stderr(), "server stopped ({reason})");
}

//! `ticketd probe`: a container health check that needs no HTTP client in the image.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context as _;

/// How long the probe waits for each step.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Asks `GET path` of the ticketd listening on `listen` (an unspecified address such as
/// `0.0.0.0` is reached on loopback) and succeeds when it answers 200.
pub fn probe(listen: SocketAddr, path: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        path.starts_with('/') && !path.contains(char::is_whitespace),
        "the probe path must start with `/` and contain no space"
    );
    let address = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), listen.port())
        }
        _ => listen,
    };
    let mut stream = TcpStream::connect_timeout(&address, PROBE_TIMEOUT)
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT))?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0_u8; 32];
    let read = stream.read(&mut head)?;
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    anyhow::ensure!(status == "200", "{path} answered {status}");
    Ok(())
}

//! A web unit's listener, from the program's [`WebSetup`]: the step every web unit's `build`
//! starts with.

use modt::unit::{BuildError, WebSetup};
use tokio::net::TcpListener;

use super::{bind, public_url, BindError};

/// Binds the web side of `unit`, whose default port is `default_port` (moved by `modt up
/// --web-port`, replaced by `--http-addr`), and returns it with the URL browsers use.
pub async fn listen(
    unit: &str,
    web: &WebSetup,
    default_port: u16,
) -> Result<(TcpListener, String), BuildError> {
    let addr = web.listen_addr(default_port);
    let listener = bind(&addr).await.map_err(|e| match e {
        BindError::Io { addr, source } => BuildError::Listen {
            unit: unit.to_owned(),
            addr,
            source,
        },
    })?;
    let url = public_url(&listener, web.public_url.as_deref());
    Ok((listener, url))
}

//! The emulator as a command: its options and its serve loop, shared by the
//! `codearts-emulator` binary and `codearts emulator`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Emulator, EmulatorHandle, Faults, Fixture};

/// The options of the emulator command.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// JSON fixture with accounts and seed data (default: the built-in demo account).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// A fault rule `ROUTE=KIND[:PROBABILITY]`, e.g. `run_pipeline=503:0.5`; repeatable.
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<String>,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Lifetime of issued IAM tokens, in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub token_lifetime: Option<u64>,
    /// How many requests the in-memory request log keeps (the newest; 0 keeps none).
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_LOG_CAPACITY)]
    pub log_capacity: usize,
    /// Most connections open at once; further clients wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a request head may take before its connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// The largest request body read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = crate::DEFAULT_MAX_BODY_SIZE >> 20)]
    pub max_body_mib: usize,
    /// MiB of bodies held at once for requests not authenticated yet.
    #[arg(long, value_name = "MIB", default_value_t = crate::DEFAULT_UNAUTHENTICATED_BODY_BUDGET >> 20)]
    pub unauthenticated_body_budget_mib: usize,
    /// Keep the state in a SQLite database in DIR and load it at start (default: in memory).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Open the web console (`/_console`) to clients that give this password with HTTP Basic
    /// authentication (default: loopback clients only, no password).
    #[arg(long, value_name = "PASSWORD")]
    pub console_password: Option<String>,
    /// Serve HTTPS with a certificate made at start for 127.0.0.1, ::1 and localhost.
    #[arg(long)]
    pub tls: bool,
    /// Where to write the CA certificate (PEM) of `--tls` (default: a file in the temporary
    /// directory, named on stderr).
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub tls_ca_out: Option<PathBuf>,
}

impl ServeArgs {
    /// Starts an emulator with these options.
    pub async fn start(&self) -> Result<EmulatorHandle, String> {
        let fixture = match &self.fixture {
            Some(path) => Fixture::from_file(path)?,
            None => Fixture::demo(),
        };
        let mut faults = Faults::none().seed(self.seed);
        for rule in &self.faults {
            faults = faults.parse_rule(rule)?;
        }
        let mut builder = Emulator::builder()
            .fixture(fixture)
            .faults(faults)
            .listen(self.listen)
            .log_capacity(self.log_capacity)
            .max_connections(self.max_connections)
            .header_read_timeout(Duration::from_secs(self.header_timeout))
            .idle_timeout(Duration::from_secs(self.idle_timeout))
            .max_body_size(self.max_body_mib.saturating_mul(1 << 20))
            .unauthenticated_body_budget(
                self.unauthenticated_body_budget_mib.saturating_mul(1 << 20),
            );
        if let Some(secs) = self.token_lifetime {
            builder = builder.token_lifetime(Duration::from_secs(secs));
        }
        if let Some(password) = &self.console_password {
            builder = builder.console_password(password.clone());
        }
        if let Some(dir) = &self.state_dir {
            builder = builder.state_dir(dir);
        }
        if self.tls {
            let tls = crate::tls::Tls::generate().map_err(|e| e.to_string())?;
            // The CA goes where it was asked, else beside the state, else in the temporary
            // directory.
            let path = self
                .tls_ca_out
                .clone()
                .unwrap_or_else(|| match &self.state_dir {
                    Some(dir) => dir.join("ca.pem"),
                    None => std::env::temp_dir()
                        .join(format!("codearts-emulator-{}-ca.pem", std::process::id())),
                });
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "cannot create {} for the CA certificate: {e}",
                        dir.display()
                    )
                })?;
            }
            tls.write_ca(&path).map_err(|e| {
                format!("cannot write the CA certificate to {}: {e}", path.display())
            })?;
            // stdout's first line stays the URL; the CA's place goes to stderr.
            eprintln!("TLS CA certificate: {}", path.display());
            builder = builder.tls(tls);
        }
        builder.start().await.map_err(|e| match e.kind() {
            std::io::ErrorKind::Other => e.to_string(),
            _ => format!("cannot listen on {}: {e}", self.listen),
        })
    }

    /// Serves until Ctrl-C. The first line on stdout is the URL, for scripts that start it.
    pub async fn serve(&self) -> Result<(), String> {
        let handle = self.start().await?;
        println!("{}", handle.url());
        eprintln!("web console: {}/_console", handle.url());
        tracing::info!(url = %handle.url(), "serving CodeArts Pipeline, CodeArts Build and IAM");
        let _ = tokio::signal::ctrl_c().await;
        handle.shutdown().await;
        Ok(())
    }
}

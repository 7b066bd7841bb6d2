//! `freshcreds-sim`: runs the local AWS simulator until killed.

use std::io::Write;
use std::time::Duration;

use freshcreds_sim::tls::NetworkOptions;
use freshcreds_sim::{SimConfig, SimSettings, Simulator};

const USAGE: &str = "\
Usage: freshcreds-sim [OPTIONS]

Runs a local AWS simulator (IMDS, STS, container credentials, AWS Sign-In, admin API under
/_sim/) on 127.0.0.1 until killed. Prints `freshcreds-sim listening on http://127.0.0.1:PORT`
when ready.

Options:
  --port N               port to bind (default 0: an ephemeral port)
  --lifetime SECS        lifetime of minted credentials (default 3600)
  --rotation-lead SECS   IMDS mints new credentials this long before expiry (default 300)
  --port-file PATH       also write the bound port to PATH
  --imds-v1-disabled     reject IMDS requests without a session token (401)
  --container-auth VALUE require this Authorization header on /container/ requests
  --role NAME            IAM role name served by IMDS (default freshcreds-sim-role)
  --clock-skew SECS      run the simulator clock SECS ahead (negative: behind) of real time:
                         Date headers, the SigV4 window and expiry move with it
  --sts-accepts-expired  STS accepts credentials past their expiration (an IMDS outage)
  --tls-front            also serve the simulator over TLS on another port, with a certificate
                         from a private CA made at start (a TLS-inspecting proxy); prints
                         `freshcreds-sim TLS front on https://127.0.0.1:PORT`
  --tls-name NAME        the front's certificate is also valid for NAME (a host name or an
                         address; repeatable; always 127.0.0.1 and localhost)
  --ca-file PATH         write the private CA's certificate (PEM) to PATH
  --connect-proxy        run an HTTP CONNECT proxy that tunnels every CONNECT to the TLS front
                         (to the simulator without one), whatever host it names; prints
                         `freshcreds-sim CONNECT proxy on http://127.0.0.1:PORT`
  --proxy-auth USER:PASSWORD
                         the proxy answers 407 to a CONNECT without these Basic credentials
  -h, --help             print this help

Admin API (JSON): GET /_sim/health, GET /_sim/counts, GET /_sim/network (the TLS front, the
proxy, the CA file and their counters), GET /_sim/now,
POST /_sim/faults/<endpoint> (a fault), POST /_sim/sequences/<endpoint> (an array of faults,
one per request), DELETE /_sim/faults, GET|POST /_sim/settings
({\"clock_skew_secs\": N, \"sts_accepts_expired\": true}), POST /_sim/advance?seconds=N,
POST /_sim/rotate, POST /_sim/reset, POST /_sim/login/sessions (a new `aws login` session: its
cache document). Endpoints: imds_token, imds_role_list, imds_credentials, sts, container,
signin_token (AWS Sign-In POST /v1/token). The crate documentation describes every field.

Logs go to stderr (RUST_LOG, default info).
";

struct Parsed {
    config: SimConfig,
    settings: SimSettings,
    port_file: Option<String>,
    network: NetworkOptions,
}

fn parse_args(args: &[String]) -> Result<Option<Parsed>, String> {
    let mut config = SimConfig::default();
    let mut settings = SimSettings::default();
    let mut port_file = None;
    let mut network = NetworkOptions::default();
    let mut it = args.iter();
    let secs = |v: Option<&String>, flag: &str| -> Result<u64, String> {
        v.ok_or_else(|| format!("{flag} needs a value"))?
            .parse::<u64>()
            .map_err(|_| format!("{flag} needs a non-negative integer"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = secs(it.next(), "--port")?;
                config.port = u16::try_from(v).map_err(|_| "--port must be at most 65535")?;
            }
            "--lifetime" => {
                config.credential_lifetime = Duration::from_secs(secs(it.next(), "--lifetime")?)
            }
            "--rotation-lead" => {
                config.imds_rotation_lead = Duration::from_secs(secs(it.next(), "--rotation-lead")?)
            }
            "--port-file" => {
                port_file = Some(it.next().ok_or("--port-file needs a value")?.clone());
            }
            "--imds-v1-disabled" => config.imds_v1_disabled = true,
            "--container-auth" => {
                config.container_auth_token =
                    Some(it.next().ok_or("--container-auth needs a value")?.clone());
            }
            "--role" => config.role_name = it.next().ok_or("--role needs a value")?.clone(),
            "--clock-skew" => {
                settings.clock_skew_secs = it
                    .next()
                    .ok_or("--clock-skew needs a value")?
                    .parse::<i64>()
                    .map_err(|_| "--clock-skew needs an integer number of seconds")?;
            }
            "--sts-accepts-expired" => settings.sts_accepts_expired = true,
            "--tls-front" => network.tls_front = true,
            "--tls-name" => network
                .tls_names
                .push(it.next().ok_or("--tls-name needs a value")?.clone()),
            "--ca-file" => {
                network.ca_file = Some(it.next().ok_or("--ca-file needs a value")?.into());
            }
            "--connect-proxy" => network.connect_proxy = true,
            "--proxy-auth" => {
                let v = it.next().ok_or("--proxy-auth needs a value")?;
                let (user, password) = v
                    .split_once(':')
                    .ok_or("--proxy-auth needs USER:PASSWORD")?;
                network.proxy_auth = Some((user.to_string(), password.to_string()));
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Some(Parsed {
        config,
        settings,
        port_file,
        network,
    }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Parsed {
        config,
        settings,
        port_file,
        network,
    } = match parse_args(&args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("freshcreds-sim: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let sim = match Simulator::start_blocking(config) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("freshcreds-sim: cannot start: {e}");
            std::process::exit(1);
        }
    };
    sim.set_settings(settings);
    let peers = match sim.start_network(&network) {
        Ok(peers) => peers,
        Err(e) => {
            eprintln!("freshcreds-sim: cannot start the TLS front or the proxy: {e}");
            std::process::exit(1);
        }
    };
    if let Some(path) = port_file {
        // Write then rename, so a reader never sees a partial file.
        let tmp = format!("{path}.tmp");
        let written = std::fs::write(&tmp, sim.port().to_string())
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            eprintln!("freshcreds-sim: cannot write port file {path}: {e}");
            std::process::exit(1);
        }
    }
    let mut out = std::io::stdout().lock();
    // Before the ready line, so a reader has every address when it sees that.
    if let Some(front) = peers.front() {
        let _ = writeln!(out, "freshcreds-sim TLS front on {}", front.url());
    }
    if let Some(path) = &network.ca_file {
        let _ = writeln!(out, "freshcreds-sim CA certificate in {}", path.display());
    }
    if let Some(proxy) = peers.proxy() {
        let _ = writeln!(out, "freshcreds-sim CONNECT proxy on {}", proxy.url());
    }
    let _ = writeln!(out, "freshcreds-sim listening on {}", sim.base_url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

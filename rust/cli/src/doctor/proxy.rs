//! Proxy variables that would capture IMDS requests.

use std::net::Ipv4Addr;

use freshcreds::sources::imds::PROXY_ENV_VARS;

use crate::output::Check;
use freshcreds::env::Env;

/// The IMDS address proxies must not capture.
pub(crate) const IMDS_IPV4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// Shows a proxy URL without credentials (`user:password@` is dropped).
fn redact_proxy(value: &str) -> String {
    match url::Url::parse(value.trim()) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => "(set)".to_string(),
        },
        Err(_) => {
            // `host:port` without a scheme.
            let v = value.trim();
            match v.rsplit_once('@') {
                Some((_, host)) => host.to_string(),
                None => v.to_string(),
            }
        }
    }
}

/// Whether a `NO_PROXY` value exempts `ip`: `*`, the address itself, or a CIDR block holding it.
pub(crate) fn no_proxy_covers(no_proxy: &str, ip: Ipv4Addr) -> bool {
    no_proxy.split([',', ' ']).map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('.');
        if let Ok(addr) = entry.parse::<Ipv4Addr>() {
            return addr == ip;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            if let (Ok(net), Ok(bits)) = (net.parse::<Ipv4Addr>(), bits.parse::<u32>()) {
                if bits > 32 {
                    return false;
                }
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                return u32::from(net) & mask == u32::from(ip) & mask;
            }
        }
        false
    })
}

/// Proxy variables that would send IMDS requests through a proxy.
pub(crate) fn proxy_checks(env: &Env) -> Vec<Check> {
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .filter_map(|n| env.get_non_blank(n).map(|v| (*n, v)))
        .collect::<Vec<_>>();
    let covered = no_proxy.iter().any(|(_, v)| no_proxy_covers(v, IMDS_IPV4));
    let set: Vec<(&str, String)> = PROXY_ENV_VARS
        .iter()
        .filter_map(|n| env.get_non_blank(n).map(|v| (*n, v)))
        .collect();
    if set.is_empty() {
        return vec![Check::ok("proxy", "no proxy variable is set")];
    }
    if covered {
        let (name, _) = no_proxy
            .iter()
            .find(|(_, v)| no_proxy_covers(v, IMDS_IPV4))
            .expect("covered");
        return vec![Check::ok(
            "proxy",
            format!("{name} exempts {IMDS_IPV4} from the proxy variables"),
        )];
    }
    set.into_iter()
        .map(|(name, value)| {
            Check::warn(
                "proxy",
                format!(
                    "{name}={} would send requests for IMDS ({IMDS_IPV4}) through the proxy in tools \
                     that honour it (freshcreds itself never proxies IMDS): the proxy refuses the \
                     IMDSv2 token PUT or answers for another host",
                    redact_proxy(&value)
                ),
                format!(
                    "add {IMDS_IPV4} to NO_PROXY (e.g. export NO_PROXY={IMDS_IPV4},169.254.170.2,$NO_PROXY)"
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Level;

    #[test]
    fn no_proxy_entries_cover_imds_by_address_cidr_or_wildcard() {
        assert!(no_proxy_covers("localhost,169.254.169.254", IMDS_IPV4));
        assert!(no_proxy_covers("169.254.0.0/16", IMDS_IPV4));
        assert!(no_proxy_covers("*", IMDS_IPV4));
        assert!(!no_proxy_covers(
            "localhost,10.0.0.0/8,.internal",
            IMDS_IPV4
        ));
        assert!(!no_proxy_covers("169.254.170.2", IMDS_IPV4));
    }

    #[test]
    fn proxy_credentials_never_appear_in_findings() {
        let env = Env::from_map([("HTTPS_PROXY", "http://user:hunter2@proxy.corp:3128")]);
        let checks = proxy_checks(&env);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].level, Level::Warn);
        assert!(
            checks[0]
                .message
                .contains("HTTPS_PROXY=http://proxy.corp:3128"),
            "{}",
            checks[0].message
        );
        assert!(!format!("{checks:?}").contains("hunter2"));
        let env = Env::from_map([
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "169.254.169.254"),
        ]);
        assert_eq!(proxy_checks(&env)[0].level, Level::Ok);
    }
}

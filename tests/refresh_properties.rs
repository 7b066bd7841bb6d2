//! Property tests of the refresh state machine: random source scripts (new, unchanged, expired
//! answers, every kind of error) and random clock moves (on time, late as after a suspend, wall
//! clock jumps), checked against the invariants the README states.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use freshcreds::refresh::{
    RefreshConfig, RefreshState, MAX_ROUNDS_PER_HOUR, MAX_TRUSTED_DATE_SKEW, STALE_RETRY_CAP,
};
use freshcreds::sources::Fetched;
use freshcreds::{Credentials, Error, ErrorKind};
use proptest::prelude::*;

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
enum Answer {
    /// New credentials with one of the lifetimes below.
    Fresh(usize),
    /// The credentials of the previous answer.
    Same,
    /// Credentials already expired.
    Expired,
    /// An error of one of the kinds below.
    Fail(usize),
}

const LIFETIMES: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];

const KINDS: [ErrorKind; 8] = [
    ErrorKind::Connect,
    ErrorKind::Timeout,
    ErrorKind::Http(503),
    ErrorKind::Throttled,
    ErrorKind::Refused,
    ErrorKind::Http(403),
    ErrorKind::Parse,
    ErrorKind::Internal,
];

#[derive(Debug, Clone)]
enum Move {
    /// Time moves to the engine's next check.
    OnTime,
    /// The engine wakes this many seconds late (a suspend and resume).
    Late(u64),
    /// The local wall clock jumps by this many seconds (NTP, a wrong clock).
    WallJump(i64),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        3 => (0..LIFETIMES.len()).prop_map(Answer::Fresh),
        3 => Just(Answer::Same),
        1 => Just(Answer::Expired),
        3 => (0..KINDS.len()).prop_map(Answer::Fail),
    ]
}

fn failure() -> impl Strategy<Value = Answer> {
    prop_oneof![
        2 => Just(Answer::Same),
        1 => Just(Answer::Expired),
        3 => (0..KINDS.len()).prop_map(Answer::Fail),
    ]
}

fn clock_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        8 => Just(Move::OnTime),
        1 => (1u64..7200).prop_map(Move::Late),
        1 => (-600i64..600).prop_map(Move::WallJump),
    ]
}

/// The state machine with a source and a clock around it, as the driver runs it.
struct Sim {
    state: RefreshState,
    now: Duration,
    origin: DateTime<Utc>,
    /// Local wall clock minus true time, kept within the trusted-Date bound.
    wall_offset: chrono::Duration,
    issued: u32,
    last: Option<Credentials>,
    /// (time, whether new credentials were accepted) per round.
    rounds: Vec<(Duration, bool)>,
}

impl Sim {
    fn new(config: RefreshConfig) -> Sim {
        Sim {
            state: RefreshState::new(config),
            now: Duration::from_secs(1),
            origin: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
            wall_offset: chrono::Duration::zero(),
            issued: 0,
            last: None,
            rounds: Vec::new(),
        }
    }

    fn true_wall(&self) -> DateTime<Utc> {
        self.origin + chrono::Duration::from_std(self.now).unwrap()
    }

    fn wall(&self) -> DateTime<Utc> {
        self.true_wall() + self.wall_offset
    }

    /// Moves time as `mv` says (to the next check at least).
    fn step(&mut self, mv: &Move) {
        let next = self.state.next_check(self.now).unwrap_or(self.now + HOUR);
        match mv {
            Move::OnTime => self.now = next.max(self.now),
            Move::Late(s) => self.now = next.max(self.now) + Duration::from_secs(*s),
            Move::WallJump(s) => {
                let limit = (MAX_TRUSTED_DATE_SKEW.as_secs() / 2) as i64;
                let o = (self.wall_offset.num_seconds() + s).clamp(-limit, limit);
                self.wall_offset = chrono::Duration::seconds(o);
            }
        }
    }

    /// Runs a round when one is due, answering `a`. Returns whether a round ran.
    fn maybe_round(&mut self, a: &Answer) -> bool {
        if self.state.due(self.now).is_none() {
            return false;
        }
        self.state.start_round();
        let server = self.true_wall();
        let creds = match a {
            Answer::Fresh(i) => {
                self.issued += 1;
                Some(Credentials::new(
                    format!("ASIAPROP{:06}", self.issued),
                    "secret",
                    Some("token".into()),
                    Some(server + chrono::Duration::from_std(LIFETIMES[*i]).unwrap()),
                    "Prop",
                ))
            }
            Answer::Same => self.last.clone(),
            Answer::Expired => Some(Credentials::new(
                "ASIAEXPIRED",
                "secret",
                Some("token".into()),
                Some(server - chrono::Duration::seconds(30)),
                "Prop",
            )),
            Answer::Fail(_) => None,
        };
        let before = self
            .state
            .entry()
            .map(|e| e.credentials.access_key_id().to_string());
        let wall = self.wall();
        match creds {
            None => {
                let kind = match a {
                    Answer::Fail(k) => KINDS[*k],
                    _ => ErrorKind::Connect, // `Same` before any credentials
                };
                self.state
                    .on_failed(self.now, &Error::new(kind, "scripted failure"));
            }
            Some(c) => {
                if !matches!(a, Answer::Expired) {
                    self.last = Some(c.clone());
                }
                self.state.on_fetched(
                    self.now,
                    wall,
                    Fetched {
                        credentials: c,
                        server_date: Some(server),
                    },
                );
            }
        }
        let after = self
            .state
            .entry()
            .map(|e| e.credentials.access_key_id().to_string());
        let accepted = after.is_some() && after != before && !matches!(a, Answer::Expired);
        self.rounds.push((self.now, accepted));
        true
    }

    /// The engine serves credentials as valid only while they are valid on true time.
    fn check_never_valid_past_true_expiry(&self) -> Result<(), TestCaseError> {
        if let Some(e) = self.state.entry() {
            if e.is_valid_at(self.now) {
                if let Some(exp) = e.credentials.expiration() {
                    prop_assert!(
                        self.true_wall() < exp,
                        "served as valid at {} but expired at {exp}",
                        self.true_wall()
                    );
                }
            }
        }
        Ok(())
    }

    /// The most rounds in any hour-long window that saw no new credentials.
    fn max_rounds_in_an_hour_without_new_credentials(&self) -> usize {
        let mut worst = 0;
        for (i, (start, _)) in self.rounds.iter().enumerate() {
            let window: Vec<_> = self.rounds[i..]
                .iter()
                .take_while(|(t, _)| *t < *start + HOUR)
                .collect();
            if window.iter().all(|(_, accepted)| !accepted) {
                worst = worst.max(window.len());
            }
        }
        worst
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the source answers and however the clock moves, credentials are never served
    /// as valid past their real expiry, and no hour without new credentials sees more than
    /// MAX_ROUNDS_PER_HOUR rounds.
    #[test]
    fn never_valid_past_expiry_and_rounds_per_hour_are_bounded(
        script in prop::collection::vec(answer(), 1..40),
        moves in prop::collection::vec(clock_move(), 1..40),
        steps in 200usize..1500,
    ) {
        let mut sim = Sim::new(RefreshConfig::default());
        let mut round = 0;
        for i in 0..steps {
            sim.step(&moves[i % moves.len()]);
            if sim.maybe_round(&script[round % script.len()]) {
                round += 1;
            }
            sim.check_never_valid_past_true_expiry()?;
        }
        let worst = sim.max_rounds_in_an_hour_without_new_credentials();
        prop_assert!(
            worst <= MAX_ROUNDS_PER_HOUR as usize,
            "{worst} rounds in an hour without new credentials (bound {MAX_ROUNDS_PER_HOUR})"
        );
    }

    /// A source that fails in any way and then recovers is asked again in time: before the
    /// expiry when it recovered before the mandatory window, else within STALE_RETRY_CAP.
    #[test]
    fn a_recovered_source_is_asked_before_expiry_or_soon_after(
        lifetime in 0..LIFETIMES.len(),
        failures in prop::collection::vec(failure(), 1..20),
        recover_frac in 0.0f64..1.3,
    ) {
        let mut sim = Sim::new(RefreshConfig::default());
        prop_assert!(sim.maybe_round(&Answer::Fresh(lifetime)));
        let first = sim.state.entry().unwrap().clone();
        let expires_at = first.expires_at.unwrap();
        let window_starts = expires_at - first.mandatory_window();
        let recover_at = sim.now + LIFETIMES[lifetime].mul_f64(recover_frac);
        let deadline = if recover_at <= window_starts {
            expires_at
        } else {
            recover_at + STALE_RETRY_CAP + Duration::from_secs(1)
        };
        let mut k = 0;
        loop {
            sim.step(&Move::OnTime);
            let a = if sim.now >= recover_at { Answer::Fresh(lifetime) } else { failures[k % failures.len()].clone() };
            if sim.maybe_round(&a) {
                k += 1;
            }
            let replaced = sim.state.entry().unwrap().credentials.access_key_id() != first.credentials.access_key_id()
                && sim.state.entry().unwrap().is_valid_at(sim.now);
            if replaced {
                prop_assert!(sim.now < deadline || sim.now == deadline && deadline != expires_at);
                break;
            }
            prop_assert!(
                sim.now < deadline,
                "recovered at {recover_at:?}, expiry {expires_at:?}, still not replaced at {:?}",
                sim.now
            );
        }
    }
}

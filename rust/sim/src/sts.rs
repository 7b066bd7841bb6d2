//! STS over the query protocol (form-encoded POST or GET query, XML answers), with SigV4
//! verification of signed actions.

// Errors here are the HTTP answers to send, built at most once per request: boxing buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use http::header::HeaderValue;
use http::{Method, StatusCode};

use crate::server::{respond, Req, Resp};
use crate::sigv4::{expected_signature, format_amz_date, parse_amz_date, Authorization};
use crate::state::{iso, request_id, Decision, Shared};
use crate::{AssumeRoleCall, IssuedCredentials};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// How far from the server's clock a SigV4 signature may be (AWS: 5 minutes).
pub const MAX_SKEW_MINUTES: i64 = 5;

/// The message real STS answers with for credentials past their expiration.
pub(crate) const EXPIRED_TOKEN_MESSAGE: &str =
    "The security token included in the request is expired";
const INVALID_TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_response(status: StatusCode, body: String, rid: &str) -> Resp {
    let mut resp = respond(status, "text/xml", body);
    if let Ok(v) = HeaderValue::from_str(rid) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

/// An STS error document (`ErrorResponse/Error/{Type,Code,Message}`, `RequestId`).
pub(crate) fn error_response(status: StatusCode, kind: &str, code: &str, message: &str) -> Resp {
    let rid = request_id();
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    \
         <Message>{}</Message>\n  </Error>\n  <RequestId>{rid}</RequestId>\n</ErrorResponse>\n",
        xml_escape(message)
    );
    xml_response(status, body, &rid)
}

fn sender_error(status: StatusCode, code: &str, message: &str) -> Resp {
    error_response(status, "Sender", code, message)
}

fn success(action: &str, result: String, decision: &Decision) -> Resp {
    let rid = request_id();
    let mut body = format!(
        "<{action}Response xmlns=\"{XMLNS}\">\n  <{action}Result>\n{result}  </{action}Result>\n  \
         <ResponseMetadata>\n    <RequestId>{rid}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    );
    if decision.malformed {
        body.truncate(body.len() / 2);
    }
    xml_response(StatusCode::OK, body, &rid)
}

fn params(req: &Req) -> HashMap<String, String> {
    let mut params = HashMap::new();
    if let Some(q) = &req.query {
        params.extend(url::form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    if req.method == Method::POST {
        params.extend(url::form_urlencoded::parse(&req.body).into_owned());
    }
    params
}

/// Handles one STS request.
pub(crate) fn handle(shared: &Shared, req: &Req, decision: &Decision) -> Resp {
    if req.method != Method::POST && req.method != Method::GET {
        return sender_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidAction",
            "Only GET and POST are supported",
        );
    }
    let params = params(req);
    let resp = match params.get("Action").map(String::as_str) {
        Some("GetCallerIdentity") => match authenticate(shared, req, decision) {
            Ok(caller) => Ok(get_caller_identity(shared, &caller, decision)),
            Err(e) => Err(e),
        },
        Some("AssumeRole") => match authenticate(shared, req, decision) {
            Ok(caller) => assume_role(shared, &params, &caller, decision),
            Err(e) => Err(e),
        },
        Some("AssumeRoleWithWebIdentity") => {
            assume_role_with_web_identity(shared, &params, decision)
        }
        Some(other) => Err(sender_error(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            &format!("Could not find operation {other} for version 2011-06-15"),
        )),
        None => Err(sender_error(
            StatusCode::BAD_REQUEST,
            "MissingAction",
            "Missing Action",
        )),
    };
    match resp {
        Ok(r) => {
            shared.update_counts(|c| c.sts_ok += 1);
            r
        }
        Err(r) => r,
    }
}

/// Verifies the SigV4 signature and the caller's credentials; the error is the answer to send.
fn authenticate(
    shared: &Shared,
    req: &Req,
    decision: &Decision,
) -> Result<IssuedCredentials, Resp> {
    let Some(header) = req.header("authorization") else {
        return Err(sender_error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let Some(auth) = Authorization::parse(header) else {
        return Err(sender_error(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        ));
    };
    let invalid = || {
        sender_error(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            INVALID_TOKEN_MESSAGE,
        )
    };
    let Some(caller) = shared.lookup(&auth.access_key_id) else {
        return Err(invalid());
    };
    let sent_token = req.header("x-amz-security-token");
    if sent_token != caller.session_token.as_deref() {
        return Err(invalid());
    }
    let Some(signed_at) = req.header("x-amz-date").and_then(parse_amz_date) else {
        return Err(sender_error(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            "AWS authentication requires a valid Date or X-Amz-Date header",
        ));
    };
    let mismatch = |message: &str| {
        shared.update_counts(|c| c.sts_signature_mismatch += 1);
        sender_error(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
    };
    // The server clock is the simulator time (advanced, and skewed by the clock-skew setting),
    // shifted by an STS `date_skew_secs` fault: the same clock the `Date` header shows. Like AWS,
    // only that clock counts.
    let skew = chrono::Duration::seconds(decision.date_skew_secs);
    let now = crate::state::trunc_secs(shared.now() + skew);
    let window = chrono::Duration::minutes(MAX_SKEW_MINUTES);
    if signed_at < now - window || signed_at > now + window {
        let message = if signed_at < now - window {
            format!(
                "Signature expired: {} is now earlier than {} ({} - {MAX_SKEW_MINUTES} min.)",
                format_amz_date(signed_at),
                format_amz_date(now - window),
                format_amz_date(now),
            )
        } else {
            format!(
                "Signature not yet current: {} is still later than {} ({} + {MAX_SKEW_MINUTES} min.)",
                format_amz_date(signed_at),
                format_amz_date(now + window),
                format_amz_date(now),
            )
        };
        return Err(mismatch(&message));
    }
    let path_and_query = match &req.query {
        Some(q) => format!("{}?{q}", req.path),
        None => req.path.clone(),
    };
    let time: SystemTime = signed_at.into();
    let expected = expected_signature(
        req.method.as_str(),
        &path_and_query,
        &req.headers,
        &req.body,
        &auth,
        &caller.secret_access_key,
        sent_token,
        time,
    );
    match expected {
        Ok(sig) if sig == auth.signature => {}
        Ok(_) => return Err(mismatch(SIGNATURE_MISMATCH_MESSAGE)),
        Err(e) => {
            tracing::debug!(error = %e, "could not rebuild the signed request");
            return Err(mismatch(SIGNATURE_MISMATCH_MESSAGE));
        }
    }
    if shared.is_revoked(&caller.access_key_id) {
        shared.update_counts(|c| c.sts_revoked += 1);
        return Err(sender_error(
            StatusCode::FORBIDDEN,
            "ExpiredToken",
            EXPIRED_TOKEN_MESSAGE,
        ));
    }
    let sim_now = shared.now();
    let expired = caller.expiration.is_some_and(|exp| exp <= sim_now);
    if expired && shared.settings().sts_accepts_expired {
        shared.update_counts(|c| c.sts_accepted_expired += 1);
    } else if expired {
        shared.update_counts(|c| c.sts_expired_token += 1);
        return Err(sender_error(
            StatusCode::FORBIDDEN,
            "ExpiredToken",
            EXPIRED_TOKEN_MESSAGE,
        ));
    }
    Ok(caller)
}

/// `AROA…:session` for assumed roles, `AIDA…` for users.
fn user_id(arn: &str) -> String {
    match arn.split_once(":assumed-role/") {
        Some((_, rest)) => {
            let session = rest.rsplit('/').next().unwrap_or_default();
            format!("AROASIMULATEDROLEID0:{session}")
        }
        None => "AIDASIMULATEDUSERID0".to_string(),
    }
}

fn get_caller_identity(shared: &Shared, caller: &IssuedCredentials, decision: &Decision) -> Resp {
    let result = format!(
        "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
        xml_escape(&caller.arn),
        xml_escape(&user_id(&caller.arn)),
        xml_escape(&shared.config.account_id),
    );
    success("GetCallerIdentity", result, decision)
}

fn validation(message: String) -> Resp {
    sender_error(StatusCode::BAD_REQUEST, "ValidationError", &message)
}

/// Validates `RoleArn` and `RoleSessionName`; returns (account, role name, session name).
fn role_and_session(params: &HashMap<String, String>) -> Result<(String, String, String), Resp> {
    let Some(role_arn) = params.get("RoleArn") else {
        return Err(validation(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null".into(),
        ));
    };
    let parsed = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(account, path)| !account.is_empty() && !path.is_empty());
    let Some((account, path)) = parsed else {
        return Err(validation(format!("{role_arn} is invalid")));
    };
    let role = path.rsplit('/').next().unwrap_or(path).to_string();
    let Some(session) = params.get("RoleSessionName") else {
        return Err(validation(
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null".into(),
        ));
    };
    let valid_session = (2..=64).contains(&session.len())
        && session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid_session {
        return Err(validation(format!(
            "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    Ok((account.to_string(), role, session.clone()))
}

fn duration(shared: &Shared, params: &HashMap<String, String>) -> Result<Duration, Resp> {
    let Some(raw) = params.get("DurationSeconds") else {
        return Ok(shared.config.credential_lifetime);
    };
    match raw.parse::<u64>() {
        Ok(secs) if secs < 900 => Err(validation(format!(
            "1 validation error detected: Value '{raw}' at 'durationSeconds' failed to satisfy constraint: \
             Member must have value greater than or equal to 900"
        ))),
        Ok(secs) if secs > 43200 => Err(validation(format!(
            "1 validation error detected: Value '{raw}' at 'durationSeconds' failed to satisfy constraint: \
             Member must have value less than or equal to 43200"
        ))),
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => Err(validation(format!(
            "1 validation error detected: Value '{raw}' at 'durationSeconds' failed to satisfy constraint: \
             Member must be a number"
        ))),
    }
}

fn credentials_xml(creds: &IssuedCredentials, session: &str) -> String {
    let role_id = user_id(&creds.arn);
    let role_id = role_id.split(':').next().unwrap_or_default();
    format!(
        "    <AssumedRoleUser>\n      <AssumedRoleId>{role_id}:{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n    \
         <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        xml_escape(session),
        xml_escape(&creds.arn),
        creds.access_key_id,
        xml_escape(&creds.secret_access_key),
        xml_escape(creds.session_token.as_deref().unwrap_or_default()),
        creds.expiration.map(iso).unwrap_or_default(),
    )
}

fn record(
    shared: &Shared,
    action: &str,
    params: &HashMap<String, String>,
    signed_by: Option<String>,
) {
    shared.record_assume_role_call(AssumeRoleCall {
        action: action.to_string(),
        role_arn: params.get("RoleArn").cloned(),
        role_session_name: params.get("RoleSessionName").cloned(),
        duration_seconds: params.get("DurationSeconds").cloned(),
        external_id: params.get("ExternalId").cloned(),
        web_identity_token: params.get("WebIdentityToken").cloned(),
        signed_by,
    });
}

fn assume_role(
    shared: &Shared,
    params: &HashMap<String, String>,
    caller: &IssuedCredentials,
    decision: &Decision,
) -> Result<Resp, Resp> {
    record(
        shared,
        "AssumeRole",
        params,
        Some(caller.access_key_id.clone()),
    );
    let (account, role, session) = role_and_session(params)?;
    let lifetime = duration(shared, params)?;
    if let Some(external_id) = params.get("ExternalId") {
        let valid = (2..=1224).contains(&external_id.len())
            && external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
        if !valid {
            return Err(validation(format!(
                "1 validation error detected: Value '{external_id}' at 'externalId' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"
            )));
        }
    }
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
    let creds = shared.mint(arn, lifetime, decision.expired);
    shared.update_counts(|c| c.sts_assume_role += 1);
    Ok(success(
        "AssumeRole",
        credentials_xml(&creds, &session),
        decision,
    ))
}

fn assume_role_with_web_identity(
    shared: &Shared,
    params: &HashMap<String, String>,
    decision: &Decision,
) -> Result<Resp, Resp> {
    record(shared, "AssumeRoleWithWebIdentity", params, None);
    let (account, role, session) = role_and_session(params)?;
    let lifetime = duration(shared, params)?;
    if params
        .get("WebIdentityToken")
        .is_none_or(|t| t.trim().is_empty())
    {
        return Err(sender_error(
            StatusCode::BAD_REQUEST,
            "InvalidIdentityToken",
            "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.",
        ));
    }
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
    let creds = shared.mint(arn, lifetime, decision.expired);
    shared.update_counts(|c| c.sts_assume_role_web_identity += 1);
    let mut result = credentials_xml(&creds, &session);
    result.push_str(
        "    <SubjectFromWebIdentityToken>freshcreds-sim-subject</SubjectFromWebIdentityToken>\n    \
         <Audience>sts.amazonaws.com</Audience>\n    <Provider>freshcreds-sim</Provider>\n",
    );
    Ok(success("AssumeRoleWithWebIdentity", result, decision))
}

#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/seeds/<target>/) from the conformance data in
tests/conformance, plus a few hand-written inputs per target. Run again after the conformance
data changes; the output is committed."""
import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONF = ROOT / "tests" / "conformance"
OUT = ROOT / "fuzz" / "seeds"

seeds = {t: set() for t in [
    "profile_config", "imds_credentials", "container_credentials", "sts_xml",
    "process_output", "web_identity_token", "provider_options"]}


def add(target, text):
    if isinstance(text, str):
        text = text.encode()
    seeds[target].add(text)


# Profile files: the parser vectors, the assume-role vectors, the e2e file trees.
for path in CONF.rglob("profile-parser-tests.json"):
    for case in json.loads(path.read_text())["tests"]:
        i = case["input"]
        config, creds = i.get("configFile"), i.get("credentialsFile")
        if config is not None and creds is not None:
            add("profile_config", config + "\0" + creds)
        elif config is not None:
            add("profile_config", config)
        elif creds is not None:
            add("profile_config", "\0" + creds)
def render(sections, prefix=""):
    out = []
    for name, props in (sections or {}).items():
        header = name if name == "default" or not prefix else f"{prefix}{name}"
        out.append(f"[{header}]")
        out.extend(f"{k} = {v}" for k, v in props.items() if isinstance(v, str))
    return "\n".join(out) + "\n"


for path in CONF.rglob("config-file-profile-tests.json"):
    for suite in json.loads(path.read_text())["testSuites"]:
        add("profile_config", render(suite.get("profiles"), "profile "))
for path in CONF.rglob("assume-role-tests.json"):
    for case in json.loads(path.read_text()):
        add("profile_config", render(case["input"].get("profiles"), "profile "))
for path in CONF.rglob("fs/home/.aws/config"):
    creds = path.parent / "credentials"
    add("profile_config", path.read_text() + ("\0" + creds.read_text() if creds.exists() else ""))

# Recorded HTTP traffic: IMDS credentials documents, STS XML answers, container answers.
for path in CONF.rglob("http-traffic.json"):
    events = json.loads(path.read_text())["events"]
    uri = None
    for event in events:
        action = event["action"]
        if "Request" in action:
            uri = action["Request"]["request"]["uri"]
        if "Data" in action and action["Data"]["direction"] == "Response":
            body = action["Data"]["data"].get("Utf8")
            if body is None or uri is None:
                continue
            if "security-credentials/" in uri and body.lstrip().startswith("{"):
                add("imds_credentials", body)
            elif "sts" in uri or body.lstrip().startswith("<"):
                add("sts_xml", body)
            elif "169.254.170" in uri or "/creds" in uri or "credentials" in uri:
                add("container_credentials", body)
for path in CONF.rglob("ecs_credentials_response.json"):
    for case in json.loads(path.read_text()):
        add("container_credentials", case["response"].get("body", ""))
for path in CONF.rglob("ecs_credentials_request.json"):
    for case in json.loads(path.read_text()):
        for k, v in case.get("env", {}).items():
            if k.endswith("RELATIVE_URI"):
                add("container_credentials", v)
for path in CONF.rglob("ecs-tests.json"):
    for case in json.loads(path.read_text())["tests"]:
        for k, v in case.get("env", {}).items():
            if k.endswith("RELATIVE_URI"):
                add("container_credentials", v)
for path in CONF.rglob("token.jwt"):
    add("web_identity_token", path.read_bytes())

# Hand-written: the shapes the conformance data has no example of.
add("container_credentials", "@127.0.0.1:8080/x")
add("container_credentials", ".evil.example/x")
add("container_credentials", '{"Code":"TokenNotFound","Message":"no"}')
add("sts_xml", "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
    "<Message>The security token included in the request is expired</Message></Error></ErrorResponse>")
add("sts_xml", "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/u</Arn>"
    "<UserId>AIDA</UserId><Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")
add("process_output", '{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s", '
    '"SessionToken": "t", "Expiration": "2031-05-06T07:08:09Z"}')
add("process_output", '{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s"}')
add("process_output", '{"Version": 2, "AccessKeyId": "AKID", "SecretAccessKey": "s"}')
add("web_identity_token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n")
add("web_identity_token", " a+b=c&d%20e \r\n")
add("provider_options", "source=chain\nprofile=dev\nrefreshLeadMillis=300000\njitterMillis=0")
add("provider_options", "source=imds\nimdsEndpoint=http://127.0.0.1:1\nimdsEndpointMode=IPv6\n"
    "imdsTimeoutMillis=100\nimdsAttempts=2\nimdsV1Fallback=false")
add("provider_options", "aws.accessKeyId=AKIDEXAMPLE\naws.secretAccessKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    "aws.sessionToken=FwoGZXIvYXdzEXAMPLETOKENVALUE")

for target, items in seeds.items():
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.iterdir():
        old.unlink()
    for data in items:
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{target}: {len(items)} seeds")

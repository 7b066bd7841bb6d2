"""botocore's side of the shared IAM Identity Center token cache test (rust/core/tests/interop_botocore_sso.rs).

Run with HOME, AWS_CONFIG_FILE, AWS_PROFILE and the AWS_ENDPOINT_URL_SSO / _SSO_OIDC variables
pointing at a temporary home and the simulator. Modes:

  token        load the profile's token with botocore's SSOTokenProvider (refreshing it with
               CreateToken when it is within botocore's 15-minute window, and writing the cache)
  credentials  resolve the profile's credentials with botocore's SSO credential provider
               (SSOTokenLoader + GetRoleCredentials)

Prints one JSON line: what was loaded, without any token or secret (lengths and key ids only).
"""
import json
import sys

import botocore.session
from botocore.tokens import SSOTokenProvider


def main(mode):
    session = botocore.session.Session()
    if mode == "token":
        token = SSOTokenProvider(session).load_token().get_frozen_token()
        print(json.dumps({"token_length": len(token.token), "expiry": token.expiration.isoformat()}))
    elif mode == "credentials":
        creds = session.get_credentials().get_frozen_credentials()
        print(json.dumps({"access_key_id": creds.access_key, "method": session.get_credentials().method}))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1])

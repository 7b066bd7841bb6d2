"""botocore's side of the shared `aws login` token cache test (rust/core/tests/interop_botocore_login.rs).

Run with HOME, AWS_CONFIG_FILE, AWS_PROFILE and AWS_ENDPOINT_URL_SIGNIN pointing at a temporary
home and the simulator. Resolves the profile's credentials with botocore's LoginProvider: cached
credentials that expire within its window are refreshed first (CreateOAuth2Token with botocore's
own DPoP proof) and the cache is written back.

Prints one JSON line: the access key id and the provider's method, no secret.
"""
import json

import botocore.session


def main():
    session = botocore.session.Session()
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials()
    print(json.dumps({"access_key_id": frozen.access_key, "method": credentials.method}))


if __name__ == "__main__":
    main()

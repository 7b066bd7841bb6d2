/*
 * Smoke test of the freshcreds C ABI, built with `cc` against the cdylib by tests/ffi_c.rs.
 *
 * Usage: ffi_smoke IMDS_BASE_URL
 * Checks that a bad option fails with an error naming the key, then creates a provider reading
 * IMDS at IMDS_BASE_URL, reads, refreshes and frees credentials and the status, and frees the
 * provider. Prints `ok` on success; on failure prints what failed to stderr and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshcreds.h"

static int failures = 0;

#define CHECK(cond, ...)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      fprintf(stderr, "ffi_smoke.c:%d: check failed: %s: ", __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                               \
      fprintf(stderr, "\n");                                      \
      failures++;                                                 \
    }                                                             \
  } while (0)

static void bad_options_name_the_key(void) {
  const char *keys[] = {"refreshLeadMillis"};
  const char *values[] = {"soon"};
  FreshcredsProvider *provider = NULL;
  char error[512] = {0};
  FreshcredsCode code = freshcreds_provider_new(keys, values, 1, &provider, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INVALID_CONFIG, "code %d (%s)", code, freshcreds_code_name(code));
  CHECK(provider == NULL, "a provider was returned");
  CHECK(strstr(error, "`refreshLeadMillis`") != NULL, "message: %s", error);

  const char *unknown[] = {"refreshLead"};
  memset(error, 0, sizeof error);
  code = freshcreds_provider_new(unknown, values, 1, &provider, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INVALID_CONFIG, "code %d", code);
  CHECK(strstr(error, "`refreshLead`") != NULL, "message: %s", error);

  /* A tiny buffer still gets a NUL-terminated prefix. */
  char tiny[8];
  memset(tiny, 'x', sizeof tiny);
  code = freshcreds_provider_new(unknown, values, 1, &provider, tiny, sizeof tiny);
  CHECK(code == FRESHCREDS_ERR_INVALID_CONFIG, "code %d", code);
  CHECK(strlen(tiny) == sizeof tiny - 1, "truncated message length %zu", strlen(tiny));

  CHECK(strcmp(freshcreds_code_name(FRESHCREDS_ERR_INVALID_CONFIG), "INVALID_CONFIG") == 0, "name");
  CHECK(strcmp(freshcreds_code_name(12345), "UNKNOWN") == 0, "unknown name");
}

static void check_credentials(const FreshcredsCredentials *c, const char *what) {
  CHECK(c->access_key_id != NULL && strncmp(c->access_key_id, "ASIA", 4) == 0, "%s: key id", what);
  CHECK(c->secret_access_key != NULL && strlen(c->secret_access_key) > 0, "%s: secret", what);
  CHECK(c->session_token != NULL && strlen(c->session_token) > 0, "%s: token", what);
  CHECK(c->source != NULL && strcmp(c->source, "Ec2InstanceMetadata") == 0, "%s: source %s", what,
        c->source ? c->source : "(null)");
  CHECK(c->expiration_epoch_millis != FRESHCREDS_NO_EXPIRATION, "%s: expiration", what);
  CHECK(c->serve_for_millis > 0, "%s: serve_for", what);
  CHECK(!c->stale, "%s: stale", what);
}

static void create_read_refresh_free(const char *imds) {
  const char *keys[] = {"source", "imdsEndpoint"};
  const char *values[] = {"imds", imds};
  FreshcredsProvider *provider = NULL;
  char error[512] = {0};
  FreshcredsCode code = freshcreds_provider_new(keys, values, 2, &provider, error, sizeof error);
  CHECK(code == FRESHCREDS_OK && provider != NULL, "create: %s", error);
  if (provider == NULL) {
    return;
  }

  FreshcredsCredentials creds;
  code = freshcreds_provider_credentials(provider, &creds, error, sizeof error);
  CHECK(code == FRESHCREDS_OK, "credentials: %s", error);
  if (code == FRESHCREDS_OK) {
    check_credentials(&creds, "credentials");
    printf("credentials %s from %s\n", creds.access_key_id, creds.source);
    freshcreds_credentials_free(&creds);
    CHECK(creds.access_key_id == NULL && creds.secret_access_key == NULL &&
              creds.session_token == NULL && creds.source == NULL,
          "free leaves NULL pointers");
    freshcreds_credentials_free(&creds); /* harmless the second time */
  }

  /* A minimum validity the cached credentials cover: answered at once. */
  FreshcredsShortfall shortfall;
  memset(&shortfall, 0, sizeof shortfall);
  code = freshcreds_provider_credentials_valid_for(provider, 30 * 60 * 1000, &creds, &shortfall, error,
                                                   sizeof error);
  CHECK(code == FRESHCREDS_OK, "valid for 30 min: %s", error);
  if (code == FRESHCREDS_OK) {
    check_credentials(&creds, "valid for 30 min");
    freshcreds_credentials_free(&creds);
  }
  /* More than IMDS gives: a typed failure saying what is available, no credentials. */
  const uint64_t week = 7ull * 24 * 60 * 60 * 1000;
  code = freshcreds_provider_credentials_valid_for(provider, week, &creds, &shortfall, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INSUFFICIENT_VALIDITY, "valid for a week: code %d (%s)", code,
        freshcreds_code_name(code));
  CHECK(strcmp(freshcreds_code_name(code), "INSUFFICIENT_VALIDITY") == 0, "name");
  CHECK(shortfall.requested_millis == week, "requested %llu", (unsigned long long)shortfall.requested_millis);
  CHECK(shortfall.available_millis > 30 * 60 * 1000 && shortfall.available_millis < week,
        "available %llu", (unsigned long long)shortfall.available_millis);
  CHECK(shortfall.expiration_epoch_millis != FRESHCREDS_NO_TIME, "expiration");
  CHECK(strstr(error, "valid for 168 h") != NULL, "message: %s", error);
  code = freshcreds_provider_credentials_valid_for(provider, week, &creds, NULL, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INSUFFICIENT_VALIDITY, "without a shortfall: code %d", code);

  code = freshcreds_provider_refresh(provider, &creds, error, sizeof error);
  CHECK(code == FRESHCREDS_OK, "refresh: %s", error);
  if (code == FRESHCREDS_OK) {
    check_credentials(&creds, "refresh");
    freshcreds_credentials_free(&creds);
  }

  /* A rejection of a key this provider never served is not its to handle: no retry. */
  bool replaced = true;
  code = freshcreds_provider_invalidate(provider, "ASIANOTSERVEDHERE", &replaced, error, sizeof error);
  CHECK(code == FRESHCREDS_OK && !replaced, "invalidate another key: code %d, %s", code, error);
  code = freshcreds_provider_invalidate(provider, NULL, &replaced, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INVALID_ARGUMENT, "invalidate NULL: code %d", code);

  char *status = NULL;
  code = freshcreds_provider_status_json(provider, &status, error, sizeof error);
  CHECK(code == FRESHCREDS_OK && status != NULL, "status: %s", error);
  if (status != NULL) {
    CHECK(status[0] == '{' && strstr(status, "\"status\"") != NULL, "status json: %s", status);
    freshcreds_string_free(status);
  }

  code = freshcreds_provider_credentials(NULL, &creds, error, sizeof error);
  CHECK(code == FRESHCREDS_ERR_INVALID_ARGUMENT, "NULL provider: code %d", code);

  freshcreds_provider_free(provider);
  freshcreds_provider_free(NULL);
  freshcreds_credentials_free(NULL);
  freshcreds_string_free(NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s IMDS_BASE_URL\n", argv[0]);
    return 2;
  }
  bad_options_name_the_key();
  create_read_refresh_free(argv[1]);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}

/* The C ABI end to end: each behaviour of TS 23.280 clause 10.16.5 reachable from C. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define USER1 "sip:user1@mc-a.example"
#define USER2_PRIMARY "sip:user2@mc-a.example"
#define USER2_AT_B "sip:visitor-0042@mc-b.example"
#define USER2_AT_C "tel:+4930555002"
#define SYSTEM_A "mc-a.example"
#define SYSTEM_B "mc-b.example"
#define SYSTEM_C "mc-c.example"
#define KMS_A "https://kms.mc-a.example/kms"
#define KMS_B "https://kms.mc-b.example/kms"
#define KMS_C "https://kms.mc-c.example/kms"

/* Each table's records live in storage the caller sizes: here for 16 records of up to 120
 * string bytes each (key, the other two IDs, the KMS URI). */
#define RECORDS_STORAGE_LEN MCX_TABLE_STORAGE_LEN(16, 120)
#define SNAPSHOT_BUF_LEN MCX_TABLE_MAX_SNAPSHOT_LEN(RECORDS_STORAGE_LEN)
static mcx_table_t table_a;
static mcx_table_t table_b;
static uint8_t records_a[RECORDS_STORAGE_LEN];
static uint8_t records_b[RECORDS_STORAGE_LEN];

static int field_is(const mcx_message_t *msg, mcx_field field, const char *want) {
    char buf[MCX_MAX_STRING_LEN + 1];
    size_t len = 0;
    mcx_status rc = mcx_message_field(msg, field, buf, sizeof buf, &len);
    return rc == MCX_OK && len == strlen(want) && strcmp(buf, want) == 0;
}

/* The storage-size macro is a constant expression equal to the function. */
static uint8_t sized_by_macro[MCX_TABLE_STORAGE_LEN(64, 100)];
static void table_storage_is_sized_by_macro_or_function(void) {
    mcx_table_t t;
    size_t used = 0;
    CHECK(sizeof sized_by_macro == mcx_table_storage_len(64, 100));
    CHECK(MCX_TABLE_MAX_SNAPSHOT_LEN(1000) == 1000 + MCX_TABLE_SNAPSHOT_OVERHEAD);
    CHECK_RC(MCX_E_TABLE_STORAGE_TOO_SMALL,
             mcx_table_init(&t, sized_by_macro, MCX_TABLE_MIN_STORAGE_LEN - 1));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_table_init(&t, NULL, sizeof sized_by_macro));
    CHECK_RC(MCX_OK, mcx_table_init(&t, sized_by_macro + 1, sizeof sized_by_macro - 1));
    CHECK_RC(MCX_OK, mcx_table_bytes_in_use(&t, &used));
    CHECK(used == MCX_TABLE_MIN_STORAGE_LEN);
}

static void status_strings_are_static_and_distinct(void) {
    CHECK(strcmp(mcx_status_str(MCX_OK), "success") == 0);
    CHECK(strcmp(mcx_status_str(MCX_E_TABLE_FULL), "migration table full") == 0);
    CHECK(strcmp(mcx_status_str(12345), "unknown status code") == 0);
    CHECK(strcmp(mcx_status_str(MCX_E_NULL_ARGUMENT), mcx_status_str(MCX_E_NOT_INITIALISED)) != 0);
}

static void request_is_built_encoded_and_decoded(void) {
    mcx_message_t req, back;
    uint8_t wire[MCX_MAX_ENCODED_LEN];
    size_t len = 0, needed = 0;
    mcx_message_kind type = 99;
    mcx_service_kind kind = 99;
    bool e2ee = false;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCVIDEO_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_message_encode(&req, wire, sizeof wire, &len));
    CHECK(len > 2 && wire[0] == 2 && wire[1] == MCX_MESSAGE_PRIVATE_CALL_REQUEST);
    /* Asking for the length with a NULL buffer of capacity 0. */
    CHECK_RC(MCX_E_BUFFER_TOO_SMALL, mcx_message_encode(&req, NULL, 0, &needed));
    CHECK(needed == len);

    CHECK_RC(MCX_OK, mcx_message_decode(&back, wire, len));
    CHECK_RC(MCX_OK, mcx_message_type(&back, &type));
    CHECK(type == MCX_MESSAGE_PRIVATE_CALL_REQUEST);
    CHECK_RC(MCX_OK, mcx_message_service_kind(&back, &kind));
    CHECK(kind == MCX_SERVICE_MCVIDEO_PRIVATE_CALL);
    CHECK_RC(MCX_OK, mcx_message_e2ee_required(&back, &e2ee));
    CHECK(e2ee);
    CHECK(field_is(&back, MCX_FIELD_CALLING_PARTY, USER1));
    CHECK(field_is(&back, MCX_FIELD_TARGET, USER2_PRIMARY));
}

static void frames_round_trip(void) {
    mcx_message_t upd, back;
    uint8_t frame[MCX_MAX_FRAME_LEN];
    size_t len = 0, i;
    mcx_update_kind kind = 0;
    int zeros = 0;

    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2_PRIMARY, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_message_encode_frame(&upd, frame, sizeof frame, &len));
    for (i = 0; i < len; i++) zeros += frame[i] == 0;
    CHECK(zeros == 1 && frame[len - 1] == 0);
    CHECK_RC(MCX_OK, mcx_message_decode_frame(&back, frame, len));
    CHECK_RC(MCX_OK, mcx_message_update_kind(&back, &kind));
    CHECK(kind == MCX_UPDATE_MIGRATED);
    CHECK(field_is(&back, MCX_FIELD_PARTNER_ID, USER2_AT_B));
    CHECK(field_is(&back, MCX_FIELD_KMS_URI, KMS_B));
}

/* Pre-condition of 10.16.5.3: server A knows user 2 migrated to B (clause 10.6.3.3); the update
 * arrives as bytes. */
static void migration_update_bytes_fill_the_table(void) {
    mcx_message_t upd;
    uint8_t wire[MCX_MAX_ENCODED_LEN];
    size_t len = 0, n = 99;

    CHECK_RC(MCX_OK, mcx_table_init(&table_a, records_a, sizeof records_a));
    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &n));
    CHECK(n == 0);
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2_PRIMARY, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_message_encode(&upd, wire, sizeof wire, &len));
    CHECK_RC(MCX_OK, mcx_table_apply_bytes(&table_a, wire, len));
    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &n));
    CHECK(n == 1);
}

/* Steps 1-5: client 1 calls user 2's primary ID, server A redirects, client 1 calls the ID
 * assigned by B with B's KMS. */
static void call_to_migrated_user_is_redirected_and_followed(void) {
    mcx_message_t req, redir, next;
    mcx_call_t call;
    uint8_t out[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
    size_t out_len = 0, answer_len = 0, n = 9;
    mcx_decision decision = 99;
    mcx_reason reason = 99;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    CHECK_RC(MCX_OK, mcx_call_request(&call, out, sizeof out, &out_len));

    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_a, out, out_len, answer, sizeof answer,
                                             &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT && reject == MCX_OK && answer_len > 0);

    CHECK_RC(MCX_OK, mcx_message_decode(&redir, answer, answer_len));
    CHECK(field_is(&redir, MCX_FIELD_CALLING_PARTY, USER1));
    CHECK(field_is(&redir, MCX_FIELD_TARGET_PRIMARY, USER2_PRIMARY));
    CHECK(field_is(&redir, MCX_FIELD_TARGET_MIGRATED, USER2_AT_B));
    CHECK(field_is(&redir, MCX_FIELD_KMS_URI, KMS_B));
    CHECK_RC(MCX_OK, mcx_message_reason(&redir, &reason));
    CHECK(reason == MCX_REASON_TARGET_MIGRATED);

    CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&call, answer, answer_len));
    CHECK_RC(MCX_OK, mcx_call_redirections(&call, &n));
    CHECK(n == 1);
    CHECK_RC(MCX_OK, mcx_call_request_message(&call, &next));
    CHECK(field_is(&next, MCX_FIELD_TARGET, USER2_AT_B));
    CHECK(field_is(&next, MCX_FIELD_KMS_URI, KMS_B));
}

/* The redirection builder gives the bytes server A sends in step 3, and a call follows the
 * built redirection as it follows the server's (steps 3 and 5). */
static void built_redirection_is_the_servers_and_is_followed(void) {
    mcx_message_t req, built, back;
    mcx_call_t call;
    uint8_t request[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN], wire[MCX_MAX_ENCODED_LEN];
    size_t request_len = 0, answer_len = 0, len = 0, n = 9;
    mcx_decision decision = 99;
    mcx_message_kind type = 99;
    mcx_service_kind kind = 99;
    mcx_reason reason = 99;
    mcx_status reject = 1;
    bool e2ee = false;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCVIDEO_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_message_encode(&req, request, sizeof request, &request_len));
    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_a, request, request_len, answer,
                                             sizeof answer, &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT);

    CHECK_RC(MCX_OK, mcx_message_init_redirection(&built, MCX_SERVICE_MCVIDEO_PRIVATE_CALL, USER1,
                                                  USER2_PRIMARY, USER2_AT_B, true, KMS_B,
                                                  MCX_REASON_TARGET_MIGRATED));
    CHECK_RC(MCX_OK, mcx_message_encode(&built, wire, sizeof wire, &len));
    CHECK(len == answer_len && memcmp(wire, answer, len) == 0);

    CHECK_RC(MCX_OK, mcx_message_type(&built, &type));
    CHECK(type == MCX_MESSAGE_PRIVATE_CALL_REDIRECTION);
    CHECK_RC(MCX_OK, mcx_message_service_kind(&built, &kind));
    CHECK(kind == MCX_SERVICE_MCVIDEO_PRIVATE_CALL);
    CHECK_RC(MCX_OK, mcx_message_e2ee_required(&built, &e2ee));
    CHECK(e2ee);
    CHECK(field_is(&built, MCX_FIELD_TARGET_MIGRATED, USER2_AT_B));

    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    CHECK_RC(MCX_OK, mcx_call_on_redirection(&call, &built));
    CHECK_RC(MCX_OK, mcx_call_redirections(&call, &n));
    CHECK(n == 1);

    /* Without a reason (MCX_REASON_NONE) and, E2EE not required, without a KMS URI. */
    CHECK_RC(MCX_OK, mcx_message_init_redirection(&built, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                  USER2_PRIMARY, USER2_AT_B, false, NULL,
                                                  MCX_REASON_NONE));
    CHECK_RC(MCX_OK, mcx_message_encode(&built, wire, sizeof wire, &len));
    CHECK_RC(MCX_OK, mcx_message_decode(&back, wire, len));
    CHECK_RC(MCX_E_ABSENT, mcx_message_reason(&back, &reason));
    CHECK_RC(MCX_E_ABSENT, mcx_message_field(&back, MCX_FIELD_KMS_URI, NULL, 0, &len));
    CHECK(field_is(&back, MCX_FIELD_CALLING_PARTY, USER1));
    CHECK(field_is(&back, MCX_FIELD_TARGET_PRIMARY, USER2_PRIMARY));

    /* Consecutive migration: the reason B gives when it sends a caller home. */
    CHECK_RC(MCX_OK, mcx_message_init_redirection(&built, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                  USER2_PRIMARY, USER2_AT_B, false, NULL,
                                                  MCX_REASON_TARGET_NO_LONGER_SERVED));
    CHECK_RC(MCX_OK, mcx_message_reason(&built, &reason));
    CHECK(reason == MCX_REASON_TARGET_NO_LONGER_SERVED);
}

/* IDs in UTF-8 text beyond ASCII travel from C strings through a redirection and a call
 * unchanged, byte for byte. */
static void ids_in_utf8_text_are_kept_byte_for_byte(void) {
    static const char caller[] = "sip:j\xc3\xbcrgen@mc-a.example";                  /* ü */
    static const char primary[] = "sip:zo\xc3\xab@mc-a.example";                    /* ë */
    static const char at_b[] = "sip:\xe2\x82\xac-\xf0\x9d\x84\x9e@mc-b.example"; /* €, U+1D11E */
    mcx_message_t req, redir, next;
    mcx_call_t call;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCDATA_ONE_TO_ONE, caller,
                                              primary, false, NULL));
    CHECK(field_is(&req, MCX_FIELD_CALLING_PARTY, caller));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    CHECK_RC(MCX_OK, mcx_message_init_redirection(&redir, MCX_SERVICE_MCDATA_ONE_TO_ONE, caller,
                                                  primary, at_b, false, NULL,
                                                  MCX_REASON_TARGET_MIGRATED));
    CHECK_RC(MCX_OK, mcx_call_on_redirection(&call, &redir));
    CHECK_RC(MCX_OK, mcx_call_request_message(&call, &next));
    CHECK(field_is(&next, MCX_FIELD_CALLING_PARTY, caller));
    CHECK(field_is(&next, MCX_FIELD_TARGET, at_b));
}

static void call_to_user_served_here_proceeds(void) {
    mcx_message_t req;
    uint8_t answer[MCX_MAX_ENCODED_LEN];
    size_t answer_len = 7;
    mcx_decision decision = 99;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCDATA_ONE_TO_ONE, USER1,
                                              "sip:user3@mc-a.example", false, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&table_a, &req, answer, sizeof answer, &answer_len,
                                       &decision, &reject));
    CHECK(decision == MCX_DECISION_PROCEED && answer_len == 0 && reject == MCX_OK);
}

/* NOTE under Table 10.16.y.2-1: E2EE required but no security domain information known. */
static void e2ee_call_without_security_domain_info_is_rejected(void) {
    mcx_message_t upd, req;
    uint8_t answer[MCX_MAX_ENCODED_LEN];
    size_t answer_len = 7;
    mcx_decision decision = 99;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, "sip:user4@mc-a.example", SYSTEM_C,
                                               USER2_AT_C, NULL));
    CHECK_RC(MCX_OK, mcx_table_apply(&table_a, &upd));
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              "sip:user4@mc-a.example", true, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&table_a, &req, answer, sizeof answer, &answer_len,
                                       &decision, &reject));
    CHECK(decision == MCX_DECISION_REJECT);
    CHECK(reject == MCX_E_REJECT_SECURITY_DOMAIN_INFO_UNAVAILABLE);
    CHECK(strcmp(mcx_status_str(reject), "migration table full") != 0);
}

/* Consecutive migration: the call to user 2's primary ID is sent to B, which no longer serves
 * the visitor and sends the caller home (to the primary ID); A, now knowing user 2 moved on,
 * sends it on to C. */
static void consecutive_migration_sends_caller_home_then_on(void) {
    mcx_message_t upd, req, redir;
    mcx_call_t call;
    uint8_t out[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
    size_t out_len = 0, answer_len = 0, n = 0;
    mcx_decision decision = 99;
    mcx_reason reason = 99;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_table_init(&table_b, records_b, sizeof records_b));
    CHECK_RC(MCX_OK, mcx_message_init_visitor_registered(&upd, USER2_AT_B, USER2_PRIMARY,
                                                         SYSTEM_A, KMS_A));
    CHECK_RC(MCX_OK, mcx_table_apply(&table_b, &upd));
    CHECK_RC(MCX_OK, mcx_message_init_visitor_departed(&upd, USER2_AT_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&table_b, &upd));

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    /* A still records user 2 at B. */
    CHECK_RC(MCX_OK, mcx_call_request(&call, out, sizeof out, &out_len));
    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_a, out, out_len, answer, sizeof answer,
                                             &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT);
    CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&call, answer, answer_len));

    /* B: departed visitor, sent home. */
    CHECK_RC(MCX_OK, mcx_call_request(&call, out, sizeof out, &out_len));
    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_b, out, out_len, answer, sizeof answer,
                                             &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT);
    CHECK_RC(MCX_OK, mcx_message_decode(&redir, answer, answer_len));
    CHECK_RC(MCX_OK, mcx_message_reason(&redir, &reason));
    CHECK(reason == MCX_REASON_TARGET_NO_LONGER_SERVED);
    /* IE 2 names the primary ID to call next; IE 3 echoes the stale ID called at B. */
    CHECK(field_is(&redir, MCX_FIELD_TARGET_PRIMARY, USER2_PRIMARY));
    CHECK(field_is(&redir, MCX_FIELD_TARGET_MIGRATED, USER2_AT_B));
    CHECK(field_is(&redir, MCX_FIELD_KMS_URI, KMS_A));
    CHECK_RC(MCX_OK, mcx_call_on_redirection(&call, &redir));

    /* A has learnt that user 2 moved on to C. */
    CHECK_RC(MCX_OK, mcx_message_init_moved_on(&upd, USER2_PRIMARY, SYSTEM_C, USER2_AT_C, KMS_C));
    CHECK_RC(MCX_OK, mcx_table_apply(&table_a, &upd));
    CHECK_RC(MCX_OK, mcx_call_request(&call, out, sizeof out, &out_len));
    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_a, out, out_len, answer, sizeof answer,
                                             &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT);
    CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&call, answer, answer_len));
    CHECK_RC(MCX_OK, mcx_call_request_message(&call, &req));
    CHECK(field_is(&req, MCX_FIELD_TARGET, USER2_AT_C));
    CHECK(field_is(&req, MCX_FIELD_KMS_URI, KMS_C));
    CHECK_RC(MCX_OK, mcx_call_redirections(&call, &n));
    CHECK(n == 3);
}

/* Consecutive migration from a cached ID: a call straight to user 2's ID at B, with no
 * knowledge of user 2's primary ID, takes B's redirection home as its own: IE 3 echoes the ID
 * it called and IE 2 names the primary ID to call next. A redirection home for another cached
 * ID is refused and leaves the call as it was. Table B still holds user 2 as departed. */
static void a_call_to_a_cached_partner_id_follows_the_redirection_home(void) {
    mcx_message_t req;
    mcx_call_t call, other;
    uint8_t out[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
    size_t out_len = 0, answer_len = 0;
    mcx_decision decision = 99;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2_AT_B, false, NULL));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    CHECK_RC(MCX_OK, mcx_call_request(&call, out, sizeof out, &out_len));
    CHECK_RC(MCX_OK, mcx_server_decide_bytes(&table_b, out, out_len, answer, sizeof answer,
                                             &answer_len, &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT);

    /* A call to another partner-assigned ID does not take this redirection. */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              "sip:visitor9@mc-b.example", false, NULL));
    CHECK_RC(MCX_OK, mcx_call_start(&other, &req));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_MISMATCHED_TARGET, other,
                       mcx_call_on_redirection_bytes(&other, answer, answer_len));

    CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&call, answer, answer_len));
    CHECK_RC(MCX_OK, mcx_call_request_message(&call, &req));
    CHECK(field_is(&req, MCX_FIELD_TARGET, USER2_PRIMARY));
}

/* Issue 8: a snapshot restored into a re-initialised table ("after a reboot") gives the same
 * records, the same snapshot bytes, and the same answer to a call to a migrated user. */
static void snapshot_restores_the_table_after_a_reboot(void) {
    static uint8_t flash[SNAPSHOT_BUF_LEN];
    static uint8_t again[SNAPSHOT_BUF_LEN];
    static mcx_table_t rebooted;
    /* A table of another size: the snapshot's records are what must fit. */
    static uint8_t rebooted_records[RECORDS_STORAGE_LEN / 2];
    static uint8_t too_small[MCX_TABLE_MIN_STORAGE_LEN + 40];
    size_t in_use = 0;
    mcx_message_t req;
    uint8_t answer[MCX_MAX_ENCODED_LEN];
    size_t len = 0, again_len = 0, answer_len = 0, records = 0, restored_records = 9;
    mcx_decision decision = 99;
    size_t needed = 0;
    mcx_status reject = 1;

    CHECK_RC(MCX_OK, mcx_table_snapshot(&table_a, flash, sizeof flash, &len));
    CHECK(len > 13 && len <= SNAPSHOT_BUF_LEN);
    CHECK(memcmp(flash, "MCXS", 4) == 0);

    CHECK_RC(MCX_OK, mcx_table_init(&rebooted, too_small, sizeof too_small));
    CHECK_RC(MCX_E_SNAPSHOT_TABLE_TOO_SMALL, mcx_table_restore(&rebooted, flash, len, NULL));
    CHECK_RC(MCX_E_SNAPSHOT_TABLE_TOO_SMALL, mcx_table_restore(&rebooted, flash, len, &needed));
    CHECK_RC(MCX_OK, mcx_table_bytes_in_use(&table_a, &in_use));
    CHECK(needed == in_use); /* the storage the snapshot's records need, as the source used */
    CHECK(in_use > sizeof too_small && in_use <= sizeof rebooted_records);
    CHECK_RC(MCX_OK, mcx_table_init(&rebooted, rebooted_records, sizeof rebooted_records));
    CHECK_RC(MCX_OK, mcx_table_len(&rebooted, &restored_records));
    CHECK(restored_records == 0);
    CHECK_RC(MCX_OK, mcx_table_restore(&rebooted, flash, len, NULL));
    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &records));
    CHECK_RC(MCX_OK, mcx_table_len(&rebooted, &restored_records));
    CHECK(records > 0 && restored_records == records);

    /* Round trip: snapshotting the restored table gives the same bytes. */
    CHECK_RC(MCX_OK, mcx_table_snapshot(&rebooted, again, sizeof again, &again_len));
    CHECK(again_len == len && memcmp(again, flash, len) == 0);

    /* Bytes after the snapshot (the rest of a flash page) are ignored. */
    memset(flash + len, 0xFF, sizeof flash - len);
    CHECK_RC(MCX_OK, mcx_table_init(&rebooted, rebooted_records, sizeof rebooted_records));
    CHECK_RC(MCX_OK, mcx_table_restore(&rebooted, flash, sizeof flash, NULL));
    CHECK_RC(MCX_OK, mcx_table_len(&rebooted, &restored_records));
    CHECK(restored_records == records);

    /* The restored table still redirects a call to the migrated user (steps 2-3). */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&rebooted, &req, answer, sizeof answer, &answer_len,
                                       &decision, &reject));
    CHECK(decision == MCX_DECISION_REDIRECT && reject == MCX_OK);
}

/* A short buffer gives MCX_E_SNAPSHOT_BUFFER_TOO_SMALL and the exact length needed; NULL with
 * capacity 0 asks for it. */
static void snapshot_into_a_short_buffer_reports_the_length_needed(void) {
    static uint8_t buf[SNAPSHOT_BUF_LEN];
    size_t needed = 0, len = 0;

    CHECK_RC(MCX_OK, mcx_table_snapshot(&table_a, buf, sizeof buf, &needed));
    CHECK_RC(MCX_E_SNAPSHOT_BUFFER_TOO_SMALL, mcx_table_snapshot(&table_a, buf, needed - 1, &len));
    CHECK(len == needed);
    len = 0;
    CHECK_RC(MCX_E_SNAPSHOT_BUFFER_TOO_SMALL, mcx_table_snapshot(&table_a, NULL, 0, &len));
    CHECK(len == needed);
    CHECK_RC(MCX_OK, mcx_table_snapshot(&table_a, buf, needed, &len));
    CHECK(len == needed);
}

/* A returned user is removed; clear empties the table. */
static void returned_user_is_removed_and_clear_empties(void) {
    mcx_message_t upd;
    size_t before = 0, after = 0;

    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &before));
    CHECK_RC(MCX_OK, mcx_message_init_returned(&upd, USER2_PRIMARY));
    CHECK_RC(MCX_OK, mcx_table_apply(&table_a, &upd));
    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &after));
    CHECK(after + 1 == before);
    CHECK_RC(MCX_OK, mcx_table_clear(&table_a));
    CHECK_RC(MCX_OK, mcx_table_len(&table_a, &after));
    CHECK(after == 0);
}

/* The version macros are usable by the preprocessor; mcx_version() is the library linked, the
 * macros' "MAJOR.MINOR.PATCH"; encodings and snapshots carry the format versions. */
#if MCX_VERSION_MAJOR < 0 || MCX_WIRE_FORMAT_VERSION < 1 || MCX_SNAPSHOT_FORMAT_VERSION < 1
#error "version macros missing from mcx_migrate.h"
#endif
static void versions_are_in_the_header_and_the_library(void) {
    static mcx_table_t empty;
    static uint8_t empty_records[MCX_TABLE_MIN_STORAGE_LEN];
    static uint8_t snap[MCX_TABLE_MAX_SNAPSHOT_LEN(sizeof empty_records)];
    char want[64];
    mcx_message_t upd;
    uint8_t wire[MCX_MAX_ENCODED_LEN];
    size_t len = 0;

    snprintf(want, sizeof want, "%d.%d.%d", (int)MCX_VERSION_MAJOR, (int)MCX_VERSION_MINOR,
            (int)MCX_VERSION_PATCH);
    CHECK(mcx_version() != NULL && strcmp(mcx_version(), want) == 0);
    CHECK(mcx_version() == mcx_version());

    CHECK_RC(MCX_OK, mcx_message_init_returned(&upd, USER2_PRIMARY));
    CHECK_RC(MCX_OK, mcx_message_encode(&upd, wire, sizeof wire, &len));
    CHECK(len > 0 && wire[0] == MCX_WIRE_FORMAT_VERSION);

    CHECK_RC(MCX_OK, mcx_table_init(&empty, empty_records, sizeof empty_records));
    CHECK_RC(MCX_OK, mcx_table_snapshot(&empty, snap, sizeof snap, &len));
    /* The magic "MCXS", then the version byte. */
    CHECK(len > 4 && snap[4] == MCX_SNAPSHOT_FORMAT_VERSION);
}

/* Builds the same objects into storage that held `fill` bytes (or, with fill < 0, whatever
 * the stack held: uninitialised to valgrind) and, from the second run on (`which` 1), checks
 * that they equal the first run's byte for byte. */
static mcx_table_t same_table[2];
/* Both runs' tables use this storage, so their handles (which name it) can be compared. */
static uint8_t same_records[MCX_TABLE_STORAGE_LEN(2, 120)];

static void same_bytes_whatever_the_storage_held(int fill, int which) {
    mcx_message_t req, redir, upd, decoded;
    mcx_call_t call;
    uint8_t wire[MCX_MAX_ENCODED_LEN];
    size_t len = 0;
    static mcx_message_t want_req, want_redir, want_upd, want_decoded;
    static mcx_call_t want_call;

    if (fill >= 0) {
        memset(&req, fill, sizeof req);
        memset(&redir, fill, sizeof redir);
        memset(&upd, fill, sizeof upd);
        memset(&decoded, fill, sizeof decoded);
        memset(&call, fill, sizeof call);
        memset(&same_table[which], fill, sizeof same_table[which]);
    }
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2_PRIMARY, true, NULL));
    CHECK_RC(MCX_OK, mcx_message_init_redirection(&redir, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                  USER2_PRIMARY, USER2_AT_B, true, KMS_B,
                                                  MCX_REASON_TARGET_MIGRATED));
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2_PRIMARY, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_message_encode(&redir, wire, sizeof wire, &len));
    CHECK_RC(MCX_OK, mcx_message_decode(&decoded, wire, len));
    CHECK_RC(MCX_OK, mcx_table_init(&same_table[which], same_records, sizeof same_records));
    CHECK_RC(MCX_OK, mcx_table_apply(&same_table[which], &upd));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &req));
    CHECK_RC(MCX_OK, mcx_call_on_redirection(&call, &redir));
    if (which == 0) {
        want_req = req;
        want_redir = redir;
        want_upd = upd;
        want_decoded = decoded;
        want_call = call;
    } else {
        CHECK(memcmp(&req, &want_req, sizeof req) == 0);
        CHECK(memcmp(&redir, &want_redir, sizeof redir) == 0);
        CHECK(memcmp(&upd, &want_upd, sizeof upd) == 0);
        CHECK(memcmp(&decoded, &want_decoded, sizeof decoded) == 0);
        CHECK(memcmp(&call, &want_call, sizeof call) == 0);
        CHECK(memcmp(&same_table[0], &same_table[1], sizeof same_table[0]) == 0);
    }
}

/* Every byte of an object the library writes is defined: two objects built the same way are
 * equal byte for byte whatever their storage held before, and under valgrind comparing them
 * reads no uninitialised byte (padding and unused string capacity included). */
static void objects_built_the_same_way_are_equal_byte_for_byte(void) {
    same_bytes_whatever_the_storage_held(0x00, 0);
    same_bytes_whatever_the_storage_held(0xFF, 1);
    same_bytes_whatever_the_storage_held(-1, 1);
}

/* Issue 16: power-cut-safe saves. A flash slot whose power fails after `budget` bytes: the
 * rest of the save is never written (the slot was erased to 0xFF first). */
#define SAVE_SLOT_BYTES MCX_SAVE_SLOT_LEN(RECORDS_STORAGE_LEN)
struct cut_flash {
    uint8_t *bytes;
    size_t budget, programmed;
};
static int32_t cut_erase(void *context) {
    struct cut_flash *f = context;
    memset(f->bytes, 0xFF, SAVE_SLOT_BYTES);
    return 0;
}
static int32_t cut_program(void *context, size_t offset, const uint8_t *data, size_t len) {
    struct cut_flash *f = context;
    size_t n = len < f->budget ? len : f->budget;
    CHECK(offset % MCX_SAVE_PROGRAM_CHUNK == 0 && len <= MCX_SAVE_PROGRAM_CHUNK);
    memcpy(f->bytes + offset, data, n);
    f->budget -= n;
    f->programmed += n;
    return n < len ? -1 : 0;
}

static size_t snapshot_into(const mcx_table_t *t, uint8_t *buf, size_t cap) {
    size_t len = 0;
    CHECK_RC(MCX_OK, mcx_table_snapshot(t, buf, cap, &len));
    return len;
}

static void a_save_cut_at_any_byte_loads_the_previous_or_the_new_table(void) {
    static mcx_table_t previous, next, loaded;
    static uint8_t prev_records[RECORDS_STORAGE_LEN], next_records[RECORDS_STORAGE_LEN];
    static uint8_t loaded_records[RECORDS_STORAGE_LEN];
    static uint8_t slot_a[SAVE_SLOT_BYTES], slot_b[SAVE_SLOT_BYTES];
    static uint8_t want_prev[SNAPSHOT_BUF_LEN], want_next[SNAPSHOT_BUF_LEN], got[SNAPSHOT_BUF_LEN];
    struct cut_flash flash = {slot_b, (size_t)-1, 0};
    mcx_save_slot_t a = {slot_a, sizeof slot_a, NULL, NULL, NULL};
    mcx_save_slot_t b = {slot_b, sizeof slot_b, &flash, cut_erase, cut_program};
    mcx_message_t upd;
    size_t prev_len, next_len, got_len, full, budget;
    mcx_slot slot = 9;
    uint32_t sequence = 0;
    mcx_status status_a = 1, status_b = 1, rc;
    int failures = 0;

    CHECK_RC(MCX_OK, mcx_table_init(&previous, prev_records, sizeof prev_records));
    CHECK_RC(MCX_OK, mcx_table_init(&next, next_records, sizeof next_records));
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2_PRIMARY, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&previous, &upd));
    CHECK_RC(MCX_OK, mcx_table_apply(&next, &upd));
    CHECK_RC(MCX_OK, mcx_message_init_visitor_registered(&upd, USER2_AT_C, USER1, SYSTEM_A, KMS_A));
    CHECK_RC(MCX_OK, mcx_table_apply(&next, &upd));
    prev_len = snapshot_into(&previous, want_prev, sizeof want_prev);
    next_len = snapshot_into(&next, want_next, sizeof want_next);

    /* Both slots erased: the first save goes to A, with sequence 1 (no callbacks: RAM). */
    memset(slot_a, 0xFF, sizeof slot_a);
    memset(slot_b, 0xFF, sizeof slot_b);
    CHECK_RC(MCX_OK, mcx_table_save(&previous, &a, &b, &slot, &sequence));
    CHECK(slot == MCX_SLOT_A && sequence == 1);
    /* An uncut save of `next` goes to B: its length. */
    CHECK_RC(MCX_OK, mcx_table_save(&next, &a, &b, &slot, &sequence));
    CHECK(slot == MCX_SLOT_B && sequence == 2);
    full = flash.programmed;
    CHECK(full == 8 + next_len + 4);

    for (budget = 0; budget <= full; budget++) {
        memset(slot_b, 0xA5, sizeof slot_b); /* whatever B held before */
        flash.budget = budget;
        flash.programmed = 0;
        rc = mcx_table_save(&next, &a, &b, NULL, NULL);
        CHECK_RC(MCX_OK, mcx_table_init(&loaded, loaded_records, sizeof loaded_records));
        if (mcx_table_load(&loaded, &a, &b, &slot, &sequence, &status_a, &status_b, NULL) !=
            MCX_OK) {
            failures++;
            continue;
        }
        got_len = snapshot_into(&loaded, got, sizeof got);
        if (budget < full) {
            failures += rc != MCX_E_SAVE_IO || slot != MCX_SLOT_A || sequence != 1 ||
                        status_a != MCX_OK || status_b == MCX_OK || got_len != prev_len ||
                        memcmp(got, want_prev, prev_len) != 0;
        } else {
            failures += rc != MCX_OK || slot != MCX_SLOT_B || sequence != 2 ||
                        status_a != MCX_OK || status_b != MCX_OK || got_len != next_len ||
                        memcmp(got, want_next, next_len) != 0;
        }
    }
    CHECK(failures == 0);

    /* Neither slot whole: MCX_E_SAVE_NO_VALID_SLOT, the table unchanged, each slot's reason. */
    memset(slot_a, 0xFF, sizeof slot_a);
    slot_b[20] ^= 0x01;
    {
        size_t before_len = snapshot_into(&loaded, want_prev, sizeof want_prev);
        size_t needed = 77;
        CHECK_RC(MCX_E_SAVE_NO_VALID_SLOT,
                 mcx_table_load(&loaded, &a, &b, NULL, NULL, &status_a, &status_b, &needed));
        CHECK(status_a == MCX_E_SAVE_SLOT_ERASED && status_b == MCX_E_SAVE_CRC_MISMATCH);
        CHECK(needed == 77); /* no slot refused for want of storage: not written */
        got_len = snapshot_into(&loaded, got, sizeof got);
        CHECK(got_len == before_len && memcmp(got, want_prev, got_len) == 0);
    }
    /* A slot too small, and a slot with only one callback. */
    a.len = 10;
    CHECK_RC(MCX_E_SAVE_SLOT_TOO_SMALL, mcx_table_save(&next, &a, &b, NULL, NULL));
    a.len = sizeof slot_a;
    b.erase = NULL;
    CHECK_RC(MCX_E_INVALID_ARGUMENT, mcx_table_save(&next, &a, &b, NULL, NULL));
}

/* A whole save whose records need more storage than the table has: refused with
 * MCX_E_SNAPSHOT_TABLE_TOO_SMALL, the storage it needs in *out_needed (the larger of two), the
 * table unchanged. */
static void a_save_too_big_for_the_table_reports_the_storage_it_needs(void) {
    static mcx_table_t small, source;
    static uint8_t small_records[MCX_TABLE_MIN_STORAGE_LEN + 40];
    static uint8_t source_records[RECORDS_STORAGE_LEN];
    static uint8_t slot_a[SAVE_SLOT_BYTES], slot_b[SAVE_SLOT_BYTES];
    mcx_save_slot_t a = {slot_a, sizeof slot_a, NULL, NULL, NULL};
    mcx_save_slot_t b = {slot_b, sizeof slot_b, NULL, NULL, NULL};
    mcx_message_t upd;
    mcx_status status_a = 1, status_b = 1;
    size_t one_record = 0, two_records = 0, needed = 0, records = 9;

    CHECK_RC(MCX_OK, mcx_table_init(&source, source_records, sizeof source_records));
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2_PRIMARY, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&source, &upd));
    CHECK_RC(MCX_OK, mcx_table_bytes_in_use(&source, &one_record));
    CHECK(one_record > sizeof small_records);
    memset(slot_a, 0xFF, sizeof slot_a);
    memset(slot_b, 0xFF, sizeof slot_b);
    CHECK_RC(MCX_OK, mcx_table_save(&source, &a, &b, NULL, NULL)); /* to A */
    CHECK_RC(MCX_OK, mcx_table_init(&small, small_records, sizeof small_records));
    CHECK_RC(MCX_E_SAVE_NO_VALID_SLOT,
             mcx_table_load(&small, &a, &b, NULL, NULL, &status_a, &status_b, &needed));
    CHECK(status_a == MCX_E_SNAPSHOT_TABLE_TOO_SMALL && status_b == MCX_E_SAVE_SLOT_ERASED);
    CHECK(needed == one_record); /* as mcx_table_restore reports it */
    CHECK_RC(MCX_OK, mcx_table_len(&small, &records));
    CHECK(records == 0);

    /* Both slots too big: the larger need, whichever slot holds it. */
    CHECK_RC(MCX_OK, mcx_message_init_visitor_registered(&upd, USER2_AT_C, USER1, SYSTEM_A, KMS_A));
    CHECK_RC(MCX_OK, mcx_table_apply(&source, &upd));
    CHECK_RC(MCX_OK, mcx_table_bytes_in_use(&source, &two_records));
    CHECK(two_records > one_record);
    CHECK_RC(MCX_OK, mcx_table_save(&source, &a, &b, NULL, NULL)); /* to B */
    needed = 0;
    CHECK_RC(MCX_E_SAVE_NO_VALID_SLOT,
             mcx_table_load(&small, &a, &b, NULL, NULL, &status_a, &status_b, &needed));
    CHECK(status_a == MCX_E_SNAPSHOT_TABLE_TOO_SMALL &&
          status_b == MCX_E_SNAPSHOT_TABLE_TOO_SMALL);
    CHECK(needed == two_records);
}

int main(void) {
    versions_are_in_the_header_and_the_library();
    status_strings_are_static_and_distinct();
    table_storage_is_sized_by_macro_or_function();
    request_is_built_encoded_and_decoded();
    frames_round_trip();
    migration_update_bytes_fill_the_table();
    call_to_migrated_user_is_redirected_and_followed();
    built_redirection_is_the_servers_and_is_followed();
    ids_in_utf8_text_are_kept_byte_for_byte();
    call_to_user_served_here_proceeds();
    e2ee_call_without_security_domain_info_is_rejected();
    consecutive_migration_sends_caller_home_then_on();
    a_call_to_a_cached_partner_id_follows_the_redirection_home();
    snapshot_restores_the_table_after_a_reboot();
    snapshot_into_a_short_buffer_reports_the_length_needed();
    returned_user_is_removed_and_clear_empties();
    objects_built_the_same_way_are_equal_byte_for_byte();
    a_save_cut_at_any_byte_loads_the_previous_or_the_new_table();
    a_save_too_big_for_the_table_reports_the_storage_it_needs();
    return check_report("test_api");
}

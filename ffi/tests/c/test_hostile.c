/* Hostile calls: each returns its exact status code and leaves every object byte-for-byte as
 * it was (issue: "Hostile calls are errors, not crashes ... After a failed call every object is
 * exactly as before"). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define USER1 "sip:user1@mc-a.example"
#define USER2 "sip:user2@mc-a.example"
#define USER2_AT_B "sip:visitor-0042@mc-b.example"
#define SYSTEM_B "mc-b.example"
#define KMS_B "https://kms.mc-b.example/kms"

static mcx_table_t table;
static uint8_t table_records[MCX_TABLE_STORAGE_LEN(16, 120)];
static mcx_table_t garbage_table;

/* As CHECK_RC_UNCHANGED for a table: its handle and the storage of its records. */
#define CHECK_TABLE_UNCHANGED(want, t, records, call)                                  \
    do {                                                                               \
        static unsigned char records_before_[sizeof(records)];                         \
        memcpy(records_before_, (records), sizeof(records));                           \
        CHECK_RC_UNCHANGED(want, t, call);                                             \
        CHECK(memcmp(records_before_, (records), sizeof(records)) == 0);               \
    } while (0)
static mcx_message_t msg;
static mcx_message_t request;
static mcx_message_t update;
static mcx_call_t call;
static uint8_t wire[MCX_MAX_ENCODED_LEN];
static size_t wire_len;

static void setup(void) {
    memset(&garbage_table, 0xA5, sizeof garbage_table);
    CHECK_RC(MCX_OK, mcx_table_init(&table, table_records, sizeof table_records));
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&update, USER2, SYSTEM_B, USER2_AT_B, KMS_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&table, &update));
    CHECK_RC(MCX_OK, mcx_message_init_request(&request, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              USER2, true, NULL));
    CHECK_RC(MCX_OK, mcx_message_encode(&request, wire, sizeof wire, &wire_len));
    CHECK_RC(MCX_OK, mcx_message_init_returned(&msg, USER1));
    CHECK_RC(MCX_OK, mcx_call_start(&call, &request));
}

static void null_pointers_are_refused(void) {
    uint8_t buf[MCX_MAX_ENCODED_LEN];
    size_t len = 0;
    uint32_t u = 0; /* an out-variable for every selector enum: in C each is a uint32_t */
    mcx_status r = 0;

    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_table_init(NULL, table_records, sizeof table_records));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records,
                          mcx_table_init(&table, NULL, sizeof table_records));
    CHECK_TABLE_UNCHANGED(MCX_E_TABLE_STORAGE_TOO_SMALL, table, table_records,
                          mcx_table_init(&table, table_records, MCX_TABLE_MIN_STORAGE_LEN - 1));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_table_len(NULL, &len));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_len(&table, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_apply(&table, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_apply_bytes(&table, NULL, 5));
    CHECK(sizeof buf >= 16);
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_table_snapshot(NULL, buf, sizeof buf, &len));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_snapshot(&table, buf, 16, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_snapshot(&table, NULL, 16, &len));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_table_restore(NULL, wire, wire_len, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_table_restore(&table, NULL, 16, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg,
                       mcx_message_init_request(&msg, 0, NULL, USER2, false, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg,
                       mcx_message_init_migrated(&msg, USER2, NULL, USER2_AT_B, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg, mcx_message_decode(&msg, NULL, 3));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_message_decode(NULL, wire, wire_len));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg, mcx_message_encode(&msg, buf, sizeof buf, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg, mcx_message_encode(&msg, NULL, 10, &len));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg, mcx_message_type(&msg, NULL));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_message_type(NULL, &u));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg,
                       mcx_message_field(&msg, MCX_FIELD_PRIMARY_ID, NULL, 10, &len));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_server_decide(&table, &request, buf, sizeof buf, &len, NULL, &r));
    CHECK_TABLE_UNCHANGED(MCX_E_NULL_ARGUMENT, table, table_records, mcx_server_decide_bytes(&table, wire, wire_len, buf, sizeof buf, &len,
                                               &u, NULL));
    CHECK_RC(MCX_E_NULL_ARGUMENT,
             mcx_server_decide(NULL, &request, buf, sizeof buf, &len, &u, &r));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, call, mcx_call_start(&call, NULL));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_call_start(NULL, &request));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, call, mcx_call_on_redirection(&call, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, call, mcx_call_on_redirection_bytes(&call, NULL, 9));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, call, mcx_call_request(&call, buf, sizeof buf, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, call, mcx_call_redirections(&call, NULL));
    CHECK_RC(MCX_E_NULL_ARGUMENT, mcx_call_request_message(&call, NULL));
    CHECK(mcx_status_str(MCX_E_NULL_ARGUMENT) != NULL);
}

static void uninitialised_and_corrupted_objects_are_refused(void) {
    static mcx_message_t garbage_msg;
    static mcx_call_t garbage_call;
    mcx_table_t zeroed;
    uint8_t buf[MCX_MAX_ENCODED_LEN];
    size_t len = 0;
    uint32_t u = 0; /* an out-variable for every selector enum: in C each is a uint32_t */
    mcx_status r = 0;

    memset(&garbage_msg, 0x5A, sizeof garbage_msg);
    memset(&garbage_call, 0xFF, sizeof garbage_call);
    memset(&zeroed, 0, sizeof zeroed);

    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_table, mcx_table_len(&garbage_table, &len));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, zeroed, mcx_table_apply(&zeroed, &update));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, zeroed, mcx_table_clear(&zeroed));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_table,
                       mcx_table_snapshot(&garbage_table, buf, sizeof buf, &len));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_table,
                       mcx_table_restore(&garbage_table, wire, wire_len, NULL));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_table,
                       mcx_table_apply_bytes(&garbage_table, wire, wire_len));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_table,
                       mcx_server_decide(&garbage_table, &request, buf, sizeof buf, &len, &u, &r));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_msg, mcx_message_type(&garbage_msg, &u));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_msg,
                       mcx_message_encode(&garbage_msg, buf, sizeof buf, &len));
    CHECK_TABLE_UNCHANGED(MCX_E_NOT_INITIALISED, table, table_records, mcx_table_apply(&table, &garbage_msg));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_call,
                       mcx_call_request(&garbage_call, buf, sizeof buf, &len));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, garbage_call,
                       mcx_call_on_redirection_bytes(&garbage_call, wire, wire_len));
    CHECK_RC_UNCHANGED(MCX_E_NOT_INITIALISED, call, mcx_call_start(&call, &garbage_msg));

    /* Another kind of object: a table passed where a message is expected. */
    CHECK_TABLE_UNCHANGED(MCX_E_NOT_INITIALISED, table, table_records, mcx_message_type((const mcx_message_t *)(const void *)&table, &u));

    /* A corrupted header (first byte overwritten) is detected, then the object works again once
     * the byte is restored. */
    table._opaque[0] ^= 0x01;
    CHECK_TABLE_UNCHANGED(MCX_E_NOT_INITIALISED, table, table_records, mcx_table_apply(&table, &update));
    CHECK_TABLE_UNCHANGED(MCX_E_NOT_INITIALISED, table, table_records, mcx_table_len(&table, &len));
    table._opaque[0] ^= 0x01;
    CHECK_RC(MCX_OK, mcx_table_len(&table, &len));
    CHECK(len == 1);
}

static void bad_strings_are_refused(void) {
    static char no_nul[MCX_MAX_STRING_LEN + 64];
    char long_id[300];

    memset(no_nul, 'x', sizeof no_nul);
    memcpy(long_id, "sip:", 4);
    memset(long_id + 4, 'a', sizeof long_id - 5);
    long_id[sizeof long_id - 1] = '\0';

    CHECK_RC_UNCHANGED(MCX_E_INVALID_UTF8, msg,
                       mcx_message_init_returned(&msg, "sip:\xff\xfe@mc-a.example"));
    CHECK_RC_UNCHANGED(MCX_E_STRING_TOO_LONG, msg, mcx_message_init_returned(&msg, no_nul));
    CHECK_RC_UNCHANGED(MCX_E_ID_TOO_LONG, msg, mcx_message_init_returned(&msg, long_id));
    CHECK_RC_UNCHANGED(MCX_E_ID_EMPTY, msg, mcx_message_init_returned(&msg, ""));
    CHECK_RC_UNCHANGED(MCX_E_ID_CONTROL_CHARACTER, msg,
                       mcx_message_init_returned(&msg, "sip:a\tb@x"));
    CHECK_RC_UNCHANGED(MCX_E_ID_INVALID_URI, msg, mcx_message_init_returned(&msg, "http://x"));
    CHECK_RC_UNCHANGED(MCX_E_ID_INVALID_DOMAIN_NAME, msg,
                       mcx_message_init_migrated(&msg, USER2, "-bad-.example", USER2_AT_B, NULL));
    CHECK_RC_UNCHANGED(MCX_E_ID_INVALID_URI, msg,
                       mcx_message_init_migrated(&msg, USER2, SYSTEM_B, USER2_AT_B, "no scheme"));
    CHECK_RC_UNCHANGED(MCX_E_INVALID_ARGUMENT, msg,
                       mcx_message_init_request(&msg, 7, USER1, USER2, false, NULL));
}

/* Writes `prefix`, then `fill` bytes up to `len` bytes in all, then `suffix`, and a NUL. */
static char *id_of_length(char *buf, size_t len, const char *prefix, char fill,
                          const char *suffix) {
    size_t head = strlen(prefix), tail = strlen(suffix);
    memcpy(buf, prefix, head);
    memset(buf + head, fill, len - head - tail);
    memcpy(buf + len - tail, suffix, tail + 1);
    return buf;
}

/* The header states each identifier capacity: an identifier that long is accepted, one byte
 * more is MCX_E_ID_TOO_LONG. */
static void identifiers_are_accepted_up_to_the_capacities_in_the_header(void) {
    static char id[MCX_MC_SERVICE_ID_CAPACITY + 2];
    static char system[MCX_MC_SYSTEM_ID_CAPACITY + 2];
    static char kms[MCX_KMS_URI_CAPACITY + 2];
    size_t len = 0, at;

    CHECK(MCX_MC_SERVICE_ID_CAPACITY <= MCX_MAX_STRING_LEN);
    CHECK(MCX_MC_SYSTEM_ID_CAPACITY <= MCX_MAX_STRING_LEN);
    CHECK(MCX_KMS_URI_CAPACITY <= MCX_MAX_STRING_LEN);

    id_of_length(id, MCX_MC_SERVICE_ID_CAPACITY, "sip:", 'a', "@mc-a.example");
    CHECK_RC(MCX_OK, mcx_message_init_returned(&msg, id));
    CHECK_RC(MCX_E_BUFFER_TOO_SMALL,
             mcx_message_field(&msg, MCX_FIELD_PRIMARY_ID, NULL, 0, &len));
    CHECK(len == MCX_MC_SERVICE_ID_CAPACITY + 1); /* bytes needed, NUL included */
    id_of_length(id, MCX_MC_SERVICE_ID_CAPACITY + 1, "sip:", 'a', "@mc-a.example");
    CHECK_RC_UNCHANGED(MCX_E_ID_TOO_LONG, msg, mcx_message_init_returned(&msg, id));

    /* A domain name of labels of at most 63 bytes. */
    id_of_length(system, MCX_MC_SYSTEM_ID_CAPACITY, "", 'a', ".example");
    for (at = 63; at < MCX_MC_SYSTEM_ID_CAPACITY - 8; at += 64) system[at] = '.';
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&msg, USER2, system, USER2_AT_B, NULL));
    id_of_length(system, MCX_MC_SYSTEM_ID_CAPACITY + 1, "", 'a', ".example");
    for (at = 63; at < MCX_MC_SYSTEM_ID_CAPACITY - 8; at += 64) system[at] = '.';
    CHECK_RC_UNCHANGED(MCX_E_ID_TOO_LONG, msg,
                       mcx_message_init_migrated(&msg, USER2, system, USER2_AT_B, NULL));

    id_of_length(kms, MCX_KMS_URI_CAPACITY, "https://kms.mc-b.example/", 'k', "");
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&msg, USER2, SYSTEM_B, USER2_AT_B, kms));
    id_of_length(kms, MCX_KMS_URI_CAPACITY + 1, "https://kms.mc-b.example/", 'k', "");
    CHECK_RC_UNCHANGED(MCX_E_ID_TOO_LONG, msg,
                       mcx_message_init_migrated(&msg, USER2, SYSTEM_B, USER2_AT_B, kms));

    /* As setup() left it, for the tests after this one. */
    CHECK_RC(MCX_OK, mcx_message_init_returned(&msg, USER1));
}

/* The redirection builder checks every argument and refuses, leaving `msg` as it was, what the
 * encoder would refuse: E2EE required without security domain information (the NOTE under
 * Table 10.16.y.2-1). */
static void redirection_builder_refuses_bad_arguments(void) {
    CHECK_RC(MCX_E_NULL_ARGUMENT,
             mcx_message_init_redirection(NULL, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1, USER2,
                                          USER2_AT_B, false, NULL, MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, NULL,
                                                    USER2, USER2_AT_B, false, NULL,
                                                    MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_NULL_ARGUMENT, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, NULL, false, NULL, MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_INVALID_ARGUMENT, msg,
                       mcx_message_init_redirection(&msg, 3, USER1, USER2, USER2_AT_B, false, NULL,
                                                    MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_INVALID_ARGUMENT, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, USER2_AT_B, false, NULL, 2));
    CHECK_RC_UNCHANGED(MCX_E_INVALID_ARGUMENT, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, USER2_AT_B, false, NULL, 0xFFFFFFFFu));
    CHECK_RC_UNCHANGED(MCX_E_ENCODE_MISSING_SECURITY_DOMAIN_INFO, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, USER2_AT_B, true, NULL,
                                                    MCX_REASON_TARGET_MIGRATED));
    CHECK_RC_UNCHANGED(MCX_E_ID_INVALID_URI, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, "http://x", false, NULL,
                                                    MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_ID_INVALID_URI, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    USER2, USER2_AT_B, true, "no scheme",
                                                    MCX_REASON_NONE));
    CHECK_RC_UNCHANGED(MCX_E_INVALID_UTF8, msg,
                       mcx_message_init_redirection(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                    "sip:\xff@x", USER2_AT_B, false, NULL,
                                                    MCX_REASON_NONE));
}

static void garbage_bytes_are_refused(void) {
    uint8_t bytes[MCX_MAX_ENCODED_LEN + 1];
    uint8_t frame[MCX_MAX_FRAME_LEN];
    /* Format version 1 is not one this build speaks. */
    static const uint8_t bad_version[] = {1, 1, 0};
    static const uint8_t bad_type[] = {2, 9, 0};
    static const uint8_t bad_tag[] = {2, 1, 7};
    static const uint8_t bad_update_tag[] = {2, 3, 9};
    static uint8_t bad_frame[] = {5, 1, 0};
    /* Valid COBS, but three bytes: too short to hold a CRC-32C. */
    static uint8_t frame_without_crc[] = {4, 1, 3, 3, 0};
    size_t len = 0, bit;

    CHECK_RC_UNCHANGED(MCX_E_DECODE_TRUNCATED, msg, mcx_message_decode(&msg, NULL, 0));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_TRUNCATED, msg, mcx_message_decode(&msg, wire, wire_len - 1));
    memcpy(bytes, wire, wire_len);
    bytes[wire_len] = 0;
    CHECK_RC_UNCHANGED(MCX_E_DECODE_TRAILING_BYTES, msg, mcx_message_decode(&msg, bytes, wire_len + 1));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_UNSUPPORTED_VERSION, msg,
                       mcx_message_decode(&msg, bad_version, sizeof bad_version));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_UNKNOWN_MESSAGE_TYPE, msg,
                       mcx_message_decode(&msg, bad_type, sizeof bad_type));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_MALFORMED, msg, mcx_message_decode(&msg, bad_tag, sizeof bad_tag));
    /* wire = version, type, kind, len, "sip:user1@..." : corrupt the calling party. */
    memcpy(bytes, wire, wire_len);
    bytes[5] = 0xFF;
    CHECK_RC_UNCHANGED(MCX_E_DECODE_INVALID_UTF8, msg, mcx_message_decode(&msg, bytes, wire_len));
    memcpy(bytes, wire, wire_len);
    bytes[4] = 'x'; /* "xip:" */
    CHECK_RC_UNCHANGED(MCX_E_DECODE_INVALID_FIELD, msg, mcx_message_decode(&msg, bytes, wire_len));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_BAD_FRAME, msg,
                       mcx_message_decode_frame(&msg, bad_frame, sizeof bad_frame));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_FRAME_CHECK_MISMATCH, msg,
                       mcx_message_decode_frame(&msg, frame_without_crc,
                                                sizeof frame_without_crc));
    /* One bit flipped anywhere in a frame (the request's): refused, the message untouched. */
    CHECK_RC(MCX_OK, mcx_message_encode_frame(&request, frame, sizeof frame, &len));
    for (bit = 0; bit < 8 * len; bit++) {
        mcx_status rc;
        CHECK_RC(MCX_OK, mcx_message_encode_frame(&request, frame, sizeof frame, &len));
        frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rc = mcx_message_decode_frame(&msg, frame, len);
        CHECK(rc == MCX_E_DECODE_FRAME_CHECK_MISMATCH || rc == MCX_E_DECODE_BAD_FRAME);
    }
    CHECK_RC(MCX_OK, mcx_message_encode_frame(&request, frame, sizeof frame, &len));
    frame[1] ^= 0x10;
    CHECK_RC_UNCHANGED(MCX_E_DECODE_FRAME_CHECK_MISMATCH, msg,
                       mcx_message_decode_frame(&msg, frame, len));
    CHECK_TABLE_UNCHANGED(MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE, table, table_records, mcx_table_apply_bytes(&table, wire, wire_len));
    CHECK_RC_UNCHANGED(MCX_E_DECODE_UNEXPECTED_MESSAGE_TYPE, call,
                       mcx_call_on_redirection_bytes(&call, wire, wire_len));
    CHECK_TABLE_UNCHANGED(MCX_E_DECODE_MALFORMED, table, table_records, mcx_table_apply_bytes(&table, bad_update_tag, sizeof bad_update_tag));
    (void)len;
}

static void wrong_message_types_and_absent_fields_are_refused(void) {
    char text[8];
    size_t len = 0;
    uint32_t u = 0;
    bool b = false;
    uint8_t buf[MCX_MAX_ENCODED_LEN];
    mcx_status r = 0;

    CHECK_TABLE_UNCHANGED(MCX_E_WRONG_MESSAGE_TYPE, table, table_records, mcx_table_apply(&table, &request));
    CHECK_RC_UNCHANGED(MCX_E_WRONG_MESSAGE_TYPE, call, mcx_call_start(&call, &update));
    CHECK_RC_UNCHANGED(MCX_E_WRONG_MESSAGE_TYPE, call, mcx_call_on_redirection(&call, &request));
    CHECK_TABLE_UNCHANGED(MCX_E_WRONG_MESSAGE_TYPE, table, table_records, mcx_server_decide(&table, &update, buf, sizeof buf, &len, &u, &r));
    CHECK_RC(MCX_E_WRONG_MESSAGE_TYPE, mcx_message_field(&update, MCX_FIELD_TARGET, text, sizeof text, &len));
    CHECK_RC(MCX_E_WRONG_MESSAGE_TYPE, mcx_message_service_kind(&update, &u));
    CHECK_RC(MCX_E_WRONG_MESSAGE_TYPE, mcx_message_e2ee_required(&update, &b));
    CHECK_RC(MCX_E_WRONG_MESSAGE_TYPE, mcx_message_reason(&request, &u));
    CHECK_RC(MCX_E_WRONG_MESSAGE_TYPE, mcx_message_update_kind(&request, &u));
    CHECK_RC(MCX_E_ABSENT, mcx_message_field(&request, MCX_FIELD_KMS_URI, text, sizeof text, &len));
    CHECK_RC(MCX_E_INVALID_ARGUMENT, mcx_message_field(&request, 99, text, sizeof text, &len));
    CHECK_RC(MCX_E_INVALID_ARGUMENT, mcx_message_field(&request, 0, text, sizeof text, &len));
    /* Too small for "sip:user1@mc-a.example" + NUL: the needed size comes back. */
    CHECK_RC(MCX_E_BUFFER_TOO_SMALL,
             mcx_message_field(&request, MCX_FIELD_CALLING_PARTY, text, sizeof text, &len));
    CHECK(len == strlen(USER1) + 1);
    CHECK_RC_UNCHANGED(MCX_E_BUFFER_TOO_SMALL, request, mcx_message_encode(&request, buf, 3, &len));
    CHECK(len == wire_len);
    CHECK_TABLE_UNCHANGED(MCX_E_BUFFER_TOO_SMALL, table, table_records, mcx_server_decide(&table, &request, buf, 4, &len, &u, &r));
    CHECK(len > 4 && len <= MCX_MAX_ENCODED_LEN);
}

static void table_errors_leave_the_table_unchanged(void) {
    static mcx_table_t full;
    /* Room for four records of these IDs ("sip:userN@mc-a.example", system, partner ID). */
    static uint8_t full_records[MCX_TABLE_STORAGE_LEN(4, 22 + 12 + 29)];
    mcx_message_t upd;
    char id[64];
    int i;

    CHECK_RC(MCX_OK, mcx_message_init_returned(&upd, "sip:nobody@mc-a.example"));
    CHECK_TABLE_UNCHANGED(MCX_E_TABLE_NOT_MIGRATED, table, table_records, mcx_table_apply(&table, &upd));
    CHECK_RC(MCX_OK, mcx_message_init_visitor_departed(&upd, "sip:nobody@mc-a.example"));
    CHECK_TABLE_UNCHANGED(MCX_E_TABLE_NOT_VISITING, table, table_records, mcx_table_apply(&table, &upd));
    CHECK_RC(MCX_OK, mcx_message_init_visitor_registered(&upd, USER2, "sip:u@mc-c.example",
                                                         "mc-c.example", NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_TABLE_ROLE_CONFLICT, table, table_records, mcx_table_apply(&table, &upd));

    CHECK_RC(MCX_OK, mcx_table_init(&full, full_records, sizeof full_records));
    for (i = 0; i < 4; i++) {
        sprintf(id, "sip:user%d@mc-a.example", i);
        CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, id, SYSTEM_B, USER2_AT_B, NULL));
        CHECK_RC(MCX_OK, mcx_table_apply(&full, &upd));
    }
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, "sip:one-more@mc-a.example", SYSTEM_B,
                                               USER2_AT_B, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_TABLE_FULL, full, full_records, mcx_table_apply(&full, &upd));
}

/* Redirections that do not belong to the call are refused and the call is untouched. */
static void foreign_redirections_leave_the_call_unchanged(void) {
    static mcx_table_t chain;
    static uint8_t chain_records[MCX_TABLE_STORAGE_LEN(8, 120)];
    mcx_message_t req, upd;
    mcx_call_t c;
    uint8_t out[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
    size_t out_len = 0, answer_len = 0;
    mcx_decision d = 0;
    mcx_status r = 0;
    char from[64], to[64];
    int i;

    /* A redirection meant for another caller (same target). */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL,
                                              "sip:someone-else@mc-a.example", USER2, true, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&table, &req, answer, sizeof answer, &answer_len, &d, &r));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_MISMATCHED_CALLING_PARTY, call,
                       mcx_call_on_redirection_bytes(&call, answer, answer_len));
    /* For another service. */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCDATA_ONE_TO_ONE, USER1, USER2,
                                              true, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&table, &req, answer, sizeof answer, &answer_len, &d, &r));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_MISMATCHED_SERVICE_KIND, call,
                       mcx_call_on_redirection_bytes(&call, answer, answer_len));
    /* Without E2EE (so without security domain information) for this E2EE call. */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1, USER2,
                                              false, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&table, &req, answer, sizeof answer, &answer_len, &d, &r));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_E2EE_DOWNGRADE, call,
                       mcx_call_on_redirection_bytes(&call, answer, answer_len));

    /* A chain user0 -> user1 -> ... and a self-redirection user9 -> user9. */
    CHECK_RC(MCX_OK, mcx_table_init(&chain, chain_records, sizeof chain_records));
    for (i = 0; i < 6; i++) {
        sprintf(from, "sip:user%d@mc-a.example", i);
        sprintf(to, "sip:user%d@mc-a.example", i + 1);
        CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, from, SYSTEM_B, to, KMS_B));
        CHECK_RC(MCX_OK, mcx_table_apply(&chain, &upd));
    }
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, "sip:user9@mc-a.example", SYSTEM_B,
                                               "sip:user9@mc-a.example", KMS_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&chain, &upd));

    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              "sip:user9@mc-a.example", true, NULL));
    CHECK_RC(MCX_OK, mcx_call_start(&c, &req));
    CHECK_RC(MCX_OK, mcx_server_decide(&chain, &req, answer, sizeof answer, &answer_len, &d, &r));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_LOOP, c, mcx_call_on_redirection_bytes(&c, answer, answer_len));

    /* A redirection for a target this call never dialled. */
    CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                              "sip:user0@mc-a.example", true, NULL));
    CHECK_RC(MCX_OK, mcx_server_decide(&chain, &req, answer, sizeof answer, &answer_len, &d, &r));
    CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_MISMATCHED_TARGET, c,
                       mcx_call_on_redirection_bytes(&c, answer, answer_len));

    /* Too many: user 2 keeps moving between partner systems B1, B2, B3 and each partner sends
     * the caller home (consecutive migration): X->B1, B1->X, X->B2, B2->X, then X->B3 is one
     * redirection too many. */
    {
        static mcx_table_t home, partners;
        static uint8_t home_records[MCX_TABLE_STORAGE_LEN(4, 120)];
        static uint8_t partner_records[MCX_TABLE_STORAGE_LEN(4, 120)];
        CHECK_RC(MCX_OK, mcx_table_init(&home, home_records, sizeof home_records));
        CHECK_RC(MCX_OK, mcx_table_init(&partners, partner_records, sizeof partner_records));
        CHECK_RC(MCX_OK, mcx_message_init_request(&req, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
                                                  USER2, true, NULL));
        CHECK_RC(MCX_OK, mcx_call_start(&c, &req));
        for (i = 1; i <= 3; i++) {
            sprintf(to, "sip:visitor@mc-b%d.example", i);
            CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, USER2, SYSTEM_B, to, KMS_B));
            CHECK_RC(MCX_OK, mcx_table_apply(&home, &upd));
            CHECK_RC(MCX_OK, mcx_message_init_visitor_registered(&upd, to, USER2, "mc-a.example",
                                                                 KMS_B));
            CHECK_RC(MCX_OK, mcx_table_apply(&partners, &upd));
            CHECK_RC(MCX_OK, mcx_message_init_visitor_departed(&upd, to));
            CHECK_RC(MCX_OK, mcx_table_apply(&partners, &upd));

            CHECK_RC(MCX_OK, mcx_call_request(&c, out, sizeof out, &out_len));
            CHECK_RC(MCX_OK, mcx_server_decide_bytes(&home, out, out_len, answer, sizeof answer,
                                                     &answer_len, &d, &r));
            CHECK(d == MCX_DECISION_REDIRECT);
            if (i == 3) break;
            CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&c, answer, answer_len));
            CHECK_RC(MCX_OK, mcx_call_request(&c, out, sizeof out, &out_len));
            CHECK_RC(MCX_OK, mcx_server_decide_bytes(&partners, out, out_len, answer,
                                                     sizeof answer, &answer_len, &d, &r));
            CHECK(d == MCX_DECISION_REDIRECT);
            CHECK_RC(MCX_OK, mcx_call_on_redirection_bytes(&c, answer, answer_len));
        }
        CHECK_RC_UNCHANGED(MCX_E_REDIRECTION_TOO_MANY, c,
                           mcx_call_on_redirection_bytes(&c, answer, answer_len));
    }
    (void)out_len;
}

/* CRC-32/ISO-HDLC (the snapshot's), bitwise: lets a test forge a snapshot whose CRC is right
 * but whose contents are not, to reach the checks behind the CRC. */
static uint32_t crc32_iso_hdlc(const uint8_t *p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int b;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Writes the total length (header bytes 5-8) and the trailing CRC of a forged snapshot. */
static void seal(uint8_t *snap, size_t len) {
    uint32_t crc;
    snap[5] = (uint8_t)len;
    snap[6] = (uint8_t)(len >> 8);
    snap[7] = (uint8_t)(len >> 16);
    snap[8] = (uint8_t)(len >> 24);
    crc = crc32_iso_hdlc(snap, len - 4);
    snap[len - 4] = (uint8_t)crc;
    snap[len - 3] = (uint8_t)(crc >> 8);
    snap[len - 2] = (uint8_t)(crc >> 16);
    snap[len - 1] = (uint8_t)(crc >> 24);
}

/* Issue 8: every refused restore returns its own MCX_E_SNAPSHOT_* code and leaves the table
 * byte for byte as it was (it holds other records than the snapshot, so a half-load would
 * show). Snapshot layout: "MCXS", version, u32 LE total length, body (varints: record bound
 * (the count), departures, record count, then the records), CRC-32. */
static void refused_restores_leave_the_table_unchanged(void) {
    static mcx_table_t source, tiny;
    static uint8_t source_records[MCX_TABLE_STORAGE_LEN(2, 120)];
    static uint8_t tiny_records[MCX_TABLE_MIN_STORAGE_LEN + 40];
    static uint8_t snap[MCX_TABLE_MAX_SNAPSHOT_LEN(sizeof source_records)];
    static uint8_t bad[2 * sizeof snap];
    mcx_message_t upd;
    size_t len = 0, record_len, i;
    const size_t count_at = 11; /* 9 header bytes, bound and departures one varint byte each */

    CHECK_RC(MCX_OK, mcx_table_init(&source, source_records, sizeof source_records));
    CHECK_RC(MCX_OK, mcx_message_init_migrated(&upd, "sip:user7@mc-a.example", SYSTEM_B,
                                               "sip:visitor-0007@mc-b.example", KMS_B));
    CHECK_RC(MCX_OK, mcx_table_apply(&source, &upd));
    CHECK_RC(MCX_OK, mcx_table_snapshot(&source, snap, sizeof snap, &len));
    CHECK(snap[9] == 1 && snap[10] == 0 && snap[count_at] == 1);
    record_len = len - count_at - 1 - 4;

    /* Erased flash and a wrong magic word. */
    memset(bad, 0xFF, sizeof bad);
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_NOT_A_SNAPSHOT, table, table_records, mcx_table_restore(&table, bad, len, NULL));
    memcpy(bad, snap, len);
    bad[0] ^= 0x20;
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_NOT_A_SNAPSHOT, table, table_records, mcx_table_restore(&table, bad, len, NULL));

    /* A version this build does not read. */
    memcpy(bad, snap, len);
    bad[4] = MCX_SNAPSHOT_FORMAT_VERSION + 1;
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_UNSUPPORTED_VERSION, table, table_records, mcx_table_restore(&table, bad, len, NULL));

    /* One flipped bit in a record, and a flipped bit in the CRC itself. */
    memcpy(bad, snap, len);
    bad[count_at + 1 + record_len / 2] ^= 0x04;
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_CRC_MISMATCH, table, table_records, mcx_table_restore(&table, bad, len, NULL));
    memcpy(bad, snap, len);
    bad[len - 1] ^= 0x80;
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_CRC_MISMATCH, table, table_records, mcx_table_restore(&table, bad, len, NULL));

    /* Truncated: each shorter length, down to nothing (NULL is fine with length 0). */
    for (i = 1; i < len; i++) {
        CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_TRUNCATED, table, table_records, mcx_table_restore(&table, snap, i, NULL));
    }
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_TRUNCATED, table, table_records, mcx_table_restore(&table, snap, 0, NULL));
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_TRUNCATED, table, table_records, mcx_table_restore(&table, NULL, 0, NULL));

    /* A valid snapshot into a table whose storage cannot hold its record. */
    CHECK_RC(MCX_OK, mcx_table_init(&tiny, tiny_records, sizeof tiny_records));
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_TABLE_TOO_SMALL, tiny, tiny_records,
                          mcx_table_restore(&tiny, snap, len, NULL));

    /* The same record twice, with a correct CRC. */
    memcpy(bad, snap, count_at + 1 + record_len);
    bad[9] = 2; /* the record bound (the count) */
    bad[count_at] = 2;
    memcpy(bad + count_at + 1 + record_len, snap + count_at + 1, record_len);
    seal(bad, len + record_len);
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_DUPLICATE_KEY, table, table_records, mcx_table_restore(&table, bad, len + record_len, NULL));

    /* A record count of 0 followed by a record, with a correct CRC. */
    memcpy(bad, snap, len);
    bad[count_at] = 0;
    seal(bad, len);
    CHECK_TABLE_UNCHANGED(MCX_E_SNAPSHOT_MALFORMED, table, table_records, mcx_table_restore(&table, bad, len, NULL));

    /* The unmodified snapshot is accepted and replaces the contents. */
    {
        static mcx_table_t target;
        static uint8_t target_records[MCX_TABLE_STORAGE_LEN(2, 120)];
        size_t n = 0;
        CHECK_RC(MCX_OK, mcx_table_init(&target, target_records, sizeof target_records));
        CHECK_RC(MCX_OK, mcx_table_apply(&target, &update));
        CHECK_RC(MCX_OK, mcx_table_restore(&target, snap, len, NULL));
        CHECK_RC(MCX_OK, mcx_table_len(&target, &n));
        CHECK(n == 1);
    }
}

int main(void) {
    setup();
    null_pointers_are_refused();
    uninitialised_and_corrupted_objects_are_refused();
    bad_strings_are_refused();
    identifiers_are_accepted_up_to_the_capacities_in_the_header();
    redirection_builder_refuses_bad_arguments();
    garbage_bytes_are_refused();
    wrong_message_types_and_absent_fields_are_refused();
    table_errors_leave_the_table_unchanged();
    foreign_redirections_leave_the_call_unchanged();
    refused_restores_leave_the_table_unchanged();
    return check_report("test_hostile");
}

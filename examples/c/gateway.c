/*
 * The server side of TS 23.280 clause 10.16.5 on a gateway (MC service server A): it keeps the
 * migration table current from migration updates received as bytes (clause 10.6.3) and answers
 * private call requests received as bytes (steps 2-3): proceed, a private call redirection, or
 * a rejection. It also shows what happens when the table is full and when garbage arrives, and
 * how the table survives a reboot: saved to flash as a snapshot, restored at boot.
 *
 * No malloc: the table is a static handle of MCX_TABLE_SIZE bytes next to a static array its
 * records live in, sized with MCX_TABLE_STORAGE_LEN; buffers are on the stack.
 * The "received" bytes are produced here with the library's builders, as the partner system and
 * the handset of handset.c would send them.
 *
 * Build: see examples/c/Makefile.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mcx_migrate.h"

#define USER1 "sip:user1@mc-a.example"
#define USER2_PRIMARY "sip:user2@mc-a.example"
#define USER2_AT_B "sip:visitor-0042@mc-b.example"

/* The gateway's migration table: its handle, and the storage its records live in, sized for
 * GATEWAY_RECORDS records whose strings (the key, the two other IDs and the KMS URI) take
 * GATEWAY_STRING_BYTES bytes on average (user 2's record here: 22 + 12 + 29 + 28 = 91). More
 * records fit when they are shorter; a longer one takes more. */
#define GATEWAY_RECORDS 16
#define GATEWAY_STRING_BYTES 96
static mcx_table_t table;
static uint8_t storage[MCX_TABLE_STORAGE_LEN(GATEWAY_RECORDS, GATEWAY_STRING_BYTES)];
/* Stands in for a flash area: MCX_TABLE_MAX_SNAPSHOT_LEN(storage length) bytes hold any
 * snapshot of the table. */
static uint8_t flash[MCX_TABLE_MAX_SNAPSHOT_LEN(sizeof storage)];

static void ok(mcx_status rc, const char *what) {
    if (rc != MCX_OK) {
        printf("gateway: %s failed: %d (%s)\n", what, (int)rc, mcx_status_str(rc));
        exit(1);
    }
}

/* What a partner system would send: an encoded migration update. */
static size_t received_update(mcx_message_t *update, uint8_t *bytes) {
    size_t len = 0;
    ok(mcx_message_encode(update, bytes, MCX_MAX_ENCODED_LEN, &len), "encode update");
    return len;
}

/* What a handset would send: an encoded private call request. */
static size_t received_request(const char *target, bool e2ee, uint8_t *bytes) {
    mcx_message_t request;
    size_t len = 0;
    ok(mcx_message_init_request(&request, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1, target, e2ee,
                                NULL), "build request");
    ok(mcx_message_encode(&request, bytes, MCX_MAX_ENCODED_LEN, &len), "encode request");
    return len;
}

/* The gateway's handler for an incoming migration update. */
static mcx_status on_migration_update(const uint8_t *bytes, size_t len) {
    mcx_status rc = mcx_table_apply_bytes(&table, bytes, len);
    size_t records = 0, in_use = 0;
    ok(mcx_table_len(&table, &records), "table length");
    ok(mcx_table_bytes_in_use(&table, &in_use), "bytes in use");
    printf("gateway: migration update (%u bytes): %s; %u records, %u/%u bytes of storage\n",
           (unsigned)len, mcx_status_str(rc), (unsigned)records, (unsigned)in_use,
           (unsigned)sizeof storage);
    return rc;
}

/* The gateway's handler for an incoming private call request (steps 2-3). */
static void on_private_call_request(const uint8_t *bytes, size_t len) {
    uint8_t redirection[MCX_MAX_ENCODED_LEN];
    size_t redirection_len = 0;
    mcx_decision decision = 0;
    mcx_status reject_reason = MCX_OK;
    mcx_status rc = mcx_server_decide_bytes(&table, bytes, len, redirection, sizeof redirection,
                                         &redirection_len, &decision, &reject_reason);
    if (rc != MCX_OK) {
        /* Garbage from the network: an error code, never a crash. */
        printf("gateway: request (%u bytes) refused: %d (%s)\n", (unsigned)len, (int)rc,
               mcx_status_str(rc));
        return;
    }
    switch (decision) {
    case MCX_DECISION_PROCEED:
        printf("gateway: request: target served here, call proceeds\n");
        break;
    case MCX_DECISION_REDIRECT: {
        mcx_message_t msg;
        char target[MCX_MAX_STRING_LEN + 1], kms[MCX_MAX_STRING_LEN + 1];
        size_t n = 0;
        mcx_reason reason = MCX_REASON_TARGET_MIGRATED;
        ok(mcx_message_decode(&msg, redirection, redirection_len), "decode own redirection");
        ok(mcx_message_reason(&msg, &reason), "read reason");
        /* The ID to call next: IE 3 from the primary system, IE 2 (the primary ID) from a
         * partner system that no longer serves the user (Table 10.16.y.2-1). */
        ok(mcx_message_field(&msg,
                             reason == MCX_REASON_TARGET_NO_LONGER_SERVED ? MCX_FIELD_TARGET_PRIMARY
                                                                          : MCX_FIELD_TARGET_MIGRATED,
                             target, sizeof target, &n),
           "read target");
        if (mcx_message_field(&msg, MCX_FIELD_KMS_URI, kms, sizeof kms, &n) != MCX_OK) {
            kms[0] = '\0';
        }
        printf("gateway: request: private call redirection (%u bytes) to %s, KMS %s\n",
               (unsigned)redirection_len, target, kms[0] ? kms : "(none)");
        break;
    }
    case MCX_DECISION_REJECT:
        printf("gateway: request: %s\n", mcx_status_str(reject_reason));
        break;
    default:
        printf("gateway: unknown decision %u\n", (unsigned)decision);
        exit(1);
    }
}

int main(void) {
    uint8_t bytes[MCX_MAX_ENCODED_LEN];
    mcx_message_t update;
    size_t len;
    char id[64];
    int i;

    ok(mcx_table_init(&table, storage, sizeof storage), "init table");
    printf("gateway: RAM: table handle %u bytes + storage %u bytes (%u records of %u string "
           "bytes), flash area %u bytes\n", (unsigned)sizeof table, (unsigned)sizeof storage,
           (unsigned)GATEWAY_RECORDS, (unsigned)GATEWAY_STRING_BYTES, (unsigned)sizeof flash);

    /* Clause 10.6.3.3: user 2 migrated to B, which assigned it an ID and has its own KMS. */
    ok(mcx_message_init_migrated(&update, USER2_PRIMARY, "mc-b.example", USER2_AT_B,
                                 "https://kms.mc-b.example/kms"), "build update");
    ok(on_migration_update(bytes, received_update(&update, bytes)), "apply update");
    /* User 4 migrated to C, whose security domain information is unknown here. */
    ok(mcx_message_init_migrated(&update, "sip:user4@mc-a.example", "mc-c.example",
                                 "tel:+4930555004", NULL), "build update");
    ok(on_migration_update(bytes, received_update(&update, bytes)), "apply update");

    /* The handset's requests. */
    on_private_call_request(bytes, received_request(USER2_PRIMARY, true, bytes));
    on_private_call_request(bytes, received_request("sip:user3@mc-a.example", true, bytes));
    on_private_call_request(bytes, received_request("sip:user4@mc-a.example", true, bytes));
    on_private_call_request(bytes, received_request("sip:user4@mc-a.example", false, bytes));

    /* Bad bytes: a truncated request and plain garbage. */
    len = received_request(USER2_PRIMARY, true, bytes);
    on_private_call_request(bytes, len - 3);
    bytes[0] = 0x7f;
    on_private_call_request(bytes, len);

    /* Table full: more migrated users than the storage holds. The update that needs more bytes
     * than are free (this table holds no departed visitor records to evict) is refused with
     * MCX_E_TABLE_FULL and the table stays as it was: the same records and bytes as before. */
    for (i = 5;; i++) {
        mcx_status rc;
        char at_b[64];
        sprintf(id, "sip:user%d@mc-a.example", i);
        sprintf(at_b, "sip:visitor-%04d@mc-b.example", i);
        ok(mcx_message_init_migrated(&update, id, "mc-b.example", at_b,
                                     "https://kms.mc-b.example/kms"), "build update");
        rc = on_migration_update(bytes, received_update(&update, bytes));
        if (rc == MCX_E_TABLE_FULL) break;
        ok(rc, "apply update");
    }
    /* Existing records still answer. */
    on_private_call_request(bytes, received_request(USER2_PRIMARY, true, bytes));

    /* Surviving a reboot. Save the table to flash (firmware does this after each update or
     * before power-down). */
    ok(mcx_table_snapshot(&table, flash, sizeof flash, &len), "snapshot");
    printf("gateway: saved %u-byte snapshot to flash\n", (unsigned)len);
    /* Reboot: RAM starts over with an empty table. Until the partner systems re-announce the
     * migrated users, a call to user 2 would wrongly proceed here instead of being redirected. */
    ok(mcx_table_init(&table, storage, sizeof storage), "init table after reboot");
    ok(mcx_table_len(&table, &len), "table length");
    printf("gateway: rebooted, table holds %u records\n", (unsigned)len);
    on_private_call_request(bytes, received_request(USER2_PRIMARY, true, bytes));
    /* So restore at boot. The whole flash area is passed: bytes after the snapshot are ignored.
     * A corrupted or erased area is refused (MCX_E_SNAPSHOT_*) and the table stays empty. */
    ok(mcx_table_restore(&table, flash, sizeof flash, NULL), "restore");
    ok(mcx_table_len(&table, &len), "table length");
    printf("gateway: restored %u records from flash\n", (unsigned)len);
    on_private_call_request(bytes, received_request(USER2_PRIMARY, true, bytes));
    /* A table whose storage is too small for the snapshot's records refuses it, stays as it
     * is, and says how much storage the snapshot needs. */
    {
        mcx_table_t small;
        uint8_t small_storage[MCX_TABLE_STORAGE_LEN(4, GATEWAY_STRING_BYTES)];
        size_t needed = 0;
        mcx_status rc;
        ok(mcx_table_init(&small, small_storage, sizeof small_storage), "init small table");
        rc = mcx_table_restore(&small, flash, sizeof flash, &needed);
        printf("gateway: restore into a table of %u bytes of storage: %s (%u needed)\n",
               (unsigned)sizeof small_storage, mcx_status_str(rc), (unsigned)needed);
    }
    /* A corrupted flash area: one flipped bit is refused, the table stays as it is. */
    flash[40] ^= 0x01;
    printf("gateway: restore from corrupted flash: %s\n",
           mcx_status_str(mcx_table_restore(&table, flash, sizeof flash, NULL)));
    printf("gateway: done\n");
    return 0;
}

/*
 * TS 23.280 Fig. 10.16.y.3-1 (clause 10.16.5) as bare-metal C firmware on an emulated
 * Cortex-M4F, through the C API of mcx-migrate (include/mcx_migrate.h, the thumbv7em staticlib):
 *
 * - pre-conditions: migration updates (clause 10.6.3) arrive as bytes and as COBS frames and
 *   build the migration tables of MC service servers A (user 2's primary system) and B;
 * - call 1: the handset (MC service client 1) calls user 2's primary MC service ID; server A
 *   answers with a private call redirection, as bytes (steps 2-3); the handset releases its
 *   request and calls the ID assigned by partner MC system B, which proceeds (step 5);
 * - call 2: an end-to-end encrypted call: the redirection carries B's KMS URI and the new
 *   request uses it;
 * - call 3: consecutive migration: user 2 moved on to C; B sends the caller home, A sends it
 *   on to C;
 * - B's gateway reboots: its migration table survives in flash (snapshot and restore), and a
 *   call to user 2's cached ID at B is sent home by B and on to C by A;
 * - user 2 returns home: A lets the call proceed.
 *
 * Every check prints PASS or FAIL through semihosting; main() returns (and QEMU exits with) 0
 * only if all passed. Each C API call also goes through API(), which paints the stack below
 * the caller and measures how deep the call wrote: the "stack:" lines are the size report's.
 * Nothing here mallocs (newlib's printf does, for its own buffers).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mcx_migrate.h"

#define USER1 "sip:user1@mc-a.example"
#define USER2_PRIMARY "sip:user2@mc-a.example"
#define USER2_AT_B "sip:visitor-0042@mc-b.example"
#define USER2_AT_C "tel:+4930555002"
#define KMS_A "https://kms.mc-a.example/kms"
#define KMS_B "https://kms.mc-b.example/kms"
#define KMS_C "https://kms.mc-c.example/kms"

/* ---- stack high-water mark per C API function, by stack painting ------------------------ */

#define PAINT 0xCCCCCCCCu
/* Painted below the caller's stack pointer before each call: far more than any call may use;
 * a call that writes the lowest painted word is reported as at least this deep. */
#define PAINT_WINDOW 16384u

struct stack_use {
    const char *function;
    uint32_t deepest;
    uint32_t calls;
};

static struct stack_use stack_uses[48];
static size_t stack_use_count;
static uintptr_t paint_top; /* the caller's stack pointer when it calls the API function */
static mcx_status api_rc;
static const char *api_str;
#ifndef MCX_FW_SCENARIO_ONLY
static size_t api_len;
#endif

/* Paints the window below the caller's stack pointer. It must not use the stack itself (no
 * frame, no calls) so that its SP is the caller's SP: checked in the disassembly by the size
 * report's reader and true at -Os (a leaf with a loop over two registers). */
__attribute__((noinline)) static void stack_paint(void) {
    uintptr_t sp;
    uint32_t *p;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    paint_top = sp;
    for (p = (uint32_t *)(sp - PAINT_WINDOW); p < (uint32_t *)sp; p++) {
        *(volatile uint32_t *)p = PAINT;
    }
}

/* The depth of the call that just returned: the lowest overwritten word of the window. Inlined
 * into the caller, whose frame is already in place, so that no frame of its own lands on the
 * painted words before they are read. */
static inline __attribute__((always_inline)) uint32_t stack_depth(void) {
    const uint32_t *p = (const uint32_t *)(paint_top - PAINT_WINDOW);
    while (p < (const uint32_t *)paint_top && *p == PAINT) p++;
    return (uint32_t)(paint_top - (uintptr_t)p);
}

/* Records `depth` under `function`, keeping the deepest. */
static void stack_record(const char *function, uint32_t depth) {
    size_t i;
    for (i = 0; i < stack_use_count; i++) {
        if (strcmp(stack_uses[i].function, function) == 0) break;
    }
    if (i == stack_use_count) {
        if (stack_use_count == sizeof stack_uses / sizeof stack_uses[0]) return;
        stack_uses[stack_use_count++] = (struct stack_use){function, 0, 0};
    }
    stack_uses[i].calls++;
    if (depth > stack_uses[i].deepest) stack_uses[i].deepest = depth;
}

/* Calls C API function `fn` with the stack painted and records its depth; yields its status. */
#define API(fn, ...) \
    (stack_paint(), api_rc = fn(__VA_ARGS__), stack_record(#fn, stack_depth()), api_rc)
/* The same for mcx_status_str, which returns a string. */
#define API_STR(code) \
    (stack_paint(), api_str = mcx_status_str(code), stack_record("mcx_status_str", stack_depth()), \
     api_str)
/* The same for mcx_table_storage_len, which returns a length. */
#define API_STORAGE_LEN(records, string_bytes) \
    (stack_paint(), api_len = mcx_table_storage_len(records, string_bytes), \
     stack_record("mcx_table_storage_len", stack_depth()), api_len)
/* The same for mcx_version. */
#define API_VERSION() \
    (stack_paint(), api_str = mcx_version(), stack_record("mcx_version", stack_depth()), api_str)

/* ---- checks ------------------------------------------------------------------------------ */

static unsigned passed, failed;

static void check(bool ok, const char *what) {
    printf("%s %s\n", ok ? "PASS" : "FAIL", what);
    if (ok) passed++; else failed++;
}

/* Stops nothing: a failed call is reported and counted, and the run goes on to the verdict. */
static bool ok(mcx_status rc, const char *what) {
    if (rc != MCX_OK) {
        printf("FAIL %s: %d (%s)\n", what, (int)rc, API_STR(rc));
        failed++;
        return false;
    }
    return true;
}

static bool field_is(const mcx_message_t *msg, mcx_field field, const char *expected) {
    char text[MCX_MAX_STRING_LEN + 1];
    size_t len = 0;
    return API(mcx_message_field, msg, field, text, sizeof text, &len) == MCX_OK
        && len == strlen(expected) && strcmp(text, expected) == 0;
}

static void print_hex(const char *label, const uint8_t *bytes, size_t len) {
    size_t i;
    printf("%s (%u bytes):", label, (unsigned)len);
    for (i = 0; i < len && i < 24; i++) printf(" %02x", bytes[i]);
    printf("%s\n", len > 24 ? " ..." : "");
}

/* ---- the MC systems ---------------------------------------------------------------------- */

struct mc_system {
    const char *name;
    const char *domain; /* routing by an ID's domain: SIP's job in the real system */
    mcx_table_t *table;
};

/* The migration tables: each a handle (MCX_TABLE_SIZE bytes) and the storage its records live
 * in, sized with MCX_TABLE_STORAGE_LEN for TABLE_RECORDS records whose strings (the key, the two
 * other IDs, the KMS URI) take TABLE_STRING_BYTES bytes on average: user 2's records here take
 * 91 (sip:user2@mc-a.example, mc-b.example, sip:visitor-0042@mc-b.example, B's KMS URI).
 * Zero-initialised statics (.bss): no flash image, no copy at reset. */
#define TABLE_RECORDS 8
#define TABLE_STRING_BYTES 96
static mcx_table_t table_a, table_b, table_c;
static uint8_t storage_a[MCX_TABLE_STORAGE_LEN(TABLE_RECORDS, TABLE_STRING_BYTES)];
static uint8_t storage_b[MCX_TABLE_STORAGE_LEN(TABLE_RECORDS, TABLE_STRING_BYTES)];
static uint8_t storage_c[MCX_TABLE_STORAGE_LEN(TABLE_RECORDS, TABLE_STRING_BYTES)];
static struct mc_system system_a = {"A", "@mc-a.example", &table_a};
static struct mc_system system_b = {"B", "@mc-b.example", &table_b};
static struct mc_system system_c = {"C", "tel:", &table_c};

/* A partner system sends a migration update to `to` as bytes (clause 10.6.3). */
static void send_update(struct mc_system *to, const mcx_message_t *update) {
    uint8_t bytes[MCX_MAX_ENCODED_LEN];
    size_t len = 0;
    mcx_status rc;
    if (!ok(API(mcx_message_encode, update, bytes, sizeof bytes, &len), "encode update")) return;
    printf("migration update to MC system %s:", to->name);
    print_hex("", bytes, len);
    rc = API(mcx_table_apply_bytes, to->table, bytes, len);
    printf("MC system %s applied it: %s\n", to->name, API_STR(rc));
    ok(rc, "apply update");
}

/* The same over a byte stream (a UART between gateways): one COBS frame. */
static void send_update_framed(struct mc_system *to, const mcx_message_t *update) {
    uint8_t frame[MCX_MAX_FRAME_LEN];
    size_t len = 0;
    mcx_message_t received;
    mcx_message_kind type = 0;
    mcx_update_kind kind = 0;
    if (!ok(API(mcx_message_encode_frame, update, frame, sizeof frame, &len), "encode frame")) {
        return;
    }
    printf("migration update to MC system %s as a COBS frame:", to->name);
    print_hex("", frame, len);
    if (!ok(API(mcx_message_decode_frame, &received, frame, len), "decode frame")) return;
    ok(API(mcx_message_type, &received, &type), "message type");
    ok(API(mcx_message_update_kind, &received, &kind), "update kind");
    printf("MC system %s received update kind %u\n", to->name, (unsigned)kind);
    check(type == MCX_MESSAGE_MIGRATION_UPDATE, "a framed migration update decodes as one");
    ok(API(mcx_table_apply, to->table, &received), "apply framed update");
}

static struct mc_system *serving(const mcx_message_t *request) {
    char target[MCX_MAX_STRING_LEN + 1];
    size_t len = 0;
    if (API(mcx_message_field, request, MCX_FIELD_TARGET, target, sizeof target, &len) != MCX_OK) {
        return &system_c;
    }
    if (strstr(target, system_a.domain)) return &system_a;
    if (strstr(target, system_b.domain)) return &system_b;
    return &system_c;
}

/* ---- the handset: one private call, following redirections ------------------------------ */

struct call_result {
    char reached[MCX_MAX_STRING_LEN + 1];
    char reached_kms[MCX_MAX_STRING_LEN + 1];
    char reached_system;
    size_t redirections;
    mcx_reason reasons[MCX_CALL_MAX_REDIRECTIONS];
    bool kms_in_redirection[MCX_CALL_MAX_REDIRECTIONS];
    char redirection_kms[MCX_MAX_STRING_LEN + 1]; /* of the first redirection */
    char migrated_id[MCX_MAX_STRING_LEN + 1];     /* of the first redirection */
    size_t first_redirection_len;
};

static struct call_result result;

/* Sends the call's request to the system serving its target; follows redirections (steps 3
 * and 5) until a system proceeds. `before_hop(n)` may change the world between hops. */
static void place_call(mcx_call_t *call, void (*before_hop)(size_t)) {
    uint8_t request[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
    size_t request_len = 0, answer_len = 0, hop;
    mcx_message_t current, redirection;
    memset(&result, 0, sizeof result);
    for (hop = 0; hop <= MCX_CALL_MAX_REDIRECTIONS; hop++) {
        struct mc_system *server;
        mcx_decision decision = 0;
        mcx_reason reason = 0;
        mcx_status reject = MCX_OK;
        char kms[MCX_MAX_STRING_LEN + 1];
        size_t n = 0;
        if (before_hop) before_hop(hop);
        if (!ok(API(mcx_call_request, call, request, sizeof request, &request_len),
                "encode request")) return;
        if (!ok(API(mcx_call_request_message, call, &current), "read request")) return;
        server = serving(&current);
        (void)API(mcx_message_field, &current, MCX_FIELD_TARGET, result.reached,
                  sizeof result.reached, &n);
        printf("client 1 -> MC system %s: private call request to %s", server->name,
               result.reached);
        print_hex("", request, request_len);
        if (!ok(API(mcx_server_decide_bytes, server->table, request, request_len, answer,
                    sizeof answer, &answer_len, &decision, &reject), "server decision")) return;
        if (decision == MCX_DECISION_PROCEED) {
            printf("MC system %s proceeds with the private call\n", server->name);
            result.reached_system = server->name[0];
            if (API(mcx_message_field, &current, MCX_FIELD_KMS_URI, result.reached_kms,
                    sizeof result.reached_kms, &n) != MCX_OK) {
                result.reached_kms[0] = '\0';
            }
            ok(API(mcx_call_redirections, call, &result.redirections), "count redirections");
            return;
        }
        if (decision != MCX_DECISION_REDIRECT) {
            printf("FAIL MC system %s rejected the call: %s\n", server->name, API_STR(reject));
            failed++;
            return;
        }
        /* Step 3: the private call redirection arrives as bytes. */
        if (!ok(API(mcx_message_decode, &redirection, answer, answer_len), "decode redirection")) {
            return;
        }
        ok(API(mcx_message_reason, &redirection, &reason), "read reason");
        if (API(mcx_message_field, &redirection, MCX_FIELD_KMS_URI, kms, sizeof kms, &n)
            != MCX_OK) {
            kms[0] = '\0';
        }
        printf("MC system %s -> client 1: private call redirection (%u bytes), reason %s, "
               "KMS URI %s\n", server->name, (unsigned)answer_len,
               reason == MCX_REASON_TARGET_MIGRATED ? "target migrated"
                                                    : "target no longer served",
               kms[0] ? kms : "(none)");
        result.reasons[hop] = reason;
        result.kms_in_redirection[hop] = kms[0] != '\0';
        if (hop == 0) {
            strcpy(result.redirection_kms, kms);
            (void)API(mcx_message_field, &redirection, MCX_FIELD_TARGET_MIGRATED,
                      result.migrated_id, sizeof result.migrated_id, &n);
            result.first_redirection_len = answer_len;
        }
        /* Steps 3 and 5: release the request, call the ID the redirection names. */
        if (!ok(API(mcx_call_on_redirection_bytes, call, answer, answer_len),
                "follow redirection")) return;
        printf("client 1 released its request\n");
    }
}

/* Consecutive migration: A learns that user 2 moved on to C only after its first answer. */
static void a_learns_user_2_moved_on(size_t hop) {
    mcx_message_t update;
    if (hop != 1) return;
    if (ok(API(mcx_message_init_moved_on, &update, USER2_PRIMARY, "mc-c.example", USER2_AT_C,
               KMS_C), "build moved-on update")) {
        send_update(&system_a, &update);
    }
}

static void print_report(void) {
    size_t i, deepest = 0;
    printf("ram: mcx_table_t %u bytes (MCX_TABLE_SIZE) + storage %u bytes for %u records of %u "
           "string bytes (MCX_TABLE_STORAGE_LEN), mcx_message_t %u, mcx_call_t %u\n",
           (unsigned)sizeof(mcx_table_t), (unsigned)sizeof storage_a, (unsigned)TABLE_RECORDS,
           (unsigned)TABLE_STRING_BYTES, (unsigned)sizeof(mcx_message_t),
           (unsigned)sizeof(mcx_call_t));
    for (i = 0; i < stack_use_count; i++) {
        printf("stack: %s %u bytes (%u calls)\n", stack_uses[i].function,
               (unsigned)stack_uses[i].deepest, (unsigned)stack_uses[i].calls);
        if (stack_uses[i].deepest > stack_uses[deepest].deepest) deepest = i;
    }
    if (stack_use_count > 0) {
        printf("stack: deepest %s %u bytes\n", stack_uses[deepest].function,
               (unsigned)stack_uses[deepest].deepest);
    }
}

int main(void) {
    mcx_message_t update, request, scratch;
    mcx_call_t call;
    size_t records = 0, n = 0;
    mcx_service_kind value = 0;
    bool flag = false;
    uint8_t bytes[MCX_MAX_ENCODED_LEN];
    mcx_status decide_rc, reject = MCX_OK;
    mcx_decision decision = 99;
#ifndef MCX_FW_SCENARIO_ONLY
    /* A flash page, in a real gateway: MCX_TABLE_MAX_SNAPSHOT_LEN of the storage length holds
     * any snapshot of the table. */
    static uint8_t flash[MCX_TABLE_MAX_SNAPSHOT_LEN(sizeof storage_b)];
    size_t flash_len = 0, in_use = 0, restored_in_use = 0;
    /* Two flash slots for power-cut-safe saves (RAM stand-ins: no erase/program callbacks). */
    static uint8_t slot_a[MCX_SAVE_SLOT_LEN(sizeof storage_b)];
    static uint8_t slot_b[MCX_SAVE_SLOT_LEN(sizeof storage_b)];
    mcx_save_slot_t save_a = {slot_a, sizeof slot_a, NULL, NULL, NULL};
    mcx_save_slot_t save_b = {slot_b, sizeof slot_b, NULL, NULL, NULL};
    mcx_slot saved_slot = 9, loaded_slot = 9;
    uint32_t saved_sequence = 0, loaded_sequence = 0;
    mcx_status status_a = 1, status_b = 1;
#endif

    printf("mcx-migrate C firmware on mps2-an386: TS 23.280 Fig. 10.16.y.3-1\n");
#ifndef MCX_FW_SCENARIO_ONLY
    printf("library %s, wire format %d\n", API_VERSION(), (int)MCX_WIRE_FORMAT_VERSION);
#endif
    ok(API(mcx_table_init, system_a.table, storage_a, sizeof storage_a), "init table A");
    ok(API(mcx_table_init, system_b.table, storage_b, sizeof storage_b), "init table B");
    ok(API(mcx_table_init, system_c.table, storage_c, sizeof storage_c), "init table C");

    /* Pre-conditions (clause 10.6.3.3): user 2 migrated to B, which assigned it an ID and has
     * its own KMS; B registers the visitor; a second migrated user reaches A as a frame. */
    printf("pre-conditions: migration updates\n");
    if (ok(API(mcx_message_init_migrated, &update, USER2_PRIMARY, "mc-b.example", USER2_AT_B,
               KMS_B), "build migrated update")) {
        send_update(&system_a, &update);
    }
    if (ok(API(mcx_message_init_visitor_registered, &update, USER2_AT_B, USER2_PRIMARY,
               "mc-a.example", KMS_A), "build visitor update")) {
        send_update(&system_b, &update);
    }
    if (ok(API(mcx_message_init_migrated, &update, "sip:user4@mc-a.example", "mc-c.example",
               "tel:+4930555004", NULL), "build migrated update")) {
        send_update_framed(&system_a, &update);
    }
    ok(API(mcx_table_len, system_a.table, &records), "table length A");
    check(records == 2, "server A's migration table holds user 2 (at B) and user 4 (at C)");
    ok(API(mcx_table_len, system_b.table, &records), "table length B");
    check(records == 1, "server B's migration table holds visiting user 2");

    /* Call 1: MCPTT private call to user 2's primary ID, without end-to-end encryption. */
    printf("call 1: MCPTT private call to user 2's primary MC service ID\n");
    ok(API(mcx_message_init_request, &request, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
           USER2_PRIMARY, false, NULL), "build request");
    ok(API(mcx_message_service_kind, &request, &value), "service kind");
    ok(API(mcx_message_e2ee_required, &request, &flag), "e2ee required");
    check(value == MCX_SERVICE_MCPTT_PRIVATE_CALL && !flag, "the request is an MCPTT call without E2EE");
    ok(API(mcx_call_start, &call, &request), "start call 1");
    place_call(&call, NULL);
    check(result.redirections == 1 && result.reasons[0] == MCX_REASON_TARGET_MIGRATED,
          "step 3: server A answers the primary ID with a private call redirection (target migrated)");
    check(strcmp(result.migrated_id, USER2_AT_B) == 0,
          "the redirection names the MC service ID assigned by MC system B");
    check(result.redirection_kms[0] == '\0',
          "a call without E2EE gets no security domain information");
    check(result.reached_system == 'B' && strcmp(result.reached, USER2_AT_B) == 0,
          "step 5: client 1 calls the partner-assigned ID and server B proceeds");

    /* Call 2: MCVideo private call with end-to-end encryption: the redirection carries B's
     * security domain information, and the request to B uses it. */
    printf("call 2: MCVideo private call with end-to-end encryption\n");
    ok(API(mcx_message_init_request, &request, MCX_SERVICE_MCVIDEO_PRIVATE_CALL, USER1,
           USER2_PRIMARY, true, KMS_A), "build E2EE request");
    ok(API(mcx_call_start, &call, &request), "start call 2");
    place_call(&call, NULL);
    check(strcmp(result.redirection_kms, KMS_B) == 0,
          "the E2EE call's redirection carries MC system B's KMS URI");
    check(result.reached_system == 'B' && strcmp(result.reached_kms, KMS_B) == 0,
          "the request to B carries B's KMS URI and server B proceeds");

    /* A server-side view of the same request, through the message API. */
    decide_rc = API(mcx_server_decide, system_a.table, &request, bytes, sizeof bytes, &n,
                    &decision, &reject);
    check(decide_rc == MCX_OK && decision == MCX_DECISION_REDIRECT && n > 0,
          "server A decides to redirect a decoded request too");
    if (decide_rc == MCX_OK && n > 0
        && ok(API(mcx_message_decode, &scratch, bytes, n), "decode redirection")) {
        ok(API(mcx_call_start, &call, &request), "restart call 2");
        ok(API(mcx_call_on_redirection, &call, &scratch), "follow decoded redirection");
        ok(API(mcx_call_request_message, &call, &scratch), "read request");
        check(field_is(&scratch, MCX_FIELD_TARGET, USER2_AT_B)
                  && field_is(&scratch, MCX_FIELD_KMS_URI, KMS_B),
              "following a decoded redirection targets B with B's KMS URI");
    }

    /* Call 3: consecutive migration. User 2 moved on from B to C: B marks the visitor
     * departed and sends callers home; A learns of C only after its first (stale) answer. */
    printf("call 3: one-to-one MCData communication after user 2 moved on to MC system C\n");
    if (ok(API(mcx_message_init_visitor_departed, &update, USER2_AT_B),
           "build departed update")) {
        send_update(&system_b, &update);
    }
    ok(API(mcx_message_init_request, &request, MCX_SERVICE_MCDATA_ONE_TO_ONE, USER1,
           USER2_PRIMARY, false, NULL), "build MCData request");
    ok(API(mcx_call_start, &call, &request), "start call 3");
    place_call(&call, a_learns_user_2_moved_on);
    check(result.redirections == 3 && result.reasons[0] == MCX_REASON_TARGET_MIGRATED
              && result.reasons[1] == MCX_REASON_TARGET_NO_LONGER_SERVED
              && result.reasons[2] == MCX_REASON_TARGET_MIGRATED,
          "consecutive migration: A -> B, B sends the caller home, A sends it on to C");
    check(result.reached_system == 'C' && strcmp(result.reached, USER2_AT_C) == 0,
          "server C proceeds with call 3 after three redirections");

#ifndef MCX_FW_SCENARIO_ONLY
    /* B's gateway power-cycles: its migration table, the departed visitor included, survives
     * in flash (a snapshot before, a restore after), so B still sends a stale call home. The
     * size report also links the firmware without this step (-DMCX_FW_SCENARIO_ONLY): the
     * library's flash for the scenario of Fig. 10.16.y.3-1 alone. */
    printf("MC system B's gateway reboots\n");
    if (ok(API(mcx_table_len, system_b.table, &records), "table length B")
        && ok(API(mcx_table_bytes_in_use, system_b.table, &in_use), "bytes in use B")
        && ok(API(mcx_table_snapshot, system_b.table, flash, sizeof flash, &flash_len),
              "snapshot table B")) {
        print_hex("snapshot of table B in flash", flash, flash_len);
        printf("table B: %u record(s) in %u of %u bytes of storage\n", (unsigned)records,
               (unsigned)in_use, (unsigned)sizeof storage_b);
        ok(API(mcx_table_init, system_b.table, storage_b, sizeof storage_b),
           "reboot: table B starts empty");
        ok(API(mcx_table_restore, system_b.table, flash, flash_len, NULL), "restore table B");
        ok(API(mcx_table_len, system_b.table, &n), "table length B");
        ok(API(mcx_table_bytes_in_use, system_b.table, &restored_in_use), "bytes in use B");
        check(n == records && n == 1 && restored_in_use == in_use,
              "after the reboot B's table holds its record again");
        /* The same through a power-cut-safe save: two slots, the newest whole one loads. */
        memset(slot_a, 0xFF, sizeof slot_a);
        memset(slot_b, 0xFF, sizeof slot_b);
        ok(API(mcx_table_save, system_b.table, &save_a, &save_b, &saved_slot, &saved_sequence),
           "save table B into slot A or B");
        ok(API(mcx_table_init, system_b.table, storage_b, sizeof storage_b),
           "reboot: table B starts empty");
        ok(API(mcx_table_load, system_b.table, &save_a, &save_b, &loaded_slot, &loaded_sequence,
               &status_a, &status_b, NULL), "load table B from the newest slot");
        ok(API(mcx_table_len, system_b.table, &n), "table length B");
        check(saved_slot == MCX_SLOT_A && saved_sequence == 1 && loaded_slot == MCX_SLOT_A
                  && loaded_sequence == 1 && status_a == MCX_OK
                  && status_b == MCX_E_SAVE_SLOT_ERASED && n == records,
              "a power-cut-safe save of table B loads back from slot A");
    }
    /* The storage length as a function, for storage sized at run time: the macro's value. */
    check(API_STORAGE_LEN(TABLE_RECORDS, TABLE_STRING_BYTES) == sizeof storage_b,
          "mcx_table_storage_len sizes table storage as MCX_TABLE_STORAGE_LEN does");
    ok(API(mcx_message_init_request, &scratch, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
           USER2_AT_B, false, NULL), "build request to the ID at B");
    decide_rc = API(mcx_server_decide, system_b.table, &scratch, bytes, sizeof bytes, &n,
                    &decision, &reject);
    check(decide_rc == MCX_OK && decision == MCX_DECISION_REDIRECT,
          "after the reboot server B still sends a call to the departed visitor home");
    /* A handset that cached user 2's ID at B calls it directly. B no longer serves user 2 and
     * sends the call home: the redirection echoes the ID called (IE 3) and names the primary
     * ID (IE 2), so the call takes it as its own, and A sends it on to C (consecutive
     * migration). */
    ok(API(mcx_call_start, &call, &scratch), "start a call to the cached ID at B");
    place_call(&call, NULL);
    check(result.redirections == 2 && result.reasons[0] == MCX_REASON_TARGET_NO_LONGER_SERVED
              && result.reached_system == 'C',
          "a call to the cached ID at B: B sends it home, A sends it on to C");
    /* A gateway that relays a redirection (step 3) builds it from its fields. */
    check(API(mcx_message_init_redirection, &scratch, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1,
              USER2_PRIMARY, USER2_AT_B, true, KMS_B, MCX_REASON_TARGET_MIGRATED) == MCX_OK
              && API(mcx_message_reason, &scratch, &value) == MCX_OK
              && value == MCX_REASON_TARGET_MIGRATED,
          "a private call redirection built from its fields (Table 10.16.y.2-1)");
#endif

    /* User 2 returns home: A proceeds with calls to the primary ID. */
    printf("user 2 returns to MC system A\n");
    if (ok(API(mcx_message_init_returned, &update, USER2_PRIMARY), "build returned update")) {
        send_update(&system_a, &update);
    }
    ok(API(mcx_call_start, &call, &request), "start call 4");
    place_call(&call, NULL);
    check(result.reached_system == 'A' && result.redirections == 0,
          "after user 2 returned, server A proceeds without redirection");

    /* Garbage from the network is an error code, never a crash. */
    bytes[0] = 0x7f;
    check(API(mcx_table_apply_bytes, system_a.table, bytes, 3) < 0,
          "garbage bytes are refused with an error code");
    ok(API(mcx_table_clear, system_a.table), "clear table A");
    ok(API(mcx_table_len, system_a.table, &records), "table length A");
    check(records == 0, "a cleared migration table is empty");

    print_report();
    printf("result: %u checks passed, %u failed, exit code %d\n", passed, failed,
           failed == 0 ? 0 : 1);
    return failed == 0 ? 0 : 1;
}

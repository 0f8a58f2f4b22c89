/*
 * The calling side of TS 23.280 Fig. 10.16.y.3-1 on a handset: MC service client 1 (user 1)
 * calls MC service user 2 by its primary MC service ID, gets a private call redirection from
 * MC service server A, releases the request and calls the ID that partner MC system B assigned,
 * with B's security domain information (KMS URI). Then the consecutive case: user 2 has moved
 * on from B to C; B sends the caller home, A sends it on to C.
 *
 * No malloc: the call state, messages and buffers are on the stack or static, and so are the
 * stand-in servers' tables with the storage their records live in. The servers of systems A, B
 * and C are stand-ins built on the same library (the gateway example shows that side):
 * a real handset would send the request bytes over SIP and receive the redirection bytes.
 *
 * Build: see examples/c/Makefile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcx_migrate.h"

#define USER1 "sip:user1@mc-a.example"
#define USER2_PRIMARY "sip:user2@mc-a.example"
#define USER2_AT_B "sip:visitor-0042@mc-b.example"
#define USER2_AT_C "tel:+4930555002"

/* Stops the example on any error, with the library's description of the code. */
static void ok(mcx_status rc, const char *what) {
    if (rc != MCX_OK) {
        printf("handset: %s failed: %d (%s)\n", what, (int)rc, mcx_status_str(rc));
        exit(1);
    }
}

/* ---- stand-ins for MC service servers A, B and C (see gateway.c for the real side) ------- */
/* Each stand-in holds a record or two: storage for 4 records whose strings (key, the two other
 * IDs, the KMS URI) take 96 bytes, about what user 2's records here take (91). */
#define SERVER_RECORDS 4
#define SERVER_STRING_BYTES 96
static mcx_table_t server_a;
static mcx_table_t server_b;
static mcx_table_t server_c;
static uint8_t storage_a[MCX_TABLE_STORAGE_LEN(SERVER_RECORDS, SERVER_STRING_BYTES)];
static uint8_t storage_b[MCX_TABLE_STORAGE_LEN(SERVER_RECORDS, SERVER_STRING_BYTES)];
static uint8_t storage_c[MCX_TABLE_STORAGE_LEN(SERVER_RECORDS, SERVER_STRING_BYTES)];

static void set_up_servers(void) {
    mcx_message_t update;
    ok(mcx_table_init(&server_a, storage_a, sizeof storage_a), "init table A");
    ok(mcx_table_init(&server_b, storage_b, sizeof storage_b), "init table B");
    ok(mcx_table_init(&server_c, storage_c, sizeof storage_c), "init table C");
    ok(mcx_message_init_migrated(&update, USER2_PRIMARY, "mc-b.example", USER2_AT_B,
                                 "https://kms.mc-b.example/kms"), "build update");
    ok(mcx_table_apply(&server_a, &update), "apply update at A");
    ok(mcx_message_init_visitor_registered(&update, USER2_AT_B, USER2_PRIMARY, "mc-a.example",
                                           "https://kms.mc-a.example/kms"), "build update");
    ok(mcx_table_apply(&server_b, &update), "apply update at B");
}

/* Sends `request` to a server; returns the decision and fills `answer` with a redirection. */
static mcx_decision send_request(mcx_table_t *server, const uint8_t *request, size_t request_len,
                                 uint8_t *answer, size_t *answer_len) {
    mcx_decision decision = 0;
    mcx_status reject_reason = MCX_OK;
    ok(mcx_server_decide_bytes(server, request, request_len, answer, MCX_MAX_ENCODED_LEN,
                               answer_len, &decision, &reject_reason), "server decision");
    return decision;
}

/* The MC system that serves an ID: routing by the ID's domain. */
static mcx_table_t *server_for(const mcx_message_t *request, const char **name) {
    char target[MCX_MAX_STRING_LEN + 1];
    size_t len = 0;
    ok(mcx_message_field(request, MCX_FIELD_TARGET, target, sizeof target, &len), "read target");
    if (strstr(target, "@mc-a.example")) { *name = "A"; return &server_a; }
    if (strstr(target, "@mc-b.example")) { *name = "B"; return &server_b; }
    *name = "C";
    return &server_c;
}
/* ------------------------------------------------------------------------------------------ */

static void print_field(const char *label, const mcx_message_t *msg, mcx_field field) {
    char text[MCX_MAX_STRING_LEN + 1];
    size_t len = 0;
    mcx_status rc = mcx_message_field(msg, field, text, sizeof text, &len);
    printf("handset:   %s: %s\n", label, rc == MCX_OK ? text : mcx_status_str(rc));
}

/* Sends the call's current request to the MC system serving its target and follows
 * redirections until a server lets the call proceed. */
static void place_call(mcx_call_t *call) {
    const char *system = "";
    mcx_table_t *server;
    uint8_t request[MCX_MAX_ENCODED_LEN];
    uint8_t answer[MCX_MAX_ENCODED_LEN];
    size_t request_len = 0, answer_len = 0;
    mcx_message_t current, redirection;

    for (;;) {
        ok(mcx_call_request(call, request, sizeof request, &request_len), "encode request");
        ok(mcx_call_request_message(call, &current), "read request");
        print_field("private call request to", &current, MCX_FIELD_TARGET);
        print_field("  with KMS URI", &current, MCX_FIELD_KMS_URI);
        server = server_for(&current, &system);
        printf("handset:   sent to MC system %s\n", system);
        if (send_request(server, request, request_len, answer, &answer_len)
            != MCX_DECISION_REDIRECT) {
            printf("handset:   call proceeds (%u bytes sent)\n", (unsigned)request_len);
            return;
        }
        /* Step 3: a private call redirection arrived. */
        ok(mcx_message_decode(&redirection, answer, answer_len), "decode redirection");
        {
            mcx_reason reason = 0;
            ok(mcx_message_reason(&redirection, &reason), "read reason");
            printf("handset:   private call redirection (%u bytes): %s\n", (unsigned)answer_len,
                   reason == MCX_REASON_TARGET_MIGRATED ? "target migrated"
                                                        : "target no longer served here");
        }
        print_field("  target primary ID", &redirection, MCX_FIELD_TARGET_PRIMARY);
        print_field("  target migrated ID", &redirection, MCX_FIELD_TARGET_MIGRATED);
        print_field("  KMS URI", &redirection, MCX_FIELD_KMS_URI);
        /* Steps 3 and 5: release the request, call the new ID. A refused redirection (another
         * call's, an E2EE downgrade, a loop) would come back as an MCX_E_REDIRECTION_* code. */
        ok(mcx_call_on_redirection(call, &redirection), "follow redirection");
        printf("handset:   request released; calling the new ID\n");
    }
}

int main(void) {
    mcx_message_t request, update;
    mcx_call_t call;
    size_t redirections = 0;

    set_up_servers();

    printf("handset: user 1 calls user 2, who migrated to MC system B\n");
    /* Step 1: MCPTT private call with end-to-end encryption to user 2's primary ID. */
    ok(mcx_message_init_request(&request, MCX_SERVICE_MCPTT_PRIVATE_CALL, USER1, USER2_PRIMARY,
                                true, NULL), "build request");
    ok(mcx_call_start(&call, &request), "start call");
    place_call(&call);
    ok(mcx_call_redirections(&call, &redirections), "count redirections");
    printf("handset: reached user 2 at B after %u redirection(s)\n", (unsigned)redirections);

    /* Consecutive migration: user 2 moves on from B to C. A learns it; B marks the visitor
     * departed. The handset still calls the primary ID; A is only updated after it answered. */
    printf("handset: user 2 moves on to MC system C; user 1 calls again\n");
    ok(mcx_message_init_visitor_departed(&update, USER2_AT_B), "build update");
    ok(mcx_table_apply(&server_b, &update), "apply update at B");
    ok(mcx_call_start(&call, &request), "start call");
    {
        /* First hop with A's stale record, then A learns about C. */
        uint8_t bytes[MCX_MAX_ENCODED_LEN], answer[MCX_MAX_ENCODED_LEN];
        size_t len = 0, answer_len = 0;
        ok(mcx_call_request(&call, bytes, sizeof bytes, &len), "encode request");
        if (send_request(&server_a, bytes, len, answer, &answer_len) != MCX_DECISION_REDIRECT) {
            printf("handset: expected a redirection from A\n");
            return 1;
        }
        ok(mcx_call_on_redirection_bytes(&call, answer, answer_len), "follow redirection");
        printf("handset:   A (stale) redirected to B\n");
        ok(mcx_message_init_moved_on(&update, USER2_PRIMARY, "mc-c.example", USER2_AT_C,
                                     "https://kms.mc-c.example/kms"), "build update");
        ok(mcx_table_apply(&server_a, &update), "apply update at A");
    }
    place_call(&call);
    ok(mcx_call_request_message(&call, &request), "read request");
    print_field("reached user 2 at", &request, MCX_FIELD_TARGET);
    ok(mcx_call_redirections(&call, &redirections), "count redirections");
    printf("handset: %u redirections (A->B, B->home, A->C)\n", (unsigned)redirections);
    printf("handset: done\n");
    return 0;
}

// The header compiles as C++17 (-Wall -Wextra -Werror) and its storage and enum types are
// usable there: the enums have the fixed underlying types of the C typedefs.
#include "mcx_migrate.h"

#include <cstdint>
#include <cstdio>
#include <type_traits>

static_assert(sizeof(mcx_table_t) >= MCX_TABLE_SIZE, "table storage size");
static_assert(alignof(mcx_table_t) >= alignof(std::uint64_t), "table storage alignment");
static_assert(sizeof(mcx_message_t) >= MCX_MESSAGE_SIZE, "message storage size");
static_assert(sizeof(mcx_call_t) >= MCX_CALL_SIZE, "call storage size");
static_assert(MCX_E_NULL_ARGUMENT < 0 && MCX_OK == 0, "status codes");
static_assert(std::is_same<std::underlying_type<mcx_status>::type, std::int32_t>::value,
              "mcx_status is an int32_t in C");
static_assert(std::is_same<std::underlying_type<mcx_service_kind>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_message_kind>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_update_kind>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_reason>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_field>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_decision>::type, std::uint32_t>::value &&
                  std::is_same<std::underlying_type<mcx_slot>::type, std::uint32_t>::value,
              "the selector enums are uint32_t in C");

int main() {
    static mcx_table_t table;
    static mcx_message_t msg;
    static std::uint8_t records[MCX_TABLE_STORAGE_LEN(8, 100)];
    std::size_t len = 1;
    mcx_message_kind type = MCX_MESSAGE_MIGRATION_UPDATE;
    char text[64];
    if (mcx_table_init(&table, records, sizeof records) != MCX_OK || mcx_table_len(&table, &len) != MCX_OK || len != 0) {
        return 1;
    }
    mcx_status rc = mcx_message_init_request(&msg, MCX_SERVICE_MCPTT_PRIVATE_CALL, "sip:a@mc.example",
                                             "sip:b@mc.example", false, nullptr);
    if (rc != MCX_OK || mcx_message_type(&msg, &type) != MCX_OK || type != MCX_MESSAGE_PRIVATE_CALL_REQUEST ||
        mcx_message_field(&msg, MCX_FIELD_TARGET, text, sizeof text, &len) != MCX_OK) {
        return 1;
    }
    // A status converts to the integer mcx_status_str takes, as any unscoped enum does.
    std::printf("header_cpp: %s, %s\n", mcx_status_str(rc), text);
    return 0;
}

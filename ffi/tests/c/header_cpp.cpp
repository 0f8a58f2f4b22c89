// The header compiles as C++17 (-Wall -Wextra -Werror) and its storage types are usable there.
#include "mcx_migrate.h"

#include <cstdint>
#include <cstdio>

static_assert(sizeof(mcx_table_t) >= MCX_TABLE_SIZE, "table storage size");
static_assert(alignof(mcx_table_t) >= alignof(std::uint64_t), "table storage alignment");
static_assert(sizeof(mcx_message_t) >= MCX_MESSAGE_SIZE, "message storage size");
static_assert(sizeof(mcx_call_t) >= MCX_CALL_SIZE, "call storage size");
static_assert(MCX_E_NULL_ARGUMENT < 0 && MCX_OK == 0, "status codes");

int main() {
    static mcx_table_t table;
    static std::uint8_t records[MCX_TABLE_STORAGE_LEN(8, 100)];
    std::size_t len = 1;
    if (mcx_table_init(&table, records, sizeof records) != MCX_OK || mcx_table_len(&table, &len) != MCX_OK || len != 0) {
        return 1;
    }
    std::printf("header_cpp: %s\n", mcx_status_str(MCX_OK));
    return 0;
}

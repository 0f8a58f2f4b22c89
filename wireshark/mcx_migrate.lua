-- Wireshark dissector for the mcx-migrate wire format, version 2: the messages of the generic
-- private call procedure towards a migrated MC service user (3GPP TS 23.280 §10.16.5).
--
--   mcx        bare messages, UDP port 52380
--   mcx_frame  COBS frames (message || CRC-32C little-endian, COBS-encoded, 0x00 delimiter),
--              UDP port 52381
--
-- Both are also offered in Decode As (UDP port). Loading: docs/wireshark.md.
--
-- Every field is shown under its Table 10.16.y.2-1 name. Whatever the bytes, the dissector
-- shows what it could read and says what is wrong as expert info (never a Lua error): every
-- read is bounds-checked, and the body runs under pcall so that an unforeseen failure becomes
-- expert info too. It stops at the first error, where the library's decoder stops.

local FORMAT_VERSION = 2
local BARE_PORT = 52380
local FRAME_PORT = 52381
-- Strings' lengths and enum variant indices are u32 varints: at most 5 bytes.
local VARINT_MAX_BYTES = 5
local U32_MAX = 4294967295

-- Lua 5.2 (Wireshark up to 4.2) has bit32, and Wireshark bundles LuaBitOp as `bit`; Lua 5.3+
-- has integer operators, compiled from text so that this file still parses under 5.2.
local bitlib = bit32 or bit or load([[return {
    band = function(a, b) return a & b end,
    bxor = function(a, b) return a ~ b end,
    rshift = function(a, n) return (a & 0xFFFFFFFF) >> n end,
}]])()
local band, bxor, rshift = bitlib.band, bitlib.bxor, bitlib.rshift

-- LuaBitOp (bit) returns signed 32-bit results, bit32 unsigned: work in unsigned.
local function u32(x)
    if x < 0 then
        return x + 4294967296
    end
    return x
end

-- CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF; the check
-- value of "123456789" is 0xE3069283.
local CRC_TABLE = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if band(c, 1) == 1 then
            c = bxor(rshift(c, 1), 0x82F63B78)
        else
            c = rshift(c, 1)
        end
    end
    CRC_TABLE[i] = u32(c)
end

local function crc32c(bytes, first, last)
    local c = 0xFFFFFFFF
    for i = first, last do
        c = u32(bxor(CRC_TABLE[band(bxor(c, bytes[i]), 0xFF)], rshift(c, 8)))
    end
    return u32(bxor(c, 0xFFFFFFFF))
end

local MESSAGE_TYPES = {
    [1] = "private call request",
    [2] = "private call redirection",
    [3] = "migration update",
}
local SERVICE_KINDS = {
    [0] = "MCPTT private call",
    [1] = "MCVideo private call",
    [2] = "one-to-one MCData communication",
}
local REASONS = {
    [0] = "target migrated to a partner MC system",
    [1] = "target no longer served by this partner MC system",
}
local UPDATES = {
    [0] = "migrated",
    [1] = "moved on",
    [2] = "returned",
    [3] = "visitor registered",
    [4] = "visitor departed",
}

local function count(t)
    local n = 0
    for _ in pairs(t) do
        n = n + 1
    end
    return n
end

local mcx = Proto("mcx", "MCX migrated-user private call (TS 23.280 §10.16.5)")
local mcx_frame = Proto("mcx_frame", "MCX migrated-user private call, COBS frame")

local f = {
    version = ProtoField.uint8("mcx.version", "Format version", base.DEC),
    type = ProtoField.uint8("mcx.type", "Message type", base.DEC, MESSAGE_TYPES),
    service_kind = ProtoField.uint32("mcx.service_kind", "Service", base.DEC, SERVICE_KINDS),
    calling_party = ProtoField.string("mcx.calling_party", "Calling party's ID"),
    target = ProtoField.string("mcx.target", "Called party's ID (target)"),
    target_primary = ProtoField.string("mcx.target_primary",
        "Target's ID from its primary system (IE 2)"),
    target_migrated = ProtoField.string("mcx.target_migrated",
        "Target's ID from the migrated system (IE 3)"),
    e2ee_required = ProtoField.bool("mcx.e2ee_required", "End-to-end encryption required"),
    sdi_present = ProtoField.bool("mcx.sdi.present", "Security domain information present"),
    kms_uri = ProtoField.string("mcx.sdi.kms_uri", "Security domain information (KMS URI)"),
    reason_present = ProtoField.bool("mcx.reason.present", "Redirection reason present"),
    reason = ProtoField.uint32("mcx.reason", "Redirection reason", base.DEC, REASONS),
    update = ProtoField.uint32("mcx.update", "Migration update", base.DEC, UPDATES),
    primary_id = ProtoField.string("mcx.update.primary_id",
        "MC service ID from the primary MC system"),
    partner_system = ProtoField.string("mcx.update.partner_system", "Partner MC system"),
    partner_id = ProtoField.string("mcx.update.partner_id",
        "MC service ID from the partner MC system"),
    local_id = ProtoField.string("mcx.update.local_id", "MC service ID assigned here"),
    primary_system = ProtoField.string("mcx.update.primary_system", "Primary MC system"),
    length = ProtoField.uint32("mcx.length", "String length", base.DEC),
}
mcx.fields = {
    f.version, f.type, f.service_kind, f.calling_party, f.target, f.target_primary,
    f.target_migrated, f.e2ee_required, f.sdi_present, f.kms_uri, f.reason_present, f.reason,
    f.update, f.primary_id, f.partner_system, f.partner_id, f.local_id, f.primary_system,
    f.length,
}

local ff = {
    encoded_len = ProtoField.uint32("mcx_frame.encoded_len", "COBS-encoded length", base.DEC),
    decoded_len = ProtoField.uint32("mcx_frame.decoded_len", "Decoded length", base.DEC),
    crc = ProtoField.uint32("mcx_frame.crc", "CRC-32C", base.HEX),
    crc_computed = ProtoField.uint32("mcx_frame.crc.computed", "CRC-32C computed", base.HEX),
    crc_good = ProtoField.bool("mcx_frame.crc.good", "CRC-32C good"),
    unchecked = ProtoField.bytes("mcx_frame.unchecked", "Message bytes (not dissected)"),
}
mcx_frame.fields = {
    ff.encoded_len, ff.decoded_len, ff.crc, ff.crc_computed, ff.crc_good, ff.unchecked,
}

local E = {
    version = ProtoExpert.new("mcx.expert.unsupported_version", "Unsupported format version",
        expert.group.UNDECODED, expert.severity.ERROR),
    type = ProtoExpert.new("mcx.expert.unknown_type", "Unknown message type",
        expert.group.UNDECODED, expert.severity.ERROR),
    truncated = ProtoExpert.new("mcx.expert.truncated", "Truncated message",
        expert.group.MALFORMED, expert.severity.ERROR),
    utf8 = ProtoExpert.new("mcx.expert.invalid_utf8", "String is not UTF-8",
        expert.group.MALFORMED, expert.severity.ERROR),
    varint = ProtoExpert.new("mcx.expert.bad_varint", "Over-long or overflowing varint",
        expert.group.MALFORMED, expert.severity.ERROR),
    value = ProtoExpert.new("mcx.expert.bad_value", "Invalid bool, option tag or enum variant",
        expert.group.MALFORMED, expert.severity.ERROR),
    trailing = ProtoExpert.new("mcx.expert.trailing_bytes", "Bytes after the message",
        expert.group.MALFORMED, expert.severity.ERROR),
    e2ee = ProtoExpert.new("mcx.expert.e2ee_without_sdi",
        "E2EE required but no security domain information (Table 10.16.y.2-1 NOTE)",
        expert.group.PROTOCOL, expert.severity.ERROR),
    internal = ProtoExpert.new("mcx.expert.dissector_error", "Dissector error",
        expert.group.MALFORMED, expert.severity.ERROR),
}
mcx.experts = { E.version, E.type, E.truncated, E.utf8, E.varint, E.value, E.trailing, E.e2ee,
    E.internal }

local FE = {
    cobs = ProtoExpert.new("mcx_frame.expert.bad_cobs", "Invalid COBS frame",
        expert.group.MALFORMED, expert.severity.ERROR),
    crc = ProtoExpert.new("mcx_frame.expert.bad_crc", "Frame check mismatch (CRC-32C)",
        expert.group.CHECKSUM, expert.severity.ERROR),
    trailing = ProtoExpert.new("mcx_frame.expert.trailing_bytes", "Bytes after the delimiter",
        expert.group.MALFORMED, expert.severity.ERROR),
    internal = ProtoExpert.new("mcx_frame.expert.dissector_error", "Dissector error",
        expert.group.MALFORMED, expert.severity.ERROR),
}
mcx_frame.experts = { FE.cobs, FE.crc, FE.trailing, FE.internal }

-- Strict UTF-8, as Rust's str::from_utf8: no over-long forms, no surrogates, at most U+10FFFF.
local function valid_utf8(s)
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        local len
        if c < 0x80 then
            len = 1
        elseif c >= 0xC2 and c <= 0xDF then
            len = 2
        elseif c >= 0xE0 and c <= 0xEF then
            len = 3
        elseif c >= 0xF0 and c <= 0xF4 then
            len = 4
        else
            return false
        end
        if i + len - 1 > n then
            return false
        end
        if len > 1 then
            local lo, hi = 0x80, 0xBF
            if c == 0xE0 then
                lo = 0xA0
            elseif c == 0xED then
                hi = 0x9F
            elseif c == 0xF0 then
                lo = 0x90
            elseif c == 0xF4 then
                hi = 0x8F
            end
            local c2 = s:byte(i + 1)
            if c2 < lo or c2 > hi then
                return false
            end
            for k = 2, len - 1 do
                local b = s:byte(i + k)
                if b < 0x80 or b > 0xBF then
                    return false
                end
            end
        end
        i = i + len
    end
    return true
end

-- A reader over tvb[pos, stop): each read checks the bounds, and the first error is reported
-- as expert info and ends the dissection (r.failed).
local Reader = {}
Reader.__index = Reader

local function reader(tvb, pos, stop, tree)
    return setmetatable({ tvb = tvb, pos = pos, stop = stop, tree = tree, failed = false },
        Reader)
end

function Reader:fail(ex, text, from)
    self.failed = true
    from = from or self.pos
    local len = self.stop - from
    if len > 0 then
        self.tree:add_tvb_expert_info(ex, self.tvb(from, len), text)
    else
        self.tree:add_proto_expert_info(ex, text)
    end
    return nil
end

function Reader:byte(what)
    if self.pos >= self.stop then
        return self:fail(E.truncated, "Truncated: the message ends before its " .. what)
    end
    local b = self.tvb(self.pos, 1):uint()
    self.pos = self.pos + 1
    return b
end

function Reader:varint(what)
    local start = self.pos
    local value, mult = 0, 1
    for i = 1, VARINT_MAX_BYTES do
        local b = self:byte(what)
        if b == nil then
            return nil
        end
        value = value + (b % 128) * mult
        if b < 128 then
            if i > 1 and b == 0 then
                return self:fail(E.varint, "Over-long (non-canonical) varint in the " .. what,
                    start)
            end
            if value > U32_MAX then
                return self:fail(E.varint, "Varint in the " .. what .. " exceeds 32 bits", start)
            end
            return value, start
        end
        mult = mult * 128
    end
    return self:fail(E.varint, "Varint in the " .. what .. " longer than 5 bytes", start)
end

function Reader:bool(field, what)
    local start = self.pos
    local b = self:byte(what)
    if b == nil then
        return nil
    end
    if b > 1 then
        return self:fail(E.value, string.format("Invalid bool 0x%02x in the %s", b, what), start)
    end
    self.tree:add(field, self.tvb(start, 1), b == 1)
    return b == 1
end

function Reader:option(field, what)
    local start = self.pos
    local b = self:byte(what)
    if b == nil then
        return nil
    end
    if b > 1 then
        return self:fail(E.value, string.format("Invalid option tag 0x%02x in the %s", b, what),
            start)
    end
    self.tree:add(field, self.tvb(start, 1), b == 1)
    return b == 1
end

function Reader:enum(field, names, what)
    local value, start = self:varint(what)
    if value == nil then
        return nil
    end
    if names[value] == nil then
        return self:fail(E.value, string.format("Unknown %s variant %d (%d known)", what, value,
            count(names)), start)
    end
    self.tree:add(field, self.tvb(start, self.pos - start), value)
    return value
end

function Reader:string(field, what)
    local len, start = self:varint(what .. " length")
    if len == nil then
        return nil
    end
    local left = self.stop - self.pos
    if len > left then
        return self:fail(E.truncated, string.format(
            "Truncated: the %s needs %d bytes, %d left", what, len, left))
    end
    local s = ""
    if len > 0 then
        local raw = self.tvb(self.pos, len):raw()
        if not valid_utf8(raw) then
            return self:fail(E.utf8, "The " .. what .. " is not UTF-8", self.pos)
        end
        s = raw
    end
    local item = self.tree:add(field, self.tvb(start, self.pos + len - start), s)
    item:add(f.length, self.tvb(start, self.pos - start), len)
    self.pos = self.pos + len
    return s
end

-- Option<SecurityDomainInfo>: a tag, then the KMS URI. Returns present (or nil on error).
function Reader:sdi(what)
    local present = self:option(f.sdi_present, what)
    if present then
        if self:string(f.kms_uri, "KMS URI") == nil then
            return nil
        end
    end
    return present
end

local function request(r)
    if r:enum(f.service_kind, SERVICE_KINDS, "service kind") == nil then return nil end
    if r:string(f.calling_party, "calling party's ID") == nil then return nil end
    local target = r:string(f.target, "called party's ID")
    if target == nil then return nil end
    if r:bool(f.e2ee_required, "E2EE flag") == nil then return nil end
    if r:sdi("security domain information tag") == nil then return nil end
    return "target " .. target
end

local function redirection(r)
    if r:enum(f.service_kind, SERVICE_KINDS, "service kind") == nil then return nil end
    if r:string(f.calling_party, "calling party's ID") == nil then return nil end
    local ie2 = r:string(f.target_primary, "target's ID from its primary system")
    if ie2 == nil then return nil end
    local ie3 = r:string(f.target_migrated, "target's ID from the migrated system")
    if ie3 == nil then return nil end
    local e2ee = r:bool(f.e2ee_required, "E2EE flag")
    if e2ee == nil then return nil end
    local sdi = r:sdi("security domain information tag")
    if sdi == nil then return nil end
    local has_reason = r:option(f.reason_present, "redirection reason tag")
    if has_reason == nil then return nil end
    if has_reason and r:enum(f.reason, REASONS, "redirection reason") == nil then return nil end
    r.e2ee_without_sdi = e2ee and not sdi
    return "IE2 " .. ie2 .. " IE3 " .. ie3
end

local function migration_update(r)
    local variant = r:enum(f.update, UPDATES, "migration update")
    if variant == nil then return nil end
    local key
    if variant == 0 or variant == 1 then
        key = r:string(f.primary_id, "MC service ID from the primary MC system")
        if key == nil then return nil end
        if r:string(f.partner_system, "partner MC system") == nil then return nil end
        if r:string(f.partner_id, "MC service ID from the partner MC system") == nil then
            return nil
        end
        if r:sdi("security domain information tag") == nil then return nil end
    elseif variant == 2 then
        key = r:string(f.primary_id, "MC service ID from the primary MC system")
        if key == nil then return nil end
    elseif variant == 3 then
        key = r:string(f.local_id, "MC service ID assigned here")
        if key == nil then return nil end
        if r:string(f.primary_id, "MC service ID from the primary MC system") == nil then
            return nil
        end
        if r:string(f.primary_system, "primary MC system") == nil then return nil end
        if r:sdi("security domain information tag") == nil then return nil end
    else
        key = r:string(f.local_id, "MC service ID assigned here")
        if key == nil then return nil end
    end
    return UPDATES[variant] .. " " .. key
end

local BODIES = { [1] = request, [2] = redirection, [3] = migration_update }

-- Dissects the message in tvb[pos, stop) under `parent`; returns the Info column text.
local function dissect_message(tvb, pos, stop, pinfo, parent)
    local tree = parent:add(mcx, tvb(pos, stop - pos))
    local r = reader(tvb, pos, stop, tree)
    local version_at = r.pos
    local version = r:byte("format version")
    if version == nil then
        return "truncated message"
    end
    tree:add(f.version, tvb(version_at, 1))
    if version ~= FORMAT_VERSION then
        r:fail(E.version, string.format("Unsupported format version %d (version %d is read)",
            version, FORMAT_VERSION), version_at)
        return "unsupported version " .. version
    end
    local type_at = r.pos
    local ty = r:byte("message type")
    if ty == nil then
        return "truncated message"
    end
    tree:add(f.type, tvb(type_at, 1))
    local body = BODIES[ty]
    if body == nil then
        r:fail(E.type, string.format("Unknown message type %d", ty), type_at)
        return "unknown message type " .. ty
    end
    local name = MESSAGE_TYPES[ty]
    tree:append_text(": " .. name)
    local summary = body(r)
    if r.failed then
        return name .. " (malformed)"
    end
    if r.pos < stop then
        r:fail(E.trailing, string.format("%d byte(s) after the message", stop - r.pos))
        return name .. " (malformed)"
    end
    if r.e2ee_without_sdi then
        tree:add_proto_expert_info(E.e2ee)
        return name .. " (breaks the E2EE NOTE)"
    end
    return name .. ", " .. summary
end

local function guarded(tree, expert_field, fn)
    local ok, result = pcall(fn)
    if ok then
        return result
    end
    tree:add_proto_expert_info(expert_field, "Dissector error: " .. tostring(result))
    return "dissector error"
end

function mcx.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol:set("MCX")
    local info = guarded(tree, E.internal, function()
        return dissect_message(tvb, 0, tvb:len(), pinfo, tree)
    end)
    pinfo.cols.info:set(info)
    return tvb:len()
end

-- COBS (as the library's core/src/cobs.rs): a code byte n opens each block of n - 1 non-zero
-- bytes; a block shorter than 254 data bytes stands for them and one 0x00, except the last.
-- Returns the decoded bytes (1-based array) or nil and why.
local function cobs_decode(tvb, stop)
    local out, n = {}, 0
    local src = 0
    while src < stop do
        local code = tvb(src, 1):uint()
        if src + code > stop then
            return nil, string.format("block at offset %d runs past the frame (code 0x%02x)",
                src, code)
        end
        src = src + 1
        for _ = 2, code do
            n = n + 1
            out[n] = tvb(src, 1):uint()
            src = src + 1
        end
        if code ~= 0xFF and src < stop then
            n = n + 1
            out[n] = 0
        end
    end
    return out, n
end

local function dissect_frame(tvb, pinfo, parent)
    local len = tvb:len()
    local tree = parent:add(mcx_frame, tvb(0, len))
    if len == 0 then
        tree:add_proto_expert_info(FE.cobs, "Invalid COBS frame: empty")
        return "empty frame"
    end
    -- The frame ends at its 0x00 delimiter (or at the end if it has none).
    local stop = len
    for i = 0, len - 1 do
        if tvb(i, 1):uint() == 0 then
            stop = i
            break
        end
    end
    tree:add(ff.encoded_len, tvb(0, stop > 0 and stop or len), stop)
    local bytes, n = cobs_decode(tvb, stop)
    if bytes == nil then
        tree:add_tvb_expert_info(FE.cobs, tvb(0, len), "Invalid COBS frame: " .. n)
        return "invalid COBS frame"
    end
    tree:add(ff.decoded_len, tvb(0, stop > 0 and stop or len), n)
    if n < 4 then
        tree:add_proto_expert_info(FE.crc, string.format(
            "Frame check mismatch: %d decoded byte(s), too short for a CRC-32C", n))
        return "frame check mismatch"
    end
    local ba = ByteArray.new()
    ba:set_size(n)
    for i = 1, n do
        ba:set_index(i - 1, bytes[i])
    end
    local decoded = ba:tvb("COBS-decoded frame")
    local m = n - 4
    local sent = decoded(m, 4):le_uint()
    local computed = crc32c(bytes, 1, m)
    tree:add_le(ff.crc, decoded(m, 4))
    tree:add(ff.crc_computed, decoded(m, 4), computed):set_generated()
    tree:add(ff.crc_good, decoded(m, 4), sent == computed):set_generated()
    if sent ~= computed then
        if m > 0 then
            tree:add(ff.unchecked, decoded(0, m))
        end
        tree:add_tvb_expert_info(FE.crc, decoded(m, 4), string.format(
            "Frame check mismatch: CRC-32C 0x%08x, computed 0x%08x", sent, computed))
        return "frame check mismatch"
    end
    -- Checked after the CRC, as the library does: a stray 0x00 inside a corrupted frame cuts
    -- it short, and the CRC, not the bytes left after the cut, says what went wrong.
    if stop + 1 < len then
        tree:add_tvb_expert_info(FE.trailing, tvb(stop + 1, len - stop - 1),
            string.format("%d byte(s) after the frame's delimiter", len - stop - 1))
        return "bytes after the frame"
    end
    return dissect_message(decoded, 0, m, pinfo, parent)
end

function mcx_frame.dissector(tvb, pinfo, tree)
    pinfo.cols.protocol:set("MCX frame")
    local info = guarded(tree, FE.internal, function()
        return dissect_frame(tvb, pinfo, tree)
    end)
    pinfo.cols.info:set(info)
    return tvb:len()
end

local udp = DissectorTable.get("udp.port")
udp:add(BARE_PORT, mcx)
udp:add(FRAME_PORT, mcx_frame)
udp:add_for_decode_as(mcx)
udp:add_for_decode_as(mcx_frame)

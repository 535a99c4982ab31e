-- Framewire/1 dissector for Wireshark and tshark.
--
--   tshark -X lua_script:framewire.lua -r capture.pcap
--   (or copy it to the personal Lua plugins folder, see Help > About > Folders)
--
-- It shows both framings over TCP: a session is recognised by its preface (heuristic,
-- any port), bare frames on the port set in the preferences. Frames spanning TCP
-- segments are reassembled; delimited frames are shown COBS-encoded and decoded; each
-- header field, flag bit and type is named; the CRC-32C trailer is verified; the frames
-- of a message are linked and its payload reassembled; HELLO, ERROR, PING and PONG
-- payloads are decoded; every error the decoder of the reference implementation would
-- report is an expert-info item with the registry's name and statement id, in the same
-- order of checks (spec 3.7, 4, 5.3, 6), with the same recovery in the delimited codec
-- profile (FW-DLM-6).
--
-- The block between the GENERATED markers is written by dissectors/generate_tables.py from the
-- construct schemas (framewire._codec.schema) and the error registry (framewire.errors); do
-- not edit it by hand.

-- BEGIN GENERATED
-- From framewire._codec.schema (spec 3, 6) and framewire.errors (spec 8).
local MAGIC = "\070\087"
local VERSION = 1
local HEADER_SIZE = 9
local TRAILER_SIZE = 4
-- CRC-32C's reflected polynomial (FW-CRC-2), from the wire oracle: the implementation
-- computes CRC-32C in C and states no polynomial.
local CRC32C_REFLECTED_POLY = 0x82F63B78
local HEADER_FIELDS = {
    magic = { offset = 0, size = 2 },
    version = { offset = 2, size = 1 },
    flags = { offset = 3, size = 1 },
    type = { offset = 4, size = 1 },
    length = { offset = 5, size = 4 },
}
local FLAG_MASKS = {
    application = 0xf0,
    R = 0x08,
    N = 0x04,
    M = 0x02,
    C = 0x01,
}
local APP_FLAGS_SHIFT = 4
local TYPE_HELLO = 1
local TYPE_ERROR = 2
local TYPE_PING = 3
local TYPE_PONG = 4
local CONTROL_TYPE_NAMES = {
    [1] = "HELLO",
    [2] = "ERROR",
    [3] = "PING",
    [4] = "PONG",
}
local FIRST_APPLICATION_TYPE = 64
local FRAME_SIZE_CEILING = 1073741824
local PREFACE_SIGNATURE = "\137\070\087\049"
local PREFACE_GUARD = "\013\010\026"
local PREFACE_SIZE = 8
local PREFACE_FRAMING_BYTES = {
    L = 76,
    D = 68,
}
local SETTING_SIZE = 6
local MAX_HELLO_SETTINGS = 42
local PING_SIZE = 8
local ERROR_CODE_SIZE = 2
local SETTINGS = {
    { id = 1, name = "MAX_FRAME_SIZE", minimum = 256, maximum = 1073741824, default = 1048576, zero_allowed = false },
    { id = 2, name = "MAX_MESSAGE_SIZE", minimum = 256, maximum = 4294967295, default = 16777216, zero_allowed = true },
}
local ERRORS = {
    { code = 100, name = "bad-magic", statements = { "FW-HDR-4" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 101, name = "unsupported-version", statements = { "FW-HDR-5" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 102, name = "reserved-flag", statements = { "FW-FLG-1", "FW-FLG-2" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 103, name = "reserved-type", statements = { "FW-TYP-2" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 104, name = "fragmented-control", statements = { "FW-TYP-3" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 105, name = "frame-too-large", statements = { "FW-LEN-3", "FW-DLM-4", "FW-LIM-3" }, recovery = "drop frame and message in progress, skip to next `0x00`", error_frame = true },
    { code = 106, name = "length-mismatch", statements = { "FW-DLM-3" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 107, name = "cobs-invalid", statements = { "FW-COB-2" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 108, name = "checksum-mismatch", statements = { "FW-CRC-3" }, recovery = "drop frame and message in progress", error_frame = true },
    { code = 109, name = "truncated-frame", statements = { "FW-LPF-4", "FW-DLM-5", "FW-CLS-5" }, recovery = "end of input", error_frame = false },
    { code = 200, name = "unexpected-continuation", statements = { "FW-MSG-7" }, recovery = "drop frame (no message is in progress)", error_frame = true },
    { code = 201, name = "message-interrupted", statements = { "FW-MSG-8" }, recovery = "drop old message, keep new frame", error_frame = true },
    { code = 202, name = "continuation-mismatch", statements = { "FW-MSG-9" }, recovery = "drop frame and message", error_frame = true },
    { code = 203, name = "message-too-large", statements = { "FW-MSG-10", "FW-LIM-3" }, recovery = "drop frame and message", error_frame = true },
    { code = 204, name = "truncated-message", statements = { "FW-MSG-11", "FW-CLS-5" }, recovery = "end of input", error_frame = false },
    { code = 300, name = "bad-preface", statements = { "FW-PRE-2" }, recovery = "—", error_frame = false },
    { code = 301, name = "handshake-incomplete", statements = { "FW-PRE-3", "FW-CLS-5" }, recovery = "—", error_frame = false },
    { code = 302, name = "unexpected-message", statements = { "FW-HEL-1", "FW-SES-6" }, recovery = "—", error_frame = true },
    { code = 303, name = "malformed-control", statements = { "FW-HEL-3", "FW-ERR-4", "FW-PNG-1", "FW-HDR-9" }, recovery = "—", error_frame = true },
    { code = 304, name = "timeout", statements = { "FW-LIM-6", "FW-PNG-4", "FW-LIM-8" }, recovery = "—", error_frame = true },
    { code = 305, name = "internal-error", statements = { "FW-ERR-6" }, recovery = "—", error_frame = true },
}
local SETTINGS_BY_ID, SETTINGS_BY_NAME = {}, {}
for _, s in ipairs(SETTINGS) do
    SETTINGS_BY_ID[s.id] = s
    SETTINGS_BY_NAME[s.name] = s
end
local ERRORS_BY_CODE, ERROR_CODES = {}, {}
for _, e in ipairs(ERRORS) do
    ERRORS_BY_CODE[e.code] = e
    ERROR_CODES[e.name] = e.code
end
-- END GENERATED

local bit = bit32

local fw = Proto("framewire", "Framewire")

-- ---------------------------------------------------------------------------------------
-- Preferences
-- ---------------------------------------------------------------------------------------

local FRAMING_ENUM = {
    { 1, "length-prefixed", 1 },
    { 2, "delimited", 2 },
}
local PROFILE_ENUM = {
    { 1, "codec (bare frames)", 1 },
    { 2, "session (preface and HELLO first)", 2 },
}
fw.prefs.port = Pref.uint("TCP port", 0, "Decode this TCP port as Framewire (0: none; sessions are found on any port by their preface)")
fw.prefs.framing = Pref.enum("Framing on the port", 1, "The framing of the streams on the TCP port", FRAMING_ENUM, false)
fw.prefs.profile = Pref.enum("Profile on the port", 1, "Whether streams on the TCP port start with a session preface", PROFILE_ENUM, false)
fw.prefs.max_frame_size = Pref.uint("Maximum frame size", SETTINGS_BY_NAME.MAX_FRAME_SIZE.default,
    "The receiver's MAX_FRAME_SIZE, until its HELLO says otherwise")
fw.prefs.max_message_size = Pref.uint("Maximum message size", SETTINGS_BY_NAME.MAX_MESSAGE_SIZE.default,
    "The receiver's MAX_MESSAGE_SIZE (0: no limit), until its HELLO says otherwise")
fw.prefs.hunting = Pref.bool("Hunting (delimited)", false,
    "Delimited streams on the port were joined mid-way: skip up to the first 0x00 (FW-DLM-8)")
fw.prefs.more_ports = Pref.string("More ports", "",
    "More TCP ports, each with its own settings, separated by spaces: PORT:OPTION:OPTION..., "
    .. "options length-prefixed, delimited, codec, session, hunting, max_frame=N, max_message=N; "
    .. "unnamed options take the values above (example: 7001:delimited:max_frame=256)")

-- ---------------------------------------------------------------------------------------
-- Fields
-- ---------------------------------------------------------------------------------------

local function value_names(list)
    local names = {}
    for _, row in ipairs(list) do names[row.code or row.id] = row.name end
    return names
end

local TYPE_NAMES = {}
for code = 0, 255 do
    TYPE_NAMES[code] = CONTROL_TYPE_NAMES[code] or (code >= FIRST_APPLICATION_TYPE and "data" or "reserved")
end
local ERROR_NAMES = value_names(ERRORS)
local SETTING_NAMES = value_names(SETTINGS)

local F = {
    preface = ProtoField.bytes("framewire.preface", "Preface"),
    preface_framing = ProtoField.string("framewire.preface.framing", "Framing"),
    encoded = ProtoField.bytes("framewire.encoded", "COBS-encoded frame"),
    delimiter = ProtoField.uint8("framewire.delimiter", "Delimiter", base.HEX),
    skipped = ProtoField.bytes("framewire.skipped", "Skipped bytes"),
    magic = ProtoField.bytes("framewire.magic", "Magic"),
    version = ProtoField.uint8("framewire.version", "Version"),
    flags = ProtoField.uint8("framewire.flags", "Flags", base.HEX),
    flag_app = ProtoField.uint8("framewire.flags.application", "Application flags", base.DEC, nil, FLAG_MASKS.application),
    flag_r = ProtoField.bool("framewire.flags.r", "R (reserved)", 8, nil, FLAG_MASKS.R),
    flag_n = ProtoField.bool("framewire.flags.n", "N (continuation)", 8, nil, FLAG_MASKS.N),
    flag_m = ProtoField.bool("framewire.flags.m", "M (more)", 8, nil, FLAG_MASKS.M),
    flag_c = ProtoField.bool("framewire.flags.c", "C (checksum)", 8, nil, FLAG_MASKS.C),
    type = ProtoField.uint8("framewire.type", "Type", base.HEX, TYPE_NAMES),
    length = ProtoField.uint32("framewire.length", "Length"),
    payload = ProtoField.bytes("framewire.payload", "Payload"),
    crc = ProtoField.uint32("framewire.crc", "CRC-32C", base.HEX),
    crc_computed = ProtoField.uint32("framewire.crc.computed", "Computed CRC-32C", base.HEX),
    crc_status = ProtoField.string("framewire.crc.status", "CRC-32C status"),
    role = ProtoField.string("framewire.frame.role", "Role in its message"),
    accepted = ProtoField.bool("framewire.frame.accepted", "Frame accepted"),
    first_frame = ProtoField.framenum("framewire.message.first_frame", "Message starts in frame"),
    message = ProtoField.none("framewire.message", "Message"),
    message_type = ProtoField.uint8("framewire.message.type", "Type", base.HEX, TYPE_NAMES),
    message_flags = ProtoField.uint8("framewire.message.flags", "Application flags"),
    message_length = ProtoField.uint32("framewire.message.length", "Length"),
    message_payload = ProtoField.bytes("framewire.message.payload", "Payload"),
    message_frames = ProtoField.uint32("framewire.message.frames", "Frames"),
    message_frame = ProtoField.framenum("framewire.message.frame", "Frame of this message"),
    hello_setting = ProtoField.none("framewire.hello.setting", "Setting"),
    hello_id = ProtoField.uint16("framewire.hello.id", "Identifier", base.HEX, SETTING_NAMES),
    hello_value = ProtoField.uint32("framewire.hello.value", "Value"),
    error_frame_code = ProtoField.uint16("framewire.error_frame.code", "Error code", base.DEC, ERROR_NAMES),
    error_frame_name = ProtoField.string("framewire.error_frame.name", "Error name"),
    error_frame_reason = ProtoField.string("framewire.error_frame.reason", "Reason"),
    ping_data = ProtoField.bytes("framewire.ping.data", "Data"),
    error = ProtoField.none("framewire.error", "Error"),
    error_code = ProtoField.uint16("framewire.error.code", "Code", base.DEC, ERROR_NAMES),
    error_name = ProtoField.string("framewire.error.name", "Name"),
    error_statement = ProtoField.string("framewire.error.statement", "Statement"),
    error_detail = ProtoField.string("framewire.error.detail", "Detail"),
    error_fatal = ProtoField.bool("framewire.error.fatal", "Fatal"),
    undecoded = ProtoField.bytes("framewire.undecoded", "Not decoded (after a fatal error)"),
    stream = ProtoField.uint32("framewire.stream", "TCP stream"),
}
local field_list = {}
for _, field in pairs(F) do field_list[#field_list + 1] = field end
fw.fields = field_list

local EXPERT = {}
local expert_list = {}
for _, row in ipairs(ERRORS) do
    local item = ProtoExpert.new("framewire.expert." .. row.name:gsub("-", "_"),
        string.format("%s (%d, %s)", row.name, row.code, table.concat(row.statements, ", ")),
        expert.group.MALFORMED, expert.severity.ERROR)
    EXPERT[row.code] = item
    expert_list[#expert_list + 1] = item
end
local EXPERT_PEER_ERROR = ProtoExpert.new("framewire.expert.peer_error", "the peer failed the connection with ERROR",
    expert.group.RESPONSE_CODE, expert.severity.WARN)
expert_list[#expert_list + 1] = EXPERT_PEER_ERROR
fw.experts = expert_list

local tcp_stream_field = Field.new("tcp.stream")
local tcp_fin_field = Field.new("tcp.flags.fin")

-- ---------------------------------------------------------------------------------------
-- CRC-32C (Castagnoli, reflected, spec 3.6) and COBS (spec 4.2.1)
-- ---------------------------------------------------------------------------------------

local CRC_TABLE = {}
for n = 0, 255 do
    local c = n
    for _ = 1, 8 do
        if bit.band(c, 1) == 1 then c = bit.bxor(bit.rshift(c, 1), CRC32C_REFLECTED_POLY) else c = bit.rshift(c, 1) end
    end
    CRC_TABLE[n] = c
end

local function crc32c(data)
    local crc = 0xFFFFFFFF
    local band, bxor, rshift, byte = bit.band, bit.bxor, bit.rshift, string.byte
    for i = 1, #data do
        crc = bxor(rshift(crc, 8), CRC_TABLE[band(bxor(crc, byte(data, i)), 0xFF)])
    end
    return bxor(crc, 0xFFFFFFFF)
end

-- Decode one COBS-encoded frame (no delimiter inside); nil and a reason when invalid.
local function cobs_decode(encoded)
    local parts, i, n = {}, 1, #encoded
    while i <= n do
        local code = encoded:byte(i)
        if code == 0 then return nil, "zero byte inside a frame" end
        if i + code - 1 > n then return nil, "not enough input bytes for length code" end
        parts[#parts + 1] = encoded:sub(i + 1, i + code - 1)
        i = i + code
        if code < 0xFF and i <= n then parts[#parts + 1] = "\0" end
    end
    return table.concat(parts)
end

local function u16(s, i) return s:byte(i) * 256 + s:byte(i + 1) end
local function u32(s, i) return ((s:byte(i) * 256 + s:byte(i + 1)) * 256 + s:byte(i + 2)) * 256 + s:byte(i + 3) end

local function is_control(frame_type) return CONTROL_TYPE_NAMES[frame_type] ~= nil end

-- Whether a string is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
local function valid_utf8(s)
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        local need, low, high = 0, 0x80, 0xBF
        if c < 0x80 then need = 0
        elseif c >= 0xC2 and c <= 0xDF then need = 1
        elseif c == 0xE0 then need, low = 2, 0xA0
        elseif c == 0xED then need, high = 2, 0x9F
        elseif c >= 0xE1 and c <= 0xEF then need = 2
        elseif c == 0xF0 then need, low = 3, 0x90
        elseif c >= 0xF1 and c <= 0xF3 then need = 3
        elseif c == 0xF4 then need, high = 3, 0x8F
        else return false end
        for k = 1, need do
            local b = s:byte(i + k)
            if b == nil then return false end
            if k == 1 then
                if b < low or b > high then return false end
            elseif b < 0x80 or b > 0xBF then return false end
        end
        i = i + need + 1
    end
    return true
end

-- ---------------------------------------------------------------------------------------
-- The checks, in the order of the reference decoder (spec 3.7 FW-HDR-6..8, 5.3, 6)
-- ---------------------------------------------------------------------------------------

local function fault(code, statement, detail)
    return { code = code, statement = statement, detail = detail }
end

-- The first fault of a header, in the order of FW-HDR-6. `h` holds the parsed fields.
local function header_fault(h, max_frame)
    if h.magic ~= MAGIC then
        return fault(ERROR_CODES["bad-magic"], "FW-HDR-4", "magic is 0x" .. Struct.tohex(h.magic):lower() .. ", not 0x4657")
    end
    if h.version ~= VERSION then
        return fault(ERROR_CODES["unsupported-version"], "FW-HDR-5", "version is " .. h.version .. ", not " .. VERSION)
    end
    if bit.band(h.flags, FLAG_MASKS.R) ~= 0 then
        return fault(ERROR_CODES["reserved-flag"], "FW-FLG-1", string.format("reserved bit R set (flags 0x%02x)", h.flags))
    end
    local control = is_control(h.type)
    if not control and h.type < FIRST_APPLICATION_TYPE then
        return fault(ERROR_CODES["reserved-type"], "FW-TYP-2", string.format("type 0x%02x is reserved", h.type))
    end
    if control and bit.band(h.flags, FLAG_MASKS.application) ~= 0 then
        return fault(ERROR_CODES["reserved-flag"], "FW-FLG-2", string.format("application flags on control type 0x%02x", h.type))
    end
    if control and bit.band(h.flags, FLAG_MASKS.M + FLAG_MASKS.N) ~= 0 then
        return fault(ERROR_CODES["fragmented-control"], "FW-TYP-3", string.format("control type 0x%02x with M or N set", h.type))
    end
    if h.length > FRAME_SIZE_CEILING then
        return fault(ERROR_CODES["frame-too-large"], "FW-LEN-3", "length " .. h.length .. " exceeds the protocol ceiling of 2^30")
    end
    if h.length > max_frame then
        return fault(ERROR_CODES["frame-too-large"], "FW-LIM-3", "length " .. h.length .. " exceeds the maximum frame size " .. max_frame)
    end
    return nil
end

local function app_flags(flags) return bit.rshift(bit.band(flags, FLAG_MASKS.application), APP_FLAGS_SHIFT) end

-- The session's admission rule (FW-HEL-1, FW-ERR-5, FW-SES-6).
local function admission_fault(st, h)
    if not st.session then return nil end
    if not st.hello and h.type ~= TYPE_HELLO and h.type ~= TYPE_ERROR then
        return fault(ERROR_CODES["unexpected-message"], "FW-HEL-1", string.format("type 0x%02x before HELLO", h.type))
    end
    if st.hello and h.type == TYPE_HELLO then
        return fault(ERROR_CODES["unexpected-message"], "FW-HEL-1", "a second HELLO")
    end
    return nil
end

-- The message rules of spec 5.3 (FW-MSG-7 to FW-MSG-10), for a data frame.
local function message_fault(st, h)
    local continuation = bit.band(h.flags, FLAG_MASKS.N) ~= 0
    local msg = st.msg
    if continuation and not msg then
        return fault(ERROR_CODES["unexpected-continuation"], "FW-MSG-7", "continuation with no message")
    end
    if not continuation and msg then
        return fault(ERROR_CODES["message-interrupted"], "FW-MSG-8",
            string.format("new message while a type 0x%02x message is in progress", msg.type))
    end
    if continuation and (h.type ~= msg.type or app_flags(h.flags) ~= msg.flags) then
        return fault(ERROR_CODES["continuation-mismatch"], "FW-MSG-9", "continuation type or flags differ from the message's")
    end
    local total = (continuation and msg.size or 0) + h.length
    if st.max_message > 0 and total > st.max_message then
        return fault(ERROR_CODES["message-too-large"], "FW-MSG-10",
            "message would reach " .. total .. " bytes, above the maximum " .. st.max_message)
    end
    return nil
end

local function state_fault(st, h)
    local f = admission_fault(st, h)
    if f == nil and h.type >= FIRST_APPLICATION_TYPE then f = message_fault(st, h) end
    return f
end

-- A control frame's payload under the rules of spec 6 (session profile only).
local function control_fault(h, payload)
    if h.type == TYPE_HELLO then
        if #payload % SETTING_SIZE ~= 0 then
            return fault(ERROR_CODES["malformed-control"], "FW-HEL-3", "HELLO payload of " .. #payload .. " bytes is not a multiple of 6")
        end
        local count = math.floor(#payload / SETTING_SIZE)
        if count > MAX_HELLO_SETTINGS then
            return fault(ERROR_CODES["malformed-control"], "FW-HEL-10", string.format("HELLO carries %d settings, more than %d", count, MAX_HELLO_SETTINGS))
        end
        local seen = {}
        for i = 1, #payload, SETTING_SIZE do
            local id, value = u16(payload, i), u32(payload, i + 2)
            if seen[id] then
                return fault(ERROR_CODES["malformed-control"], "FW-HEL-3", string.format("setting 0x%04x appears twice", id))
            end
            seen[id] = true
            local setting = SETTINGS_BY_ID[id]
            if setting and not ((value == 0 and setting.zero_allowed) or (value >= setting.minimum and value <= setting.maximum)) then
                return fault(ERROR_CODES["malformed-control"], "FW-HEL-3", setting.name .. " " .. value .. " is out of range")
            end
        end
    elseif h.type == TYPE_ERROR then
        if #payload < ERROR_CODE_SIZE or not valid_utf8(payload:sub(ERROR_CODE_SIZE + 1)) then
            return fault(ERROR_CODES["malformed-control"], "FW-ERR-4", "ERROR payload too short or reason not UTF-8")
        end
    elseif #payload ~= PING_SIZE then
        return fault(ERROR_CODES["malformed-control"], "FW-PNG-1", CONTROL_TYPE_NAMES[h.type] .. " payload of " .. #payload .. " bytes, not 8")
    end
    return nil
end

-- ---------------------------------------------------------------------------------------
-- Per-direction state, kept per packet so a second pass shows the first pass's view
-- ---------------------------------------------------------------------------------------

local states = {}     -- direction key -> live state
local snapshots = {}  -- direction key .. packet number -> state before that packet

local function new_state(framing, session, hunting, max_frame, max_message)
    return {
        framing = framing, session = session, preface_done = not session,
        hello = false, failed = false, skipping = hunting and framing == "D" and not session,
        max_frame = max_frame or fw.prefs.max_frame_size, max_message = max_message or fw.prefs.max_message_size,
        msg = nil,
    }
end

-- The settings of each TCP port: the main preferences, then "More ports".
local port_settings = {}

local function parse_port_settings()
    local settings = {}
    local function defaults()
        return {
            framing = fw.prefs.framing == 2 and "D" or "L", session = fw.prefs.profile == 2,
            hunting = fw.prefs.hunting, max_frame = fw.prefs.max_frame_size, max_message = fw.prefs.max_message_size,
        }
    end
    if fw.prefs.port ~= 0 then settings[fw.prefs.port] = defaults() end
    for entry in fw.prefs.more_ports:gmatch("%S+") do
        local port, options = entry:match("^(%d+)(.*)$")
        if port then
            local row = defaults()
            for option in options:gmatch("[^:]+") do
                local name, value = option:match("^([%w_-]+)=(%d+)$")
                if option == "length-prefixed" then row.framing = "L"
                elseif option == "delimited" then row.framing = "D"
                elseif option == "codec" then row.session = false
                elseif option == "session" then row.session = true
                elseif option == "hunting" then row.hunting = true
                elseif name == "max_frame" then row.max_frame = tonumber(value)
                elseif name == "max_message" then row.max_message = tonumber(value)
                end
            end
            settings[tonumber(port)] = row
        end
    end
    return settings
end

local function copy_state(st)
    local c = {}
    for k, v in pairs(st) do c[k] = v end
    if st.msg then
        local m = {}
        for k, v in pairs(st.msg) do m[k] = v end
        m.parts, m.frames = {}, {}
        for i, part in ipairs(st.msg.parts) do m.parts[i] = part end
        for i, number in ipairs(st.msg.frames) do m.frames[i] = number end
        c.msg = m
    end
    return c
end

local function direction_key(pinfo)
    local stream = tcp_stream_field()
    return tostring(stream and stream.value or "?") .. "/" .. tostring(pinfo.src) .. ":" .. tostring(pinfo.src_port)
end

local function other_direction_key(pinfo)
    local stream = tcp_stream_field()
    return tostring(stream and stream.value or "?") .. "/" .. tostring(pinfo.dst) .. ":" .. tostring(pinfo.dst_port)
end

-- ---------------------------------------------------------------------------------------
-- Display helpers
-- ---------------------------------------------------------------------------------------

local function add_error(st, item, f, fatal)
    local row = ERRORS_BY_CODE[f.code]
    local sub = item:add(F.error)
    sub:set_text(string.format("Error: %s (%d, %s): %s", row.name, f.code, f.statement, f.detail))
    sub:add(F.error_code, f.code):set_generated()
    sub:add(F.error_name, row.name):set_generated()
    sub:add(F.error_statement, f.statement):set_generated()
    sub:add(F.error_detail, f.detail):set_generated()
    sub:add(F.error_fatal, fatal):set_generated()
    item:add_proto_expert_info(EXPERT[f.code], string.format("%s (%d, %s): %s", row.name, f.code, f.statement, f.detail))
    item:append_text(" [" .. row.name .. "]")
end

-- Report a fault: fatal (the stream is not decoded further) unless the delimited codec
-- profile recovers (FW-DLM-6), which drops the message in progress with the frame.
local function report(st, item, f, pinfo)
    local row = ERRORS_BY_CODE[f.code]
    local recoverable = st.framing == "D" and not st.session and row.recovery ~= "end of input"
    add_error(st, item, f, not recoverable)
    if recoverable then
        st.msg = nil
    else
        st.failed = true
    end
    pinfo.cols.info:append(" [" .. row.name .. "]")
end

local function role_of(flags)
    local n = bit.band(flags, FLAG_MASKS.N) ~= 0
    local m = bit.band(flags, FLAG_MASKS.M) ~= 0
    if not n and not m then return "single" end
    if not n then return "first" end
    if m then return "continuation" end
    return "last"
end

-- Header fields of a frame held in `ftvb` (the frame itself: the TCP data, or the
-- COBS-decoded frame). Returns the parsed header (nil when shorter than a header).
local function add_header(item, ftvb)
    local n = ftvb:len()
    if n < HEADER_SIZE then return nil end
    local raw = ftvb:raw(0, HEADER_SIZE)
    local h = {
        magic = raw:sub(HEADER_FIELDS.magic.offset + 1, HEADER_FIELDS.magic.offset + HEADER_FIELDS.magic.size),
        version = raw:byte(HEADER_FIELDS.version.offset + 1),
        flags = raw:byte(HEADER_FIELDS.flags.offset + 1),
        type = raw:byte(HEADER_FIELDS.type.offset + 1),
        length = u32(raw, HEADER_FIELDS.length.offset + 1),
    }
    local function range(name) return ftvb(HEADER_FIELDS[name].offset, HEADER_FIELDS[name].size) end
    item:add(F.magic, range("magic"))
    item:add(F.version, range("version"))
    local flags = item:add(F.flags, range("flags"))
    flags:add(F.flag_app, range("flags"))
    flags:add(F.flag_r, range("flags"))
    flags:add(F.flag_n, range("flags"))
    flags:add(F.flag_m, range("flags"))
    flags:add(F.flag_c, range("flags"))
    item:add(F.type, range("type"))
    item:add(F.length, range("length"))
    return h
end

local function add_control_payload(item, h, payload, ptvb)
    if h.type == TYPE_HELLO then
        for i = 0, #payload - SETTING_SIZE, SETTING_SIZE do
            local s = item:add(F.hello_setting, ptvb(i, SETTING_SIZE))
            local id = u16(payload, i + 1)
            s:set_text(string.format("Setting %s = %d", SETTING_NAMES[id] or string.format("0x%04x (unknown, ignored)", id), u32(payload, i + 3)))
            s:add(F.hello_id, ptvb(i, 2))
            s:add(F.hello_value, ptvb(i + 2, 4))
        end
    elseif h.type == TYPE_ERROR and #payload >= ERROR_CODE_SIZE then
        local code = u16(payload, 1)
        item:add(F.error_frame_code, ptvb(0, ERROR_CODE_SIZE))
        item:add(F.error_frame_name, ERROR_NAMES[code] or "unknown code (reported by number, FW-ERR-4)"):set_generated()
        if #payload > ERROR_CODE_SIZE then
            item:add(F.error_frame_reason, ptvb(ERROR_CODE_SIZE, #payload - ERROR_CODE_SIZE))
        end
    elseif (h.type == TYPE_PING or h.type == TYPE_PONG) and #payload > 0 then
        item:add(F.ping_data, ptvb(0, #payload))
    end
end

-- ---------------------------------------------------------------------------------------
-- One checked frame: control frames, the message assembler, the session's control rules
-- ---------------------------------------------------------------------------------------

local function accept_frame(st, item, h, payload, ptvb, pinfo)
    item:add(F.role, role_of(h.flags)):set_generated()
    if is_control(h.type) then
        if ptvb then add_control_payload(item, h, payload, ptvb) end
        if st.session then
            local f = control_fault(h, payload)
            if f then
                report(st, item, f, pinfo)
                return
            end
            if h.type == TYPE_HELLO then
                st.hello = true
                -- The HELLO of this direction's sender limits the other direction (FW-HEL-6).
                local limits = { max_frame = SETTINGS_BY_NAME.MAX_FRAME_SIZE.default, max_message = SETTINGS_BY_NAME.MAX_MESSAGE_SIZE.default }
                for i = 1, #payload, SETTING_SIZE do
                    local id, value = u16(payload, i), u32(payload, i + 2)
                    if id == SETTINGS_BY_NAME.MAX_FRAME_SIZE.id then limits.max_frame = value end
                    if id == SETTINGS_BY_NAME.MAX_MESSAGE_SIZE.id then limits.max_message = value end
                end
                st.announced = limits
            elseif h.type == TYPE_ERROR then
                item:add_proto_expert_info(EXPERT_PEER_ERROR)
                st.failed = true
            end
        end
        item:add(F.accepted, true):set_generated()
        local m = item:add(F.message)
        m:set_text("Message: " .. CONTROL_TYPE_NAMES[h.type] .. ", " .. #payload .. " bytes")
        m:add(F.message_type, h.type):set_generated()
        m:add(F.message_flags, 0):set_generated()
        m:add(F.message_length, #payload):set_generated()
        if ptvb then m:add(F.message_payload, ptvb(0, #payload)):set_generated() end
        pinfo.cols.info:append(" " .. CONTROL_TYPE_NAMES[h.type])
        return
    end
    item:add(F.accepted, true):set_generated()
    local first = bit.band(h.flags, FLAG_MASKS.N) == 0
    local last = bit.band(h.flags, FLAG_MASKS.M) == 0
    if first then
        st.msg = { type = h.type, flags = app_flags(h.flags), size = 0, parts = {}, frames = {} }
    else
        item:add(F.first_frame, st.msg.frames[1]):set_generated()
    end
    local msg = st.msg
    msg.size = msg.size + #payload
    msg.parts[#msg.parts + 1] = payload
    msg.frames[#msg.frames + 1] = pinfo.number
    pinfo.cols.info:append(string.format(" type=0x%02x %s", h.type, role_of(h.flags)))
    if not last then return end
    st.msg = nil
    local m = item:add(F.message)
    m:set_text(string.format("Message: type 0x%02x, flags %d, %d bytes in %d frame%s", msg.type, msg.flags, msg.size,
        #msg.frames, #msg.frames == 1 and "" or "s"))
    m:add(F.message_type, msg.type):set_generated()
    m:add(F.message_flags, msg.flags):set_generated()
    m:add(F.message_length, msg.size):set_generated()
    m:add(F.message_frames, #msg.frames):set_generated()
    for _, number in ipairs(msg.frames) do m:add(F.message_frame, number):set_generated() end
    if #msg.frames == 1 then
        if ptvb then m:add(F.message_payload, ptvb(0, #payload)):set_generated() end
    elseif msg.size > 0 then
        local whole = ByteArray.new(table.concat(msg.parts), true):tvb("Reassembled message")
        m:add(F.message_payload, whole()):set_generated()
    end
end

-- Check one whole frame (`ftvb`, `raw` its bytes) whose header is `h`; the length was
-- checked against the bytes already (or is checked here in delimited framing).
local function check_and_accept(st, item, ftvb, raw, h, pinfo, delimited)
    local f = header_fault(h, st.max_frame)
    if f then return report(st, item, f, pinfo) end
    local trailer = bit.band(h.flags, FLAG_MASKS.C) ~= 0 and TRAILER_SIZE or 0
    if delimited and #raw ~= HEADER_SIZE + h.length + trailer then
        return report(st, item, fault(ERROR_CODES["length-mismatch"], "FW-DLM-3",
            "decoded frame is " .. #raw .. " bytes, its header says " .. (HEADER_SIZE + h.length + trailer)), pinfo)
    end
    local payload = raw:sub(HEADER_SIZE + 1, HEADER_SIZE + h.length)
    local ptvb = h.length > 0 and ftvb(HEADER_SIZE, h.length):tvb() or nil
    if h.length > 0 then item:add(F.payload, ftvb(HEADER_SIZE, h.length)) end
    if trailer > 0 then
        local received = u32(raw, HEADER_SIZE + h.length + 1)
        local computed = crc32c(raw:sub(1, HEADER_SIZE + h.length))
        local crc_item = item:add(F.crc, ftvb(HEADER_SIZE + h.length, TRAILER_SIZE))
        crc_item:add(F.crc_computed, computed):set_generated()
        crc_item:add(F.crc_status, received == computed and "correct" or "incorrect"):set_generated()
        crc_item:append_text(received == computed and " [correct]" or " [incorrect]")
        if received ~= computed then
            return report(st, item, fault(ERROR_CODES["checksum-mismatch"], "FW-CRC-3",
                string.format("trailer 0x%08x, computed 0x%08x", received, computed)), pinfo)
        end
    end
    if delimited then
        f = state_fault(st, h)
        if f then
            report(st, item, f, pinfo)
            if f.code ~= ERROR_CODES["message-interrupted"] or st.failed then return end
            -- FW-MSG-13: the old message is dropped and this frame starts a new one; as a
            -- start frame it may still be too large, then it is dropped without a second error.
            if state_fault(st, h) then return end
        end
    end
    accept_frame(st, item, h, payload, ptvb, pinfo)
end

-- ---------------------------------------------------------------------------------------
-- The framings: each step decodes one unit at `offset` and returns the bytes it used,
-- or nil and the number of bytes it still needs (DESEGMENT_ONE_MORE_SEGMENT if unknown)
-- ---------------------------------------------------------------------------------------

local function frame_item(tree, tvb, offset, length, title)
    local item = tree:add(fw, tvb(offset, length))
    item:set_text(title)
    local stream = tcp_stream_field()
    if stream then item:add(F.stream, stream.value):set_generated() end
    return item
end

local function truncated(st, tree, tvb, offset, pinfo, statement, detail)
    local item = frame_item(tree, tvb, offset, tvb:len() - offset, "Framewire: end of input inside a frame")
    local f
    if st.session and not st.hello then
        f = fault(ERROR_CODES["handshake-incomplete"], "FW-PRE-3", "input ended before the peer's HELLO")
    else
        f = fault(ERROR_CODES["truncated-frame"], statement, detail)
    end
    report(st, item, f, pinfo)
    return tvb:len() - offset
end

local function preface_step(st, tree, tvb, offset, pinfo, fin)
    local available = tvb:len() - offset
    local expected = PREFACE_SIGNATURE .. string.char(PREFACE_FRAMING_BYTES[st.framing]) .. PREFACE_GUARD
    local have = tvb:raw(offset, math.min(available, PREFACE_SIZE))
    if have ~= expected:sub(1, #have) then
        local item = frame_item(tree, tvb, offset, #have, "Framewire preface")
        item:add(F.preface, tvb(offset, #have))
        report(st, item, fault(ERROR_CODES["bad-preface"], "FW-PRE-2", "the preface is not " .. Struct.tohex(expected)), pinfo)
        return #have
    end
    if #have < PREFACE_SIZE then
        if fin then
            local item = frame_item(tree, tvb, offset, #have, "Framewire preface (cut short)")
            report(st, item, fault(ERROR_CODES["handshake-incomplete"], "FW-PRE-3", "input ended inside the preface"), pinfo)
            return #have
        end
        return nil, PREFACE_SIZE - #have
    end
    local item = frame_item(tree, tvb, offset, PREFACE_SIZE, "Framewire preface, " .. (st.framing == "L" and "length-prefixed" or "delimited"))
    item:add(F.preface, tvb(offset, PREFACE_SIZE))
    item:add(F.preface_framing, tvb(offset + #PREFACE_SIGNATURE, 1))
    st.preface_done = true
    pinfo.cols.info:append(" preface")
    return PREFACE_SIZE
end

local function length_prefixed_step(st, tree, tvb, offset, pinfo, fin)
    local available = tvb:len() - offset
    if available < HEADER_SIZE then
        if fin then return truncated(st, tree, tvb, offset, pinfo, "FW-LPF-4", "input ended " .. available .. " bytes into a frame header") end
        return nil, HEADER_SIZE - available
    end
    local header_tvb = tvb(offset, HEADER_SIZE):tvb()
    local raw = header_tvb:raw()
    local h = {
        magic = raw:sub(1, 2), version = raw:byte(3), flags = raw:byte(4), type = raw:byte(5), length = u32(raw, 6),
    }
    -- FW-HDR-7: every check but the checksum, from the header alone.
    local f = header_fault(h, st.max_frame) or state_fault(st, h)
    local trailer = bit.band(h.flags, FLAG_MASKS.C) ~= 0 and TRAILER_SIZE or 0
    local size = HEADER_SIZE + h.length + trailer
    if f then
        local item = frame_item(tree, tvb, offset, math.min(available, size), "Framewire frame")
        add_header(item, tvb(offset, HEADER_SIZE):tvb())
        report(st, item, f, pinfo)
        return math.min(available, size)
    end
    if available < size then
        if fin then return truncated(st, tree, tvb, offset, pinfo, "FW-LPF-4", "input ended " .. available .. " bytes into a " .. size .. "-byte frame") end
        return nil, size - available
    end
    local item = frame_item(tree, tvb, offset, size, string.format("Framewire frame, type 0x%02x, length %d", h.type, h.length))
    local ftvb = tvb(offset, size):tvb()
    add_header(item, ftvb)
    check_and_accept(st, item, ftvb, ftvb:raw(), h, pinfo, false)
    return size
end

local function encoded_bound(max_frame)
    local n = HEADER_SIZE + max_frame + TRAILER_SIZE
    return n + 1 + math.floor(n / 254)
end

local function frame_too_long(encoded)
    return fault(ERROR_CODES["frame-too-large"], "FW-DLM-4", "encoded frame exceeds the bound (at least " .. encoded .. " bytes)")
end

local function find_zero(tvb, offset)
    local raw = tvb:raw(offset)
    local at = raw:find("\0", 1, true)
    return at and offset + at - 1 or nil
end

local function delimited_step(st, tree, tvb, offset, pinfo, fin)
    local zero = find_zero(tvb, offset)
    if st.skipping then
        local upto = zero and zero + 1 or tvb:len()
        local item = frame_item(tree, tvb, offset, upto - offset, "Framewire: bytes skipped up to the next 0x00")
        item:add(F.skipped, tvb(offset, upto - offset))
        if zero then st.skipping = false end
        return upto - offset
    end
    local bound = encoded_bound(st.max_frame)
    if not zero then
        local buffered = tvb:len() - offset
        if buffered > bound then
            -- FW-DLM-4: rejected at once; what follows up to the next 0x00 is skipped.
            local item = frame_item(tree, tvb, offset, buffered, "Framewire frame (COBS-encoded)")
            item:add(F.encoded, tvb(offset, buffered))
            report(st, item, frame_too_long(buffered), pinfo)
            if not st.failed then st.skipping = true end
            return buffered
        end
        if fin then return truncated(st, tree, tvb, offset, pinfo, "FW-DLM-5", "input ended " .. buffered .. " bytes after the last delimiter") end
        return nil, DESEGMENT_ONE_MORE_SEGMENT
    end
    if zero == offset then
        local item = frame_item(tree, tvb, offset, 1, "Framewire delimiter alone (an empty frame, ignored: FW-DLM-2)")
        item:add(F.delimiter, tvb(offset, 1))
        return 1
    end
    local n = zero - offset
    local item = frame_item(tree, tvb, offset, n + 1, "Framewire frame (COBS-encoded)")
    item:add(F.encoded, tvb(offset, n))
    item:add(F.delimiter, tvb(zero, 1))
    if n > bound then
        report(st, item, frame_too_long(n), pinfo)
        return n + 1
    end
    local decoded, why = cobs_decode(tvb:raw(offset, n))
    if not decoded then
        report(st, item, fault(ERROR_CODES["cobs-invalid"], "FW-COB-2", "COBS: " .. why), pinfo)
        return n + 1
    end
    if #decoded < HEADER_SIZE then
        report(st, item, fault(ERROR_CODES["length-mismatch"], "FW-DLM-3",
            "decoded frame of " .. #decoded .. " bytes is shorter than a header"), pinfo)
        return n + 1
    end
    local ftvb = ByteArray.new(decoded, true):tvb("COBS-decoded frame")
    local h = add_header(item, ftvb)
    item:set_text(string.format("Framewire frame (COBS-encoded, %d bytes decoded), type 0x%02x, length %d", #decoded, h.type, h.length))
    check_and_accept(st, item, ftvb, decoded, h, pinfo, true)
    return n + 1
end

-- The end of input (a FIN) at a frame boundary: clean, or inside a message / handshake.
local function end_of_input(st, tree, tvb, pinfo)
    if st.failed or st.skipping then return end
    local f
    if st.session and not st.hello then
        f = fault(ERROR_CODES["handshake-incomplete"], "FW-PRE-3", "input ended before the peer's HELLO")
    elseif st.msg then
        f = fault(ERROR_CODES["truncated-message"], "FW-MSG-11",
            string.format("input ended inside a type 0x%02x message after %d bytes", st.msg.type, st.msg.size))
    end
    if f then
        local item = frame_item(tree, tvb, tvb:len() - 1, 1, "Framewire: end of input")
        report(st, item, f, pinfo)
    end
end

-- ---------------------------------------------------------------------------------------
-- The dissector
-- ---------------------------------------------------------------------------------------

local function state_for(pinfo, make)
    local key = direction_key(pinfo)
    local snapshot_key = key .. "#" .. pinfo.number
    if pinfo.visited and snapshots[snapshot_key] then
        return copy_state(snapshots[snapshot_key])
    end
    local st = states[key]
    if not st then
        st = make()
        states[key] = st
    end
    -- The other direction's HELLO announces the limits this direction must keep (FW-HEL-6).
    local other = states[other_direction_key(pinfo)]
    if other and other.announced then
        st.max_frame, st.max_message = other.announced.max_frame, other.announced.max_message
    end
    snapshots[snapshot_key] = copy_state(st)
    return st
end

local function dissect(tvb, pinfo, tree, make)
    local st = state_for(pinfo, make)
    pinfo.cols.protocol = "Framewire"
    pinfo.cols.info = ""
    local fin_value = tcp_fin_field()
    local fin = fin_value ~= nil and fin_value.value == true
    local offset, length = 0, tvb:len()
    while offset < length do
        if st.failed then
            local item = frame_item(tree, tvb, offset, length - offset, "Framewire: not decoded after a fatal error")
            item:add(F.undecoded, tvb(offset, length - offset))
            return length
        end
        local used, need
        if not st.preface_done then
            used, need = preface_step(st, tree, tvb, offset, pinfo, fin)
        elseif st.framing == "L" then
            used, need = length_prefixed_step(st, tree, tvb, offset, pinfo, fin)
        else
            used, need = delimited_step(st, tree, tvb, offset, pinfo, fin)
        end
        if used == nil then
            -- Always "one more segment", never the exact count: the data handed back then
            -- ends where a segment ends, so a FIN there is the end of this data (FW-CLS-5).
            pinfo.desegment_offset = offset
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            return length
        end
        offset = offset + used
    end
    if fin then end_of_input(st, tree, tvb, pinfo) end
    return length
end

function fw.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree, function()
        -- The answer in a session found by its preface is a session too.
        local other = states[other_direction_key(pinfo)]
        if other and other.session then return new_state(other.framing, true, false) end
        local row = port_settings[pinfo.dst_port] or port_settings[pinfo.src_port] or parse_port_settings()[0] or {
            framing = "L", session = false, hunting = false,
        }
        return new_state(row.framing, row.session, row.hunting, row.max_frame, row.max_message)
    end)
end

-- A session on any port: the stream starts with the preface (spec 6.2).
local function heuristic(tvb, pinfo, tree)
    if tvb:len() < PREFACE_SIZE then return false end
    local head = tvb:raw(0, PREFACE_SIZE)
    if head:sub(1, #PREFACE_SIGNATURE) ~= PREFACE_SIGNATURE or head:sub(-#PREFACE_GUARD) ~= PREFACE_GUARD then return false end
    local framing_byte = head:byte(#PREFACE_SIGNATURE + 1)
    local framing = framing_byte == PREFACE_FRAMING_BYTES.L and "L" or framing_byte == PREFACE_FRAMING_BYTES.D and "D" or nil
    if not framing then return false end
    pinfo.conversation = fw
    dissect(tvb, pinfo, tree, function() return new_state(framing, true, false) end)
    return true
end

function fw.prefs_changed()
    local tcp_table = DissectorTable.get("tcp.port")
    for port in pairs(port_settings) do tcp_table:remove(port, fw) end
    port_settings = parse_port_settings()
    for port in pairs(port_settings) do tcp_table:add(port, fw) end
end

function fw.init()
    states = {}
    snapshots = {}
end

fw:register_heuristic("tcp", heuristic)

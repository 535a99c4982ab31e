/*
 * CRC-32C (Castagnoli), FW-CRC-2: reflected polynomial 0x82F63B78, initial value and
 * final XOR 0xFFFFFFFF. The variant is chosen at build time (framewire.h): a 16-entry
 * nibble table by default, bit by bit, a 1 KiB byte table, or the CPU's instruction.
 */
#include "framewire.h"

#include <string.h>

#define FW_CRC_POLY ((uint32_t)0x82F63B78ul)

#if defined(FW_CRC_HW) && defined(__SSE4_2__)
#define FW_CRC_X86 1
#elif defined(FW_CRC_HW_RUNTIME) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FW_CRC_X86 1
#define FW_CRC_X86_RUNTIME 1
#elif defined(FW_CRC_HW) && defined(__ARM_FEATURE_CRC32)
#define FW_CRC_ARM 1
#endif

#if !((defined(FW_CRC_X86) && !defined(FW_CRC_X86_RUNTIME)) || defined(FW_CRC_ARM))
#define FW_CRC_SOFT 1
#endif

#if !defined(FW_CRC_SOFT)
/* the instruction is always there: no portable variant */
#elif defined(FW_CRC_BITWISE)

static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t n)
{
    while (n-- > 0u) {
        unsigned k;
        c ^= *p++;
        for (k = 0; k < 8u; k++) {
            c = (c >> 1) ^ (FW_CRC_POLY & (0u - (c & 1u)));
        }
    }
    return c;
}

#elif defined(FW_CRC_TABLE)

/* crc_byte[i] is the CRC register after shifting the byte i through it. */
static const uint32_t crc_byte[256] = {
    0x00000000ul, 0xF26B8303ul, 0xE13B70F7ul, 0x1350F3F4ul,
    0xC79A971Ful, 0x35F1141Cul, 0x26A1E7E8ul, 0xD4CA64EBul,
    0x8AD958CFul, 0x78B2DBCCul, 0x6BE22838ul, 0x9989AB3Bul,
    0x4D43CFD0ul, 0xBF284CD3ul, 0xAC78BF27ul, 0x5E133C24ul,
    0x105EC76Ful, 0xE235446Cul, 0xF165B798ul, 0x030E349Bul,
    0xD7C45070ul, 0x25AFD373ul, 0x36FF2087ul, 0xC494A384ul,
    0x9A879FA0ul, 0x68EC1CA3ul, 0x7BBCEF57ul, 0x89D76C54ul,
    0x5D1D08BFul, 0xAF768BBCul, 0xBC267848ul, 0x4E4DFB4Bul,
    0x20BD8EDEul, 0xD2D60DDDul, 0xC186FE29ul, 0x33ED7D2Aul,
    0xE72719C1ul, 0x154C9AC2ul, 0x061C6936ul, 0xF477EA35ul,
    0xAA64D611ul, 0x580F5512ul, 0x4B5FA6E6ul, 0xB93425E5ul,
    0x6DFE410Eul, 0x9F95C20Dul, 0x8CC531F9ul, 0x7EAEB2FAul,
    0x30E349B1ul, 0xC288CAB2ul, 0xD1D83946ul, 0x23B3BA45ul,
    0xF779DEAEul, 0x05125DADul, 0x1642AE59ul, 0xE4292D5Aul,
    0xBA3A117Eul, 0x4851927Dul, 0x5B016189ul, 0xA96AE28Aul,
    0x7DA08661ul, 0x8FCB0562ul, 0x9C9BF696ul, 0x6EF07595ul,
    0x417B1DBCul, 0xB3109EBFul, 0xA0406D4Bul, 0x522BEE48ul,
    0x86E18AA3ul, 0x748A09A0ul, 0x67DAFA54ul, 0x95B17957ul,
    0xCBA24573ul, 0x39C9C670ul, 0x2A993584ul, 0xD8F2B687ul,
    0x0C38D26Cul, 0xFE53516Ful, 0xED03A29Bul, 0x1F682198ul,
    0x5125DAD3ul, 0xA34E59D0ul, 0xB01EAA24ul, 0x42752927ul,
    0x96BF4DCCul, 0x64D4CECFul, 0x77843D3Bul, 0x85EFBE38ul,
    0xDBFC821Cul, 0x2997011Ful, 0x3AC7F2EBul, 0xC8AC71E8ul,
    0x1C661503ul, 0xEE0D9600ul, 0xFD5D65F4ul, 0x0F36E6F7ul,
    0x61C69362ul, 0x93AD1061ul, 0x80FDE395ul, 0x72966096ul,
    0xA65C047Dul, 0x5437877Eul, 0x4767748Aul, 0xB50CF789ul,
    0xEB1FCBADul, 0x197448AEul, 0x0A24BB5Aul, 0xF84F3859ul,
    0x2C855CB2ul, 0xDEEEDFB1ul, 0xCDBE2C45ul, 0x3FD5AF46ul,
    0x7198540Dul, 0x83F3D70Eul, 0x90A324FAul, 0x62C8A7F9ul,
    0xB602C312ul, 0x44694011ul, 0x5739B3E5ul, 0xA55230E6ul,
    0xFB410CC2ul, 0x092A8FC1ul, 0x1A7A7C35ul, 0xE811FF36ul,
    0x3CDB9BDDul, 0xCEB018DEul, 0xDDE0EB2Aul, 0x2F8B6829ul,
    0x82F63B78ul, 0x709DB87Bul, 0x63CD4B8Ful, 0x91A6C88Cul,
    0x456CAC67ul, 0xB7072F64ul, 0xA457DC90ul, 0x563C5F93ul,
    0x082F63B7ul, 0xFA44E0B4ul, 0xE9141340ul, 0x1B7F9043ul,
    0xCFB5F4A8ul, 0x3DDE77ABul, 0x2E8E845Ful, 0xDCE5075Cul,
    0x92A8FC17ul, 0x60C37F14ul, 0x73938CE0ul, 0x81F80FE3ul,
    0x55326B08ul, 0xA759E80Bul, 0xB4091BFFul, 0x466298FCul,
    0x1871A4D8ul, 0xEA1A27DBul, 0xF94AD42Ful, 0x0B21572Cul,
    0xDFEB33C7ul, 0x2D80B0C4ul, 0x3ED04330ul, 0xCCBBC033ul,
    0xA24BB5A6ul, 0x502036A5ul, 0x4370C551ul, 0xB11B4652ul,
    0x65D122B9ul, 0x97BAA1BAul, 0x84EA524Eul, 0x7681D14Dul,
    0x2892ED69ul, 0xDAF96E6Aul, 0xC9A99D9Eul, 0x3BC21E9Dul,
    0xEF087A76ul, 0x1D63F975ul, 0x0E330A81ul, 0xFC588982ul,
    0xB21572C9ul, 0x407EF1CAul, 0x532E023Eul, 0xA145813Dul,
    0x758FE5D6ul, 0x87E466D5ul, 0x94B49521ul, 0x66DF1622ul,
    0x38CC2A06ul, 0xCAA7A905ul, 0xD9F75AF1ul, 0x2B9CD9F2ul,
    0xFF56BD19ul, 0x0D3D3E1Aul, 0x1E6DCDEEul, 0xEC064EEDul,
    0xC38D26C4ul, 0x31E6A5C7ul, 0x22B65633ul, 0xD0DDD530ul,
    0x0417B1DBul, 0xF67C32D8ul, 0xE52CC12Cul, 0x1747422Ful,
    0x49547E0Bul, 0xBB3FFD08ul, 0xA86F0EFCul, 0x5A048DFFul,
    0x8ECEE914ul, 0x7CA56A17ul, 0x6FF599E3ul, 0x9D9E1AE0ul,
    0xD3D3E1ABul, 0x21B862A8ul, 0x32E8915Cul, 0xC083125Ful,
    0x144976B4ul, 0xE622F5B7ul, 0xF5720643ul, 0x07198540ul,
    0x590AB964ul, 0xAB613A67ul, 0xB831C993ul, 0x4A5A4A90ul,
    0x9E902E7Bul, 0x6CFBAD78ul, 0x7FAB5E8Cul, 0x8DC0DD8Ful,
    0xE330A81Aul, 0x115B2B19ul, 0x020BD8EDul, 0xF0605BEEul,
    0x24AA3F05ul, 0xD6C1BC06ul, 0xC5914FF2ul, 0x37FACCF1ul,
    0x69E9F0D5ul, 0x9B8273D6ul, 0x88D28022ul, 0x7AB90321ul,
    0xAE7367CAul, 0x5C18E4C9ul, 0x4F48173Dul, 0xBD23943Eul,
    0xF36E6F75ul, 0x0105EC76ul, 0x12551F82ul, 0xE03E9C81ul,
    0x34F4F86Aul, 0xC69F7B69ul, 0xD5CF889Dul, 0x27A40B9Eul,
    0x79B737BAul, 0x8BDCB4B9ul, 0x988C474Dul, 0x6AE7C44Eul,
    0xBE2DA0A5ul, 0x4C4623A6ul, 0x5F16D052ul, 0xAD7D5351ul,
};

static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t n)
{
    while (n-- > 0u) {
        c = crc_byte[(c ^ *p++) & 0xFFu] ^ (c >> 8);
    }
    return c;
}

#else

/* crc_nibble[i] is the CRC register after shifting the 4-bit value i through it. */
static const uint32_t crc_nibble[16] = {
    0x00000000ul, 0x105EC76Ful, 0x20BD8EDEul, 0x30E349B1ul,
    0x417B1DBCul, 0x5125DAD3ul, 0x61C69362ul, 0x7198540Dul,
    0x82F63B78ul, 0x92A8FC17ul, 0xA24BB5A6ul, 0xB21572C9ul,
    0xC38D26C4ul, 0xD3D3E1ABul, 0xE330A81Aul, 0xF36E6F75ul,
};

static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t n)
{
    while (n-- > 0u) {
        c ^= *p++;
        c = crc_nibble[c & 0x0Fu] ^ (c >> 4);
        c = crc_nibble[c & 0x0Fu] ^ (c >> 4);
    }
    return c;
}

#endif

#if defined(FW_CRC_X86)
#include <nmmintrin.h>

#if defined(FW_CRC_X86_RUNTIME)
__attribute__((target("sse4.2")))
#endif
static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
    uint64_t c64 = c;
    while (n >= 8u) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        n -= 8u;
    }
    c = (uint32_t)c64;
#endif
    while (n >= 4u) {
        uint32_t v;
        memcpy(&v, p, 4);
        c = _mm_crc32_u32(c, v);
        p += 4;
        n -= 4u;
    }
    while (n-- > 0u) {
        c = _mm_crc32_u8(c, *p++);
    }
    return c;
}
#elif defined(FW_CRC_ARM)
#include <arm_acle.h>

static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
    while (n >= 4u) {
        uint32_t v;
        memcpy(&v, p, 4);
        c = __crc32cw(c, v);
        p += 4;
        n -= 4u;
    }
    while (n-- > 0u) {
        c = __crc32cb(c, *p++);
    }
    return c;
}
#endif

uint32_t fw_crc32c_update(uint32_t crc, const uint8_t *data, size_t n)
{
    uint32_t c = ~crc;
#if defined(FW_CRC_X86_RUNTIME)
    static int has_sse42 = -1;
    if (has_sse42 < 0) {
        __builtin_cpu_init();
        has_sse42 = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    }
    c = has_sse42 ? crc_hw(c, data, n) : crc_soft(c, data, n);
#elif defined(FW_CRC_X86) || defined(FW_CRC_ARM)
    c = crc_hw(c, data, n);
#else
    c = crc_soft(c, data, n);
#endif
    return ~c;
}

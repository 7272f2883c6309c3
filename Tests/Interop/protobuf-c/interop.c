/*
 * pbc-interop: encodes and decodes Etimad messages with libprotobuf-c, to show that the bytes
 * swift-protobuf writes and reads are the ones a C implementation writes and reads.
 *
 *   pbc-interop encode            prints "NAME HEX" for every fixture, HEX in lower case
 *   pbc-interop decode NAME HEX   unpacks HEX as fixture NAME and checks every field;
 *                                 prints "ok NAME" (exit 0) or what differs (exit 1)
 *
 * Exit codes: 0 success, 1 a decode that failed or differs, 2 usage.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "etimad/platform/v1/platform_service.pb-c.h"
#include "etimad/type/v1/localized_text.pb-c.h"
#include "etimad/type/v1/money.pb-c.h"
#include "etimad/type/v1/person_id.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

/* ------------------------------------------------------------------ the fixed values */

#define MONEY_CURRENCY "SAR"
#define MONEY_HALALAS INT64_C(123456789012345)
#define MONEY_NEGATIVE_HALALAS INT64_C(-250)

#define NAME_AR "منصة اعتماد"
#define NAME_EN "Etimad platform"

#define INFO_VERSION "1.0.0"
#define INFO_SECONDS INT64_C(1764000000)
#define INFO_NANOS 500
#define INFO_HIJRI_DATE "1447-06-04"
#define INFO_TIME_ZONE "Asia/Riyadh"
static char *const INFO_SERVICES[] = {
    "grpc.health.v1.Health",
    "etimad.platform.v1.PlatformService",
    "خدمة المنصة",
};
#define INFO_SERVICE_COUNT (sizeof INFO_SERVICES / sizeof INFO_SERVICES[0])

#define REQUEST_ID_TYPE ETIMAD__TYPE__V1__PERSON_ID_TYPE__PERSON_ID_TYPE_IQAMA
#define REQUEST_ID_NUMBER "2000000002"
#define REQUEST_IBAN "SA0380000000608010167519"
#define REQUEST_MOBILE "+966501234567"

static Etimad__Type__V1__Money money_value(int64_t halalas) {
    Etimad__Type__V1__Money money = ETIMAD__TYPE__V1__MONEY__INIT;
    money.currency_code = MONEY_CURRENCY;
    money.amount_halalas = halalas;
    return money;
}

static Etimad__Type__V1__LocalizedText localized_text_value(void) {
    Etimad__Type__V1__LocalizedText text = ETIMAD__TYPE__V1__LOCALIZED_TEXT__INIT;
    text.ar = NAME_AR;
    text.en = NAME_EN;
    return text;
}

/* The messages of one run, built on the stack of main: no allocation to free. */
struct fixtures {
    Etimad__Type__V1__Money money;
    Etimad__Type__V1__Money money_negative;
    Etimad__Type__V1__LocalizedText localized_text;
    Etimad__Type__V1__LocalizedText info_name;
    Google__Protobuf__Timestamp info_time;
    Etimad__Platform__V1__GetServerInfoResponse server_info;
    Etimad__Type__V1__PersonId person_id;
    Etimad__Platform__V1__ValidateIdentifiersRequest validate_request;
};

static void fixtures_init(struct fixtures *f) {
    f->money = money_value(MONEY_HALALAS);
    f->money_negative = money_value(MONEY_NEGATIVE_HALALAS);
    f->localized_text = localized_text_value();
    f->info_name = localized_text_value();

    google__protobuf__timestamp__init(&f->info_time);
    f->info_time.seconds = INFO_SECONDS;
    f->info_time.nanos = INFO_NANOS;

    etimad__platform__v1__get_server_info_response__init(&f->server_info);
    f->server_info.name = &f->info_name;
    f->server_info.version = INFO_VERSION;
    f->server_info.server_time = &f->info_time;
    f->server_info.hijri_date = INFO_HIJRI_DATE;
    f->server_info.n_services = INFO_SERVICE_COUNT;
    f->server_info.services = (char **)INFO_SERVICES;
    f->server_info.time_zone = INFO_TIME_ZONE;

    etimad__type__v1__person_id__init(&f->person_id);
    f->person_id.type = REQUEST_ID_TYPE;
    f->person_id.number = REQUEST_ID_NUMBER;

    etimad__platform__v1__validate_identifiers_request__init(&f->validate_request);
    f->validate_request.person_id = &f->person_id;
    f->validate_request.iban = REQUEST_IBAN;
    f->validate_request.mobile = REQUEST_MOBILE;
}

/* ------------------------------------------------------------------ checks */

static const char *checking; /* the fixture being checked, for messages */
static int differences;

static void differ(const char *field, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void differ(const char *field, const char *format, ...) {
    va_list args;
    printf("%s: %s: ", checking, field);
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    differences++;
}

static void expect_string(const char *field, const char *got, const char *want) {
    if (got == NULL) {
        differ(field, "got NULL, want \"%s\"", want);
    } else if (strcmp(got, want) != 0) {
        differ(field, "got \"%s\", want \"%s\"", got, want);
    }
}

static void expect_int64(const char *field, int64_t got, int64_t want) {
    if (got != want) {
        differ(field, "got %lld, want %lld", (long long)got, (long long)want);
    }
}

/* Returns whether the sub-message is there; reports it when it is not. */
static bool expect_present(const char *field, const void *message) {
    if (message == NULL) {
        differ(field, "missing");
    }
    return message != NULL;
}

/* Fields protobuf-c does not know would mean the writer's schema is not ours. */
static void expect_no_unknown_fields(const char *field, const ProtobufCMessage *message) {
    if (message->n_unknown_fields != 0) {
        differ(field, "%u unknown field(s), first with number %u",
               message->n_unknown_fields, message->unknown_fields[0].tag);
    }
}

static void check_money_with(const ProtobufCMessage *message, int64_t halalas) {
    const Etimad__Type__V1__Money *money = (const Etimad__Type__V1__Money *)message;
    expect_no_unknown_fields("(money)", message);
    expect_string("currency_code", money->currency_code, MONEY_CURRENCY);
    expect_int64("amount_halalas", money->amount_halalas, halalas);
}

static void check_money(const ProtobufCMessage *message) {
    check_money_with(message, MONEY_HALALAS);
}

static void check_money_negative(const ProtobufCMessage *message) {
    check_money_with(message, MONEY_NEGATIVE_HALALAS);
}

static void check_localized_text_at(const char *prefix, const Etimad__Type__V1__LocalizedText *text) {
    char field[64];
    snprintf(field, sizeof field, "%sar", prefix);
    expect_string(field, text->ar, NAME_AR);
    snprintf(field, sizeof field, "%sen", prefix);
    expect_string(field, text->en, NAME_EN);
    snprintf(field, sizeof field, "%s(localized_text)", prefix);
    expect_no_unknown_fields(field, &text->base);
}

static void check_localized_text(const ProtobufCMessage *message) {
    check_localized_text_at("", (const Etimad__Type__V1__LocalizedText *)message);
}

static void check_server_info(const ProtobufCMessage *message) {
    const Etimad__Platform__V1__GetServerInfoResponse *info =
        (const Etimad__Platform__V1__GetServerInfoResponse *)message;
    expect_no_unknown_fields("(server_info)", message);
    if (expect_present("name", info->name)) {
        check_localized_text_at("name.", info->name);
    }
    expect_string("version", info->version, INFO_VERSION);
    if (expect_present("server_time", info->server_time)) {
        expect_int64("server_time.seconds", info->server_time->seconds, INFO_SECONDS);
        expect_int64("server_time.nanos", info->server_time->nanos, INFO_NANOS);
        expect_no_unknown_fields("server_time", &info->server_time->base);
    }
    expect_string("hijri_date", info->hijri_date, INFO_HIJRI_DATE);
    if (info->n_services != INFO_SERVICE_COUNT) {
        differ("services", "got %zu values, want %zu", info->n_services, (size_t)INFO_SERVICE_COUNT);
    }
    for (size_t i = 0; i < info->n_services && i < INFO_SERVICE_COUNT; i++) {
        char field[32];
        snprintf(field, sizeof field, "services[%zu]", i);
        expect_string(field, info->services[i], INFO_SERVICES[i]);
    }
    expect_string("time_zone", info->time_zone, INFO_TIME_ZONE);
}

static void check_validate_request(const ProtobufCMessage *message) {
    const Etimad__Platform__V1__ValidateIdentifiersRequest *request =
        (const Etimad__Platform__V1__ValidateIdentifiersRequest *)message;
    expect_no_unknown_fields("(validate_request)", message);
    if (expect_present("person_id", request->person_id)) {
        expect_int64("person_id.type", request->person_id->type, REQUEST_ID_TYPE);
        expect_string("person_id.number", request->person_id->number, REQUEST_ID_NUMBER);
        expect_no_unknown_fields("person_id", &request->person_id->base);
    }
    expect_string("iban", request->iban, REQUEST_IBAN);
    expect_string("mobile", request->mobile, REQUEST_MOBILE);
}

/* ------------------------------------------------------------------ the table */

struct fixture {
    const char *name;
    const ProtobufCMessage *value;
    void (*check)(const ProtobufCMessage *decoded);
};

#define FIXTURE_COUNT 5

static void fixtures_table(struct fixtures *f, struct fixture table[FIXTURE_COUNT]) {
    table[0] = (struct fixture){"money", &f->money.base, check_money};
    table[1] = (struct fixture){"money_negative", &f->money_negative.base, check_money_negative};
    table[2] = (struct fixture){"localized_text", &f->localized_text.base, check_localized_text};
    table[3] = (struct fixture){"server_info", &f->server_info.base, check_server_info};
    table[4] = (struct fixture){"validate_request", &f->validate_request.base, check_validate_request};
}

/* ------------------------------------------------------------------ modes */

/* Packs a message into a new buffer; the caller frees it. */
static uint8_t *pack(const ProtobufCMessage *message, size_t *length) {
    *length = protobuf_c_message_get_packed_size(message);
    uint8_t *bytes = malloc(*length ? *length : 1);
    if (bytes == NULL) {
        perror("malloc");
        exit(1);
    }
    size_t written = protobuf_c_message_pack(message, bytes);
    if (written != *length) {
        fprintf(stderr, "packed %zu bytes, expected %zu\n", written, *length);
        exit(1);
    }
    return bytes;
}

static int encode(const struct fixture table[FIXTURE_COUNT]) {
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        size_t length;
        uint8_t *bytes = pack(table[i].value, &length);
        printf("%s ", table[i].name);
        for (size_t j = 0; j < length; j++) {
            printf("%02x", bytes[j]);
        }
        putchar('\n');
        free(bytes);
    }
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Returns a new buffer with the bytes of hex, or NULL when hex is not an even run of hex digits. */
static uint8_t *from_hex(const char *hex, size_t *length) {
    size_t digits = strlen(hex);
    if (digits % 2 != 0) {
        return NULL;
    }
    *length = digits / 2;
    uint8_t *bytes = malloc(*length ? *length : 1);
    if (bytes == NULL) {
        perror("malloc");
        exit(1);
    }
    for (size_t i = 0; i < *length; i++) {
        int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            free(bytes);
            return NULL;
        }
        bytes[i] = (uint8_t)(high << 4 | low);
    }
    return bytes;
}

static int decode(const struct fixture *fixture, const char *hex) {
    checking = fixture->name;
    size_t length;
    uint8_t *bytes = from_hex(hex, &length);
    if (bytes == NULL) {
        printf("%s: \"%s\" is not hex bytes (pairs of 0-9, a-f)\n", fixture->name, hex);
        return 1;
    }
    ProtobufCMessage *decoded =
        protobuf_c_message_unpack(fixture->value->descriptor, NULL, length, bytes);
    if (decoded == NULL) {
        printf("%s: protobuf-c could not unpack the %zu bytes as %s\n", fixture->name, length,
               fixture->value->descriptor->name);
        free(bytes);
        return 1;
    }

    fixture->check(decoded);

    /* Fields written in field-number order, as swift-protobuf and protobuf-c both do, make
     * the bytes canonical: re-packing what was read must give back the same bytes. */
    size_t repacked_length;
    uint8_t *repacked = pack(decoded, &repacked_length);
    if (repacked_length != length || memcmp(repacked, bytes, length) != 0) {
        differ("(bytes)", "protobuf-c re-packs %zu bytes that differ from the %zu read (fields out of order?)",
               repacked_length, length);
    }

    free(repacked);
    protobuf_c_message_free_unpacked(decoded, NULL);
    free(bytes);
    if (differences != 0) {
        return 1;
    }
    printf("ok %s\n", fixture->name);
    return 0;
}

static int usage(const struct fixture table[FIXTURE_COUNT]) {
    fprintf(stderr, "usage: pbc-interop encode\n       pbc-interop decode NAME HEX\nNAME:");
    for (size_t i = 0; i < FIXTURE_COUNT; i++) {
        fprintf(stderr, " %s", table[i].name);
    }
    fputc('\n', stderr);
    return 2;
}

int main(int argc, char **argv) {
    struct fixtures values;
    struct fixture table[FIXTURE_COUNT];
    fixtures_init(&values);
    fixtures_table(&values, table);

    if (argc == 2 && strcmp(argv[1], "encode") == 0) {
        return encode(table);
    }
    if (argc == 4 && strcmp(argv[1], "decode") == 0) {
        for (size_t i = 0; i < FIXTURE_COUNT; i++) {
            if (strcmp(argv[2], table[i].name) == 0) {
                return decode(&table[i], argv[3]);
            }
        }
        fprintf(stderr, "unknown message name \"%s\"\n", argv[2]);
    }
    return usage(table);
}

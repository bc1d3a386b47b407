/*
 * fuzz_hub_answer.c: libFuzzer target for what the hub client reads from
 * the network or from its own files (src/hubclient/helpers.c): an error
 * answer, a submission receipt, a fetch state file, a token file, and the
 * format sniffing of a list about to be submitted.
 *
 * Any bytes must give either a refusal or values of the promised shape: an
 * error message of one line of printable ASCII, a receipt whose id is a
 * valid submission id, a state time that can go back into a URL, a token
 * that can go into a header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hubclient/hubclient.h"

static void printable_line(const char *s)
{
    for (; *s; s++)
        if (*s < ' ' || *s > '~') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c2_err err;
    hubclient_receipt r;
    char last[HUBCLIENT_TIME_MAX], tok[HUBCLIENT_TOKEN_MAX + 1];
    if (hubclient_answer_error(400, data, size, &err) != -1) abort();
    printable_line(err.msg);
    if (hubclient_receipt_parse(data, size, "sent", &r, &err) == 0 && !hubclient_id_valid(r.id))
        abort();
    if (hubclient_state_parse(data, size, "https://hub.example", last, &err) == 0 && *last &&
        !hubclient_time_valid(last))
        abort();
    if (hubclient_token_parse(data, size, tok, &err) == 0 && !hubclient_token_valid(tok))
        abort();
    hubclient_format f = hubclient_sniff(data, size);
    if (f != HUBCLIENT_UNKNOWN && !hubclient_content_type(f)) abort();
    return 0;
}

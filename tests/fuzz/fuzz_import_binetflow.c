/*
 * fuzz_import_binetflow.c: libFuzzer target for the Argus binetflow importer
 * (src/import/binetflow.c).
 *
 * Import files come from other tools and other people, so any bytes must
 * import or be refused with a one-line message, never crash or read out of
 * bounds; import_fuzz.h lists the invariants checked on every input.
 */
#include "import_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(IMPORT_BINETFLOW, data, size);
}

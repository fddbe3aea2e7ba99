#include <stddef.h>
#include <stdint.h>
/// libFuzzer's driver (in libclang_rt.fuzzer, linked by -sanitize=fuzzer). SwiftPM links an executable target's
/// entry point as `<Target>_main` (--defsym main=…), so each fuzz target defines that and hands over here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

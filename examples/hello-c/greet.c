#include "greet.h"

#include <stdio.h>

void greet(const char *name, char *out, size_t size) {
    snprintf(out, size, "hello, %s", name && *name ? name : "world");
}

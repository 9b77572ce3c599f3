#include "greet.h"

#include <stdio.h>
#include <string.h>

int main(void) {
    char out[64];
    greet("c", out, sizeof out);
    if (strcmp(out, "hello, c") != 0) {
        fprintf(stderr, "greet(c) = %s\n", out);
        return 1;
    }
    greet("", out, sizeof out);
    if (strcmp(out, "hello, world") != 0) {
        fprintf(stderr, "greet() = %s\n", out);
        return 1;
    }
    return 0;
}

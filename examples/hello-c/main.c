#include "greet.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("hello-c 1.0");
        return 0;
    }
    char out[256];
    greet(argc > 1 ? argv[1] : "", out, sizeof out);
    puts(out);
    return 0;
}

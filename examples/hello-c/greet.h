#pragma once
#include <stddef.h>

/* Writes "hello, NAME" (or "hello, world") into out. */
void greet(const char *name, char *out, size_t size);

/* C <string.h> for the freestanding hypervisor: declarations only, definitions in lib/string.cpp */
/* SPDX-License-Identifier: MIT */
/* Every ISO C function is declared so that C++ <cstring> still compiles; the ones lib/string.cpp
 * does not define fail at link time if anything uses them. */
#ifndef RUNHV_LIB_STRING_H
#define RUNHV_LIB_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memchr(const void* s, int c, size_t n);

size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);

/* Not provided. */
char* strcpy(char* __restrict dst, const char* __restrict src);
char* strncpy(char* __restrict dst, const char* __restrict src, size_t n);
char* strcat(char* __restrict dst, const char* __restrict src);
char* strncat(char* __restrict dst, const char* __restrict src, size_t n);
int strcoll(const char* a, const char* b);
size_t strxfrm(char* __restrict dst, const char* __restrict src, size_t n);
size_t strspn(const char* s, const char* accept);
size_t strcspn(const char* s, const char* reject);
char* strpbrk(const char* s, const char* accept);
char* strstr(const char* haystack, const char* needle);
char* strtok(char* __restrict s, const char* __restrict delim);
char* strerror(int errnum);

#ifdef __cplusplus
}
#endif

#endif

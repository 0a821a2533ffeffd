// libcurl's memory, wiped on free (docs/storage-format.md "Secret memory").
// libcurl copies each request's headers, the key's among them,
// into buffers of its own (the request it sends, the URL with Gemini's
// ?key=) and frees them with plain free(): the bytes stayed in the heap
// until something else reused it. Every block libcurl allocates through
// the functions below carries its size in a header, and is zeroed with
// explicit_bzero before it goes back to malloc.
#pragma once

#include <cstddef>

namespace keywarden::http_memory {

// Calls curl_global_init_mem with the wiping functions below, once per
// process, before any other libcurl call (libcurl requires it so: memory
// allocated before would be freed through the wrong functions).
void InitCurl();

// The functions libcurl is given, malloc/free/realloc/strdup/calloc with
// their usual contracts; Free and Realloc wipe the block they release.
void* Allocate(size_t size);
void Free(void* block);
void* Reallocate(void* block, size_t size);
char* Duplicate(const char* text);
void* AllocateZeroed(size_t count, size_t size);

// Tests only: called by Free with each block and its size right after the
// wipe, before the block is released (nullptr: none).
using FreeObserver = void (*)(const void* block, size_t size);
void SetFreeObserverForTest(FreeObserver observer);

}  // namespace keywarden::http_memory
